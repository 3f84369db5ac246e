"""`catalog import`: verify a signed cabinet, extract it, parse mssecure.xml, store it."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path

from hfstage.cab import VerifyResult, extract_cabinet, load_trust, verify_cabinet
from hfstage.catalog import store
from hfstage.catalog.checks import UNSCRIPTABLE
from hfstage.catalog.diff import CatalogDiff, diff_catalogs
from hfstage.catalog.model import Catalog
from hfstage.catalog.parser import parse_catalog
from hfstage.errors import InputError, SignatureError, UsageError
from hfstage.share import Share, SiteConfig, staged_dir

log = logging.getLogger(__name__)


@dataclass
class ImportResult:
    """What was imported, from where, whether it was already there or became current, and the diff."""

    catalog: Catalog
    stored: store.StoredCatalog
    already_stored: bool
    verification: dict | None
    override: str | None
    diff: CatalogDiff | None
    current: bool = True
    warning: str | None = None

    def to_dict(self) -> dict:
        return {"data_version": self.catalog.data_version, "folder": str(self.stored.folder),
                "already_stored": self.already_stored, "current": self.current, "warning": self.warning,
                "counts": self.catalog.counts(), "verification": self.verification, "override": self.override,
                "diff": self.diff.to_dict() if self.diff else None}


def incoming_cab(share: Share) -> Path | None:
    """The most recently modified *.cab in incoming\\, a regular file the admin copied there (a link is not
    followed): `catalog import` and `month` pick the same one."""
    cabs = [p for p in share.folder("incoming").iterdir()
            if p.suffix.lower() == ".cab" and p.is_file() and not p.is_symlink()]
    return max(cabs, key=lambda p: (p.stat().st_mtime, p.name)) if cabs else None


def no_cab(share: Share) -> UsageError:
    """What `catalog import` and `month` say when incoming\\ holds no cabinet to import."""
    return UsageError(f"{share.folder('incoming')}: no .cab file to import (links are not followed); copy "
                      "mssecure.cab there or name the file")


def newest_cab(share: Share) -> Path:
    """The cabinet to import from incoming\\, or the error that there is none."""
    found = incoming_cab(share)
    if found is None:
        raise no_cab(share)
    return found


def _find_xml(folder: Path, source: Path) -> Path:
    found = [p for p in folder.rglob("*") if p.is_file() and p.name.lower() == store.XML_NAME]
    if len(found) != 1:
        raise InputError(f"{source}: expected exactly one {store.XML_NAME} in the cabinet, found {len(found)}")
    return found[0]


def _check_signature(result: VerifyResult, allow_unsigned: bool) -> str | None:
    """Refuse unless trusted; with ALLOW_UNSIGNED log and return the override text."""
    if result.ok:
        return None
    why = "; ".join(result.reasons) or "not trusted"
    if result.clock and not allow_unsigned:
        raise SignatureError(f"{result.file}: catalog refused: {result.clock} (--allow-unsigned would not make the "
                             f"clock right; every later step's dates would be wrong too). All reasons: {why}")
    if not allow_unsigned:
        if not result.signed:
            hint = "an unsigned catalog: bring the signed mssecure.cab, or use --allow-unsigned if you checked it"
        elif not (result.digest_matches and result.signature_valid):
            hint = "copy it again from the original media"
        else:
            hint = "put the publisher's root certificate in trust/, or use --allow-unsigned"
        raise SignatureError(f"{result.file}: catalog refused: {why} ({hint})")
    return f"--allow-unsigned by {getpass.getuser()}: {why}"


def import_catalog(share: Share, cab: Path | None = None, *, xml: Path | None = None,
                   sha256: str | None = None, allow_unsigned: bool = False,
                   config: SiteConfig | None = None) -> ImportResult:
    """Import CAB (default: newest in incoming/) or a bare XML; store; make it current if newer; diff."""
    share.check()
    config = config or share.config()
    with share.lock():
        elements = config.get("catalog", "max_elements")
        if xml is not None:
            return _import_xml(share, Path(xml), sha256, allow_unsigned, elements)
        return _import_cab(share, Path(cab) if cab else newest_cab(share), allow_unsigned,
                           config.get("catalog", "max_extract_bytes"), elements)


def _import_cab(share: Share, cab: Path, allow_unsigned: bool, limit: int, elements: int) -> ImportResult:
    verification = verify_cabinet(cab, load_trust(share.folder("trust")))
    override = _check_signature(verification, allow_unsigned)
    with share.scratch("cab-extract") as tmp:
        extract_cabinet(cab, tmp / "x", max_bytes=limit)
        xml_path = _find_xml(tmp / "x", cab)
        data = xml_path.read_bytes()
        catalog = parse_catalog(data, f"{cab}: {xml_path.relative_to(tmp / 'x')}", elements)  # not the temp path
        stored = _with_unscriptable(_store(share, catalog, data, cab, verification.to_dict(), override))
    if override:  # said once it is stored: a catalog refused later was not imported at all
        log.warning("%s: IMPORTED WITHOUT A TRUSTED SIGNATURE (--allow-unsigned): %s", cab,
                    "; ".join(verification.reasons) or "not trusted")
    return stored


def _import_xml(share: Share, xml: Path, sha256: str | None, allow_unsigned: bool, elements: int) -> ImportResult:
    try:
        data = xml.read_bytes()
    except OSError as e:
        raise InputError(f"{xml}: cannot read: {e.strerror}") from e
    actual = hashlib.sha256(data).hexdigest()
    override = None
    if sha256:
        if actual != sha256.strip().lower():
            raise SignatureError(f"{xml}: SHA-256 is {actual}, not the expected {sha256.strip().lower()}")
    elif allow_unsigned:
        override = f"--allow-unsigned by {getpass.getuser()}: bare XML without a signature"
    else:
        raise SignatureError(f"{xml}: a bare mssecure.xml carries no signature; give --sha256 HEX "
                             "(from a trusted source) or --allow-unsigned")
    catalog = parse_catalog(data, str(xml), elements)
    verification = {"file": str(xml), "sha256": actual, "sha256_matched": bool(sha256)}
    stored = _with_unscriptable(_store(share, catalog, data, None, verification, override))
    if override:  # said once it is stored: a catalog refused later was not imported at all
        log.warning("%s: IMPORTED WITHOUT A SIGNATURE (--allow-unsigned)", xml)
    return stored


def _store(share: Share, catalog: Catalog, xml_bytes: bytes, cab: Path | None,
           verification: dict, override: str | None) -> ImportResult:
    folder = share.folder("catalogs") / catalog.data_version
    digest = hashlib.sha256(xml_bytes).hexdigest()
    if folder.exists():
        existing = (folder / store.XML_NAME).read_bytes() if (folder / store.XML_NAME).is_file() else b""
        if hashlib.sha256(existing).hexdigest() != digest:
            raise InputError(f"{folder}: DataVersion {catalog.data_version} is already stored with different "
                             "content; a stored catalog is never overwritten")
        stored = store.find_catalog(share, catalog.data_version)
        current = store.current_version(share) == catalog.data_version
        return ImportResult(catalog, stored, True, verification, override, None, current,
                            None if current else _older_warning(share, catalog))
    record = {
        "data_version": catalog.data_version,
        "imported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "imported_by": getpass.getuser(),
        "source": str(cab) if cab else verification.get("file"),
        "xml_sha256": digest,
        "verification": verification,
        "override": override,
        "counts": catalog.counts(),
    }
    with staged_dir(folder, durable=True) as tmp:
        if cab is not None:
            shutil.copyfile(cab, tmp / store.CAB_NAME)
        (tmp / store.XML_NAME).write_bytes(xml_bytes)
        # the staging folder is renamed into place whole: plain writes are enough inside it
        (tmp / store.JSON_NAME).write_text(store.catalog_json(catalog), encoding="utf-8")
        (tmp / store.RECORD_NAME).write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if override:
        share.audit(f"catalog {catalog.data_version} imported with {override}")
    stored = store.StoredCatalog(catalog.data_version, folder, record)
    before = store.current_version(share) if len(store.list_catalogs(share)) > 1 else None
    if before is not None and before != catalog.data_version and \
            not store.is_newer(catalog, store.find_catalog(share, before)):
        return ImportResult(catalog, stored, False, verification, override, None, False,
                            _older_warning(share, catalog))
    store.set_current(share, catalog.data_version, "import")
    previous = store.find_catalog(share, before) if before and before != catalog.data_version else None
    return ImportResult(catalog, stored, False, verification, override,
                        diff_catalogs(previous.load(), catalog) if previous else None)


def _with_unscriptable(result: ImportResult) -> ImportResult:
    """The import's warning names the values no batch file may hold: each costs only its own patch or file."""
    odd = [a for a in result.catalog.anomalies if a.kind == UNSCRIPTABLE]
    if odd:
        said = (f"{len(odd)} name(s) a batch file cannot hold, each left out of the scripts and collectors on its own "
                f"(the rest are used): {'; '.join(f'{a.where}: {a.detail}' for a in odd[:3])}"
                + (" ..." if len(odd) > 3 else ""))
        result.warning = f"{result.warning}; {said}" if result.warning else said
    return result


def _older_warning(share: Share, catalog: Catalog) -> str:
    current = store.current_version(share)
    if current and store.version_key(catalog.data_version) > store.version_key(current):
        why = f"catalog {current} was chosen with `hfstage catalog use`, although {catalog.data_version} is newer"
    else:
        why = f"catalog {catalog.data_version} is not newer than the current catalog {current}"
    return (f"{why}: {catalog.data_version} is stored, but {current} stays current; to use it: "
            f"hfstage catalog use {share.root} {catalog.data_version}")
