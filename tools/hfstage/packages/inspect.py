"""What a package under hotfixes\\ says about itself, read from its bytes; nothing is run.

A PE package shows its installer engine in its resources (IExpress keeps its cabinet and
the command it runs as RCDATA), in a cabinet appended after the image (SFXCAB: Update.exe
or Hotfix.exe and their INF inside), and in its version strings (packages from 2004 name
their "Installer Engine"). A Windows Installer file is a compound file whose root CLSID
says MSI, MSP or MST. The Authenticode signature is read and checked like a catalog's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import struct
import uuid
from dataclasses import dataclass, field

from hfstage.cab import TrustStore, parse_layout, read_member, verify_pe
from hfstage.errors import InputError
from hfstage.inventory import parsed_pe, pe_version, read_pe_version, version_strings
from hfstage.packages.target import inf_target, load_targets

OLE_MAGIC = bytes.fromhex("d0cf11e0a1b11ae1")
CLSIDS = {"000c1084-0000-0000-c000-000000000046": "msi", "000c1086-0000-0000-c000-000000000046": "msp",
          "000c1082-0000-0000-c000-000000000046": "mst"}
RT_RCDATA, RT_MANIFEST = 10, 24
INNER_MAX = 16 * 1024 * 1024  # an update.exe is ~200 KB
_KEPT_STRINGS = ("FileDescription", "InternalName", "OriginalFilename", "ProductName", "CompanyName", "FileVersion",
                 "Installer Engine", "Installer Version", "Build Date", "KB Article Number", "Package Type")
_ASSEMBLY = re.compile(rb"<assemblyIdentity[^>]*?\sname\s*=\s*[\"']([^\"']{1,100})[\"']", re.I)


@dataclass
class PackageFacts:
    """The facts of one package file; `format` is pe, msi, msp, mst, ole, cabinet or other."""

    name: str
    size: int
    sha256: str
    format: str
    strings: dict[str, str] = field(default_factory=dict)
    file_version: str | None = None
    rcdata: list[str] = field(default_factory=list)  # RT_RCDATA names (IExpress: CABINET, RUNPROGRAM, ...)
    run_program: str | None = None  # IExpress RUNPROGRAM
    manifest_name: str | None = None
    members: list[str] = field(default_factory=list)  # of the IExpress CABINET or the appended cabinet
    appended_cabinet: bool = False
    inner_update_version: str | None = None
    linked: str | None = None  # the PE header's link date (TimeDateStamp), YYYY-MM-DD
    target: dict = field(default_factory=dict)  # which Windows its own INF says it is for (packages.target)
    signed: bool = False
    signature_ok: bool = False  # intact and chained to the share's trust anchors
    signature_intact: bool = False  # the digest and the signer's signature verify (trusted or not)
    signer: str | None = None
    signed_at: str | None = None
    signature_problems: list[str] = field(default_factory=list)
    problem: str | None = None  # why it cannot be a package

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict) -> PackageFacts:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def inspect_package(name: str, data: bytes, store: TrustStore | None) -> PackageFacts:
    """The facts of package NAME whose bytes are DATA; STORE checks its signature (None: not checked)."""
    facts = PackageFacts(name, len(data), hashlib.sha256(data).hexdigest(), _format(data))
    if facts.format in ("msi", "msp", "mst", "ole"):
        return facts
    if facts.format != "pe":
        facts.problem = ("a bare cabinet, not an installer" if facts.format == "cabinet" else
                         "not a program or Windows Installer file (a placeholder or a damaged download?)")
        return facts
    try:
        _pe_facts(name, data, facts)
    except InputError as e:
        facts.format, facts.problem = "other", str(e)
        return facts
    except Exception as e:  # noqa: BLE001 - one damaged package is one refused package, never the month
        facts.format, facts.problem = "other", f"{name}: cannot be read: unexpected {type(e).__name__}: {e}"
        return facts
    if store is not None:
        result = verify_pe(data, store, name)
        facts.signed, facts.signature_ok, facts.signer = result.signed, result.ok, result.signer
        facts.signature_intact = result.digest_matches and result.signature_valid
        facts.signed_at, facts.signature_problems = result.timestamp, list(result.reasons)
    return facts


def _format(data: bytes) -> str:
    if data[:2] == b"MZ":
        return "pe"
    if data[:4] == b"MSCF":
        return "cabinet"
    if data[:8] == OLE_MAGIC:
        return _ole_kind(data)
    return "other"


def _ole_kind(data: bytes) -> str:
    """msi, msp or mst from the root entry's CLSID; ole for any other compound file."""
    try:
        shift, first_directory = struct.unpack_from("<H", data, 0x1E)[0], struct.unpack_from("<I", data, 0x30)[0]
        if not 7 <= shift <= 16:
            return "ole"
        root = (first_directory + 1) << shift
        clsid = str(uuid.UUID(bytes_le=data[root + 0x50:root + 0x60]))
    except (struct.error, ValueError):
        return "ole"
    return CLSIDS.get(clsid, "ole")


def _pe_facts(name: str, data: bytes, facts: PackageFacts) -> None:
    with parsed_pe(data, name) as pe:
        _read_pe(name, data, pe, facts)


def _read_pe(name: str, data: bytes, pe, facts: PackageFacts) -> None:
    strings = version_strings(pe)
    facts.strings = {k: strings[k] for k in _KEPT_STRINGS if strings.get(k)}
    version = pe_version(pe, name, len(data)).file_version
    facts.file_version = ".".join(map(str, version)) if version else None
    facts.linked = linked_date(pe.FILE_HEADER.TimeDateStamp)
    resources = _resources(pe)
    facts.rcdata = sorted(resources.get(RT_RCDATA, {}))
    rcdata = resources.get(RT_RCDATA, {})
    if "RUNPROGRAM" in rcdata:
        facts.run_program = rcdata["RUNPROGRAM"].split(b"\0", 1)[0].decode("latin-1").strip()[:200]
    for blob in resources.get(RT_MANIFEST, {}).values():
        m = _ASSEMBLY.search(blob)
        if m:
            facts.manifest_name = m.group(1).decode("latin-1")
    if "CABINET" in rcdata:
        facts.members = _member_names(rcdata["CABINET"], f"{name} (CABINET resource)")
    overlay = _overlay(pe, data)
    if overlay[:4] == b"MSCF":
        names = _member_names(overlay, f"{name} (appended cabinet)")
        if names:
            facts.appended_cabinet, facts.members = True, names
            facts.inner_update_version = _inner_version(overlay, names, name)
            facts.target = _inf_target(overlay, names, name)


def _resources(pe) -> dict[int, dict[str, bytes]]:
    """type id -> resource name (or id as text) -> bytes of its first language, for RCDATA and manifests."""
    out: dict[int, dict[str, bytes]] = {}
    for kind in getattr(getattr(pe, "DIRECTORY_ENTRY_RESOURCE", None), "entries", []):
        if kind.id not in (RT_RCDATA, RT_MANIFEST) or not hasattr(kind, "directory"):
            continue
        for entry in kind.directory.entries:
            label = str(entry.name) if entry.name is not None else str(entry.id)
            languages = getattr(getattr(entry, "directory", None), "entries", [])
            if not languages or not hasattr(languages[0], "data"):
                continue
            struct_ = languages[0].data.struct
            out.setdefault(kind.id, {})[label] = pe.get_data(struct_.OffsetToData, min(struct_.Size, 64 * 1024 * 1024))
    return out


def _overlay(pe, data: bytes) -> bytes:
    """What follows the image (the SFXCAB cabinet), without the certificate table."""
    start = pe.get_overlay_data_start_offset()
    if start is None:
        return b""
    security = pe.OPTIONAL_HEADER.DATA_DIRECTORY[4] if len(pe.OPTIONAL_HEADER.DATA_DIRECTORY) > 4 else None
    end = security.VirtualAddress if security is not None and security.VirtualAddress > start else len(data)
    return data[start:end]


def _member_names(buf: bytes, source: str) -> list[str]:
    try:
        return [m.name for m in parse_layout(buf, source).members]
    except InputError:
        return []


def _inner_version(cabinet: bytes, names: list[str], source: str) -> str | None:
    """The FileVersion of update.exe inside an SFXCAB package, when it is stored whole (not LZX, not a delta)."""
    inner = next((n for n in names if n.replace("/", "\\").casefold().rsplit("\\", 1)[-1] == "update.exe"), None)
    if inner is None:
        return None
    try:
        data = read_member(cabinet, inner, INNER_MAX, source)
        version = read_pe_version(f"{source}\\{inner}", data).file_version if data else None
    except InputError:
        return None
    return ".".join(map(str, version)) if version else None


def linked_date(stamp: int) -> str | None:
    """TimeDateStamp as YYYY-MM-DD (None for 0, which linkers write when asked for no date)."""
    if not stamp:
        return None
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).date().isoformat()


def _inf_target(cabinet: bytes, names: list[str], source: str) -> dict:
    """What the package's own INF (update\\update.inf, hotfix.inf) says it is for; empty when it has none."""
    spec = load_targets()
    members = {n.replace("/", "\\").casefold(): n for n in names}
    for wanted in spec["inf"]:
        inner = members.get(wanted.casefold())
        if inner is None:
            continue
        try:
            data = read_member(cabinet, inner, spec["max_bytes"], source)
        except InputError:
            return {}
        return inf_target(data.decode("latin-1")) if data else {}
    return {}
