"""A site bundle: what a central office needs of one site and month, signed by the site.

A ZIP file with fixed member names: manifest.json (site, month, catalog, hfstage version,
each member's SHA-256), manifest.sig (the site key's Ed25519 signature over manifest.json),
machines.json, findings.json, plan.json, results.json. No hive, no file copy, no path
from a client travels. Reading one trusts nothing until the signature and every hash hold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hfstage.errors import InputError, SignatureError, UnsafeInputError

FORMAT = 1
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig"
MEMBERS = ("machines.json", "findings.json", "plan.json", "results.json")
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_BUNDLE_BYTES = 256 * 1024 * 1024
# what one record of each member holds; fields a newer hfstage adds are reported and skipped
KNOWN_FIELDS = {
    "machines.json": {"machine", "os", "service_pack", "role", "status", "status_detail", "applicable", "installed",
                      "missing", "last_reported", "evidence"},
    "findings.json": {"machine", "bulletin", "patch", "severity", "kind", "title"},
    "plan.json": {"order", "bulletin", "title", "patch", "severity", "applies", "machines", "owner", "approver"},
    "results.json": {"machine", "installed", "failed", "gave_up", "blocked", "reboot_required", "last_when"},
}
MANIFEST_FIELDS = {"format", "site_id", "site_name", "month", "created_at", "catalog_version", "hfstage_version",
                   "key", "members", "scan_started_at"}


def key_fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def new_site_key() -> tuple[bytes, bytes]:
    """(private key PEM, public key PEM) of a new Ed25519 site key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as e:
        raise InputError(f"{path}: no site key; make one with `hfstage site keygen SHARE`") from e
    except (OSError, ValueError, TypeError) as e:
        raise InputError(f"{path}: not a readable site key: {e}") from e
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(f"{path}: not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as e:
        raise InputError(f"{path}: not a readable site public key: {e}") from e
    if not isinstance(key, Ed25519PublicKey):
        raise InputError(f"{path}: not an Ed25519 public key")
    return key


def write_bundle(path: Path, manifest: dict, members: dict[str, object], key: Ed25519PrivateKey) -> bytes:
    """The bundle's bytes: MEMBERS as JSON, the manifest with their hashes, its signature (and written to PATH
    by the caller, atomically)."""
    blobs = {name: json.dumps(members[name], sort_keys=True, separators=(",", ":")).encode() for name in MEMBERS}
    manifest = {**manifest, "format": FORMAT, "key": key_fingerprint(key.public_key()),
                "members": {name: hashlib.sha256(blob).hexdigest() for name, blob in blobs.items()}}
    manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in [(MANIFEST, manifest_bytes), (SIGNATURE, key.sign(manifest_bytes)), *blobs.items()]:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


@dataclass
class Bundle:
    """A verified bundle: its manifest, its members (records as dicts), and what was skipped."""

    manifest: dict
    manifest_sha: str
    members: dict[str, list[dict]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)

    @property
    def site_id(self) -> str:
        return self.manifest["site_id"]

    @property
    def month(self) -> str:
        return self.manifest["month"]


def read_manifest(path: Path) -> tuple[zipfile.ZipFile, dict, bytes]:
    """The open ZIP, the parsed manifest and its bytes (nothing is trusted yet)."""
    try:
        size = path.stat().st_size
        if size > MAX_BUNDLE_BYTES:
            raise UnsafeInputError(f"{path}: {size} bytes is larger than a bundle can be ({MAX_BUNDLE_BYTES})")
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, ValueError) as e:
        raise InputError(f"{path}: not a bundle (truncated or damaged: {e})") from e
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    manifest_bytes = _member(zf, MANIFEST, path)
    try:
        manifest = json.loads(manifest_bytes)
    except ValueError as e:
        raise InputError(f"{path}: manifest.json is not JSON: {e}") from e
    if not isinstance(manifest, dict) or not {"site_id", "site_name", "month", "created_at", "members"} <= set(
            manifest) or not isinstance(manifest["members"], dict):
        raise InputError(f"{path}: manifest.json lacks site_id, site_name, month, created_at or members")
    return zf, manifest, manifest_bytes


def verify_bundle(path: Path, zf: zipfile.ZipFile, manifest: dict, manifest_bytes: bytes,
                  public: Ed25519PublicKey) -> Bundle:
    """Check the signature with the site's pinned key and every member's hash; parse what is known."""
    try:
        public.verify(_member(zf, SIGNATURE, path), manifest_bytes)
    except InvalidSignature as e:
        raise SignatureError(f"{path}: the signature does not verify with site {manifest['site_id']}'s key: the "
                               "bundle was changed, or signed by another site") from e
    bundle = Bundle(manifest, hashlib.sha256(manifest_bytes).hexdigest())
    unknown = sorted(set(manifest) - MANIFEST_FIELDS)
    if unknown:
        bundle.skipped.append(f"manifest fields this hfstage does not know: {', '.join(unknown)}")
    for name, expected in sorted(manifest["members"].items()):
        data = _member(zf, name, path)
        if hashlib.sha256(data).hexdigest() != expected:
            raise SignatureError(f"{path}: member {name} does not match its SHA-256 in the manifest: tampered")
        if name not in KNOWN_FIELDS:
            bundle.skipped.append(f"member {name} (from a newer hfstage) was not imported")
            continue
        records = _records(data, name, path)
        extra = sorted({k for r in records for k in r} - KNOWN_FIELDS[name])
        if extra:
            bundle.skipped.append(f"{name}: fields this hfstage does not know were skipped: {', '.join(extra)}")
        bundle.members[name] = records
    missing = [name for name in MEMBERS if name not in bundle.members]
    if missing:
        raise InputError(f"{path}: the bundle lacks {', '.join(missing)}")
    return bundle


def _member(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    try:
        info = zf.getinfo(name)
    except KeyError as e:
        raise InputError(f"{path}: the bundle has no {name}") from e
    if info.file_size > MAX_MEMBER_BYTES:
        raise UnsafeInputError(f"{path}: member {name} would expand to {info.file_size} bytes")
    try:
        with zf.open(info) as f:
            data = f.read(MAX_MEMBER_BYTES + 1)
    except zlib.error as e:  # the compressed stream itself was changed
        raise SignatureError(f"{path}: member {name} was changed or damaged after the site signed the bundle "
                             f"(it no longer decompresses: {e}): carry the bundle again") from e
    except zipfile.BadZipFile as e:
        if "CRC" in str(e):  # the bytes are not those the site wrote, and signed: as a hash mismatch
            raise SignatureError(f"{path}: member {name} was changed or damaged after the site signed the bundle "
                                 "(its CRC does not match): carry the bundle again") from e
        raise InputError(f"{path}: member {name} is damaged: {e}") from e
    except (EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:  # an unknown method, "encrypted"
        raise InputError(f"{path}: member {name} is damaged: {e}") from e
    if len(data) > MAX_MEMBER_BYTES:
        raise UnsafeInputError(f"{path}: member {name} expands beyond {MAX_MEMBER_BYTES} bytes")
    return data


def _records(data: bytes, name: str, path: Path) -> list[dict]:
    try:
        records = json.loads(data)
    except ValueError as e:
        raise InputError(f"{path}: {name} is not JSON: {e}") from e
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError(f"{path}: {name} is not a list of records")
    return records


def parse_time(text: str, path: Path) -> dt.datetime:
    try:
        when = dt.datetime.fromisoformat(str(text))
    except ValueError as e:
        raise InputError(f"{path}: created_at {text!s:.40} is not a time") from e
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
