"""`hfstage central init` and `central import`: a central folder, and bundles checked before they count.

A bundle is refused, with one line and nothing stored, when it is damaged, comes from a site
whose key is not pinned in DIR\\trust\\, fails its signature or a member's hash, is dated in
the future, is older than the one stored for its site and month (a replay), or calls a known
site by another name (unless the admin says the site was renamed).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.central.bundle import key_fingerprint as fingerprint
from hfstage.central.bundle import load_public_key, parse_time, read_manifest, verify_bundle
from hfstage.central.store import connect, site_name, store_bundle, stored_bundle
from hfstage.errors import InputError, SignatureError, UsageError
from hfstage.share import make_folder

TRUST, REPORTS = "trust", "reports"
SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
CLOCK_SKEW = dt.timedelta(days=1)


@dataclass
class ImportOutcome:
    path: Path
    site_id: str
    month: str
    imported: bool  # False: this very bundle was already stored
    skipped: list[str] = field(default_factory=list)

    def line(self) -> str:
        what = "imported" if self.imported else "already imported; nothing changed"
        return f"{self.path}: site {self.site_id}, {self.month}: {what}"


def central_init(folder: Path) -> list[str]:
    """Create the central folder (trust\\ for the sites' public keys, reports\\, the database)."""
    made = []
    for sub in ("", TRUST, REPORTS):
        path = folder / sub
        if not path.is_dir():
            make_folder(path)  # 0755 whatever the umask: only the admin may put a site's key in trust\
            made.append(str(path))
    with connect(folder):
        pass
    return made


def check_central(folder: Path) -> None:
    if not (folder / TRUST).is_dir():
        raise UsageError(f"{folder}: not a central folder (no trust\\); run `hfstage central init {folder}`")


def import_bundle(folder: Path, path: Path, now: dt.datetime | None = None, renamed: bool = False) -> ImportOutcome:
    """Verify the bundle at PATH and store it; InputError/SignatureError (nothing stored) when it may not count."""
    check_central(folder)
    now = now or dt.datetime.now(dt.timezone.utc)
    zf, manifest, manifest_bytes = read_manifest(path)
    with zf:
        site_id, month = str(manifest["site_id"]), str(manifest["month"])
        if not SITE_ID.fullmatch(site_id) or not MONTH.fullmatch(month):
            raise InputError(f"{path}: site id {site_id!s:.40} or month {month!s:.10} is not valid")
        key_path = folder / TRUST / f"{site_id}.pem"
        if not key_path.is_file():
            raise SignatureError(f"{path}: site {site_id} is not known here: put its public key (from `hfstage site "
                                 f"keygen` at the site) in {key_path} first")
        public = load_public_key(key_path)
        bundle = verify_bundle(path, zf, manifest, manifest_bytes, public)
    created = parse_time(manifest["created_at"], path)
    if created > now + CLOCK_SKEW:
        raise InputError(f"{path}: made {created.isoformat()}, in the future: check the site's clock; not imported")
    if month > (now + CLOCK_SKEW).strftime("%Y-%m"):
        # stored, it would be the site's latest month and hide every later real bundle of that site
        raise InputError(f"{path}: for month {month}, which has not begun by this server's clock "
                         f"({now:%Y-%m-%d}): not imported (check the site's clock, or export with the right --month)")
    with connect(folder) as conn:
        known_name = site_name(conn, site_id)
        if known_name is not None and known_name != manifest["site_name"] and not renamed:
            raise InputError(f"{path}: site {site_id} is stored as {known_name!r} but the bundle calls it "
                             f"{manifest['site_name']!r}; if the site was renamed, import with --renamed")
        old = stored_bundle(conn, site_id, month)
        if old is not None and old.manifest_sha == bundle.manifest_sha:
            return ImportOutcome(path, site_id, month, False, bundle.skipped)
        if old is not None and created <= parse_time(old.created_at, path):
            raise InputError(f"{path}: older than the bundle stored for site {site_id}, {month} (made "
                             f"{old.created_at}): a replay or an old copy; not imported")
        store_bundle(conn, bundle, fingerprint(public), now.isoformat(timespec="seconds"))
    return ImportOutcome(path, site_id, month, True, bundle.skipped)
