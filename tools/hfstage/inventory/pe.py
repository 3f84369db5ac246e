"""PE file versions (a filever for the share): headers and the resource directory only.

pefile with fast_load=True parses the headers; then only the resource directory is
parsed, which is where VERSIONINFO lives (~3 ms/file instead of ~100 ms for a full parse).
"""

from __future__ import annotations

import contextlib
import logging
import struct
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import pefile

from hfstage.errors import InputError
from hfstage.share import read_input
from hfstage.versions import Version
from hfstage.workers import owns_its_memory

log = logging.getLogger(__name__)

_RESOURCE = pefile.DIRECTORY_ENTRY["IMAGE_DIRECTORY_ENTRY_RESOURCE"]
_MACHINES = {0x14C: "i386", 0x8664: "x64", 0x200: "ia64", 0x1C0: "arm", 0xAA64: "arm64", 0x184: "alpha"}
MAX_PE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class PeVersion:
    """Version facts of one PE file; versions are None when it has no VERSIONINFO."""

    path: str
    size: int
    file_version: Version | None
    product_version: Version | None
    file_version_string: str | None
    checksum: int
    machine: str

    def to_dict(self) -> dict:
        d = asdict(self)
        for key in ("file_version", "product_version"):
            d[key] = ".".join(map(str, d[key])) if d[key] else None
        return d


def _split(ms: int, ls: int) -> Version:
    return (ms >> 16, ms & 0xFFFF, ls >> 16, ls & 0xFFFF)


def _string_file_version(pe: pefile.PE) -> str | None:
    return version_strings(pe).get("FileVersion") or None


def _check_resources(pe: pefile.PE, path: Path) -> None:
    """Refuse a resource directory pefile had to give up on, or one that loops back on itself."""
    problems = [w for w in pe.get_warnings() if "resource" in w.lower()]
    if problems:
        raise InputError(f"{path}: damaged resource directory: {problems[0]}")
    root = getattr(pe, "DIRECTORY_ENTRY_RESOURCE", None)
    directories = pe.OPTIONAL_HEADER.DATA_DIRECTORY
    declared = directories[_RESOURCE] if len(directories) > _RESOURCE else None
    if declared is not None and declared.VirtualAddress and declared.Size and not getattr(root, "entries", None):
        # pefile drops entries it cannot follow (a loop, a bad offset) without a warning
        raise InputError(f"{path}: damaged resource directory: {declared.Size} bytes declared at RVA "
                         f"0x{declared.VirtualAddress:x}, but no entry in it can be followed")
    stack = [(entry, {0}) for entry in getattr(root, "entries", [])]
    while stack:
        entry, ancestors = stack.pop()
        if not entry.struct.DataIsDirectory:
            continue
        offset = entry.struct.OffsetToDirectory
        if offset in ancestors:
            raise InputError(f"{path}: damaged resource directory: entry at 0x{entry.struct.get_file_offset():x} "
                             "points back to a directory that contains it (a loop)")
        sub = getattr(entry, "directory", None)
        stack.extend((child, ancestors | {offset}) for child in getattr(sub, "entries", []))


def _not_pe(data: bytes) -> str | None:
    """Why DATA cannot be a PE file, told before pefile is asked: pefile's refusal runs a full garbage
    collection (40 ms with a catalog in memory), and a catalog names .crl and .cat files too. Its words."""
    if len(data) < 64:
        return "Unable to read the DOS Header, possibly a truncated file."
    if data[:2] == b"ZM":
        return "Probably a ZM Executable (not a PE file)."
    if data[:2] != b"MZ":
        return "DOS Header magic not found."
    return None


def open_pe(data: bytes, path: Path | str) -> pefile.PE:
    """DATA parsed as a PE file: headers and the resource directory, checked; InputError if it is not one."""
    why = _not_pe(data)
    if why is not None:
        raise InputError(f"{path}: not a PE file: {why}")
    try:
        return _parse(data, Path(path))
    except pefile.PEFormatError as e:
        raise InputError(f"{path}: not a PE file: {e.value if hasattr(e, 'value') else e}") from e
    except MemoryError as e:
        if not owns_its_memory():  # a pool worker that earlier items may have left short: it ends, the file is not
            raise  # "damaged" (that would be remembered as the machine's fact)
        raise InputError(f"{path}: damaged PE file: MemoryError") from e
    except (struct.error, ValueError, IndexError, KeyError, AttributeError, TypeError,
            RecursionError, OverflowError) as e:
        raise InputError(f"{path}: damaged PE file: {type(e).__name__}: {str(e)[:120]}") from e


def _parse(data: bytes, path: Path) -> pefile.PE:
    """The PE of DATA with its resource directory, checked; one parsed and then refused is taken apart at once,
    as parsed_pe takes apart one used (a damaged file a client planted 40 times held 849 MiB, a cold review)."""
    pe = pefile.PE(data=data, fast_load=True)
    try:
        pe.parse_data_directories(directories=[_RESOURCE])
        _check_resources(pe, path)
    except BaseException:
        pe.__dict__.clear()
        raise
    return pe


@contextlib.contextmanager
def parsed_pe(data: bytes, path: Path | str) -> Iterator[pefile.PE]:
    """open_pe's PE for the with-block, then taken apart. pefile's sections point back at their PE: a cycle that
    holds the file's bytes, which only the cyclic collector frees, and the month runs it seldom
    (pipeline/collector.py): 400 files of 2 MB read in the run's process held 858 MiB (a cold review)."""
    pe = open_pe(data, path)
    try:
        yield pe
    finally:
        pe.__dict__.clear()  # its sections, and through them the cycle, go with their last reference


def version_strings(pe: pefile.PE) -> dict[str, str]:
    """Every string of the VERSIONINFO string tables (the first language's value wins)."""
    out: dict[str, str] = {}
    for info in getattr(pe, "FileInfo", []) or []:
        for entry in info:
            for table in getattr(entry, "StringTable", []) or []:
                for key, value in table.entries.items():
                    out.setdefault(key.decode("utf-8", "replace"), value.decode("utf-8", "replace").strip())
    return out


def read_pe_version(path: Path, data: bytes | None = None) -> PeVersion:
    """Versions, header CheckSum, machine and size of PATH (or of DATA read from it); InputError if not PE."""
    path = Path(path)
    if data is None:
        data = read_input(path, MAX_PE_BYTES, "system file")
    with parsed_pe(data, path) as pe:
        return pe_version(pe, path, len(data))


def pe_version(pe: pefile.PE, path: Path | str, size: int) -> PeVersion:
    """The versions, header CheckSum, machine and SIZE of PE, the file at PATH."""
    fixed = (getattr(pe, "VS_FIXEDFILEINFO", None) or [None])[0]
    file_version = product_version = None
    if fixed is not None:
        file_version = _split(fixed.FileVersionMS, fixed.FileVersionLS)
        product_version = _split(fixed.ProductVersionMS, fixed.ProductVersionLS)
    return PeVersion(
        path=str(path), size=size, file_version=file_version, product_version=product_version,
        file_version_string=_string_file_version(pe),
        checksum=pe.OPTIONAL_HEADER.CheckSum,
        machine=_MACHINES.get(pe.FILE_HEADER.Machine, f"0x{pe.FILE_HEADER.Machine:04x}"),
    )


def read_pe_versions(paths: list[Path]) -> list[PeVersion | dict]:
    """Each file's versions, or {"path", "error"} for one that is not a readable PE file."""
    rows: list[PeVersion | dict] = []
    for path in paths:
        try:
            rows.append(read_pe_version(path))
        except InputError as e:
            rows.append({"path": str(path), "error": str(e)})
    return rows
