"""Safe cabinet extraction: names judged first, size capped, all or nothing on disk.

Stored and MSZIP folders are decompressed by cabarchive (pure Python); cabinets with LZX
or Quantum folders go through libarchive-c over the system libarchive.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from hfstage.cab.structures import CabinetLayout, CabMember, parse_layout
from hfstage.errors import InputError, UnsafeInputError, UnsupportedError, UsageError, q
from hfstage.share import read_input, safe_parts, staged_dir

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_CABINET_BYTES = 4 * 1024**3  # the CAB format's own limit
_CABARCHIVE_KINDS = {"none", "mszip"}


@dataclass(frozen=True)
class ExtractedMember:
    """A member written to disk: its name in the cabinet and its path."""

    name: str
    path: Path
    size: int


def read_cabinet(path: Path) -> tuple[bytes, CabinetLayout]:
    """Read PATH and parse its directory, with errors naming the file."""
    buf = read_input(path, MAX_CABINET_BYTES, "cabinet")
    return buf, parse_layout(buf, str(path))


def plan_members(layout: CabinetLayout, source: str, max_bytes: int) -> list[tuple[CabMember, list[str]]]:
    """Every member with its safe relative path; refuses the whole cabinet on one bad name."""
    declared = max(layout.uncompressed_size, sum(m.size for m in layout.members))
    if declared > max_bytes:
        raise UnsafeInputError(
            f"{source}: cabinet would expand to {declared} bytes, over the limit of {max_bytes} "
            "(raise [catalog] max_extract_bytes in site.ini if this is expected)"
        )
    seen: dict[str, str] = {}
    planned = []
    for member in layout.members:
        parts = safe_parts(member.name, source)
        key = "/".join(parts).casefold()
        if key in seen:
            raise UnsafeInputError(
                f"{source}: refusing member {q(member.name)}: same path as {q(seen[key])} on a Windows share"
            )
        seen[key] = member.name
        planned.append((member, parts))
    return planned


def extract_cabinet(path: Path, dest: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> list[ExtractedMember]:
    """Extract cabinet PATH into DEST (new or empty folder); nothing is left on failure."""
    dest = Path(dest)
    if dest.exists():
        if not dest.is_dir() or any(dest.iterdir()):
            raise UsageError(f"{dest}: extraction folder exists and is not empty; choose a new folder")
        dest.rmdir()
    buf, layout = read_cabinet(path)
    planned = plan_members(layout, str(path), max_bytes)
    if not planned:
        raise InputError(f"{path}: the cabinet holds no files")
    with staged_dir(dest) as tmp:
        kinds = {f.compression for f in layout.folders}
        if kinds <= _CABARCHIVE_KINDS:
            _write_with_cabarchive(buf, planned, tmp, str(path))
        else:
            _write_with_libarchive(buf, planned, tmp, str(path), max_bytes)
    return [ExtractedMember(m.name, dest.joinpath(*parts), m.size) for m, parts in planned]


def _target(root: Path, parts: list[str]) -> Path:
    target = root.joinpath(*parts)
    # Belt and braces: the names were judged safe, but never write outside ROOT.
    if os.path.commonpath([root.resolve(), target.resolve()]) != str(root.resolve()):
        raise UnsafeInputError(f"{root}: member path {q('/'.join(parts))} resolves outside the folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _set_mtime(path: Path, member: CabMember) -> None:
    """Give the file the cabinet's DOS date and time; a nonsense date is left as now."""
    d, t = member.date, member.time
    try:
        stamp = dt.datetime(1980 + (d >> 9), (d >> 5) & 0xF, d & 0x1F,
                            t >> 11, (t >> 5) & 0x3F, (t & 0x1F) * 2)
    except ValueError:
        return
    os.utime(path, (stamp.timestamp(), stamp.timestamp()))


def _write_with_cabarchive(buf: bytes, planned, root: Path, source: str) -> None:
    from cabarchive import CabArchive
    from cabarchive.errors import CorruptionError, NotSupportedError

    try:
        archive = CabArchive(buf)
    except CorruptionError as e:
        raise InputError(f"{source}: corrupt cabinet data: {e}") from e
    except NotSupportedError as e:
        raise UnsupportedError(f"{source}: {e}") from e
    except (UnicodeDecodeError, IndexError, ValueError) as e:
        raise InputError(f"{source}: corrupt cabinet directory: {e}") from e
    for member, parts in planned:
        entry = archive.get(member.name)
        if entry is None or entry.buf is None or len(entry.buf) != member.size:
            raise InputError(f"{source}: member {q(member.name)} could not be decompressed intact")
        target = _target(root, parts)
        target.write_bytes(entry.buf)
        _set_mtime(target, member)


def _libarchive():
    try:
        import libarchive
    except (ImportError, OSError) as e:  # OSError: the shared library itself is missing
        raise UnsupportedError(
            "this cabinet uses LZX compression, which needs the system libarchive: install "
            "the Debian package libarchive13 (and the Python package libarchive-c)"
        ) from e
    return libarchive


def _write_with_libarchive(buf: bytes, planned, root: Path, source: str, max_bytes: int) -> None:
    libarchive = _libarchive()
    written = 0
    try:
        with libarchive.memory_reader(buf, format_name="cab") as archive:
            for index, entry in enumerate(archive):
                if index >= len(planned):
                    raise InputError(f"{source}: libarchive found more members than the directory lists")
                member, parts = planned[index]
                if entry.pathname.replace("\\", "/") != member.name.replace("\\", "/"):
                    raise InputError(f"{source}: member {index} is {q(entry.pathname)} to libarchive, "
                                     f"{q(member.name)} in the directory")
                target = _target(root, parts)
                size = 0
                with open(target, "wb") as fh:
                    for block in entry.get_blocks():
                        size += len(block)
                        written += len(block)
                        if size > member.size or written > max_bytes:
                            raise UnsafeInputError(f"{source}: member {q(member.name)} expands past its declared size")
                        fh.write(block)
                if size != member.size:
                    raise InputError(f"{source}: member {q(member.name)} decompressed to {size} bytes, "
                                     f"expected {member.size}")
                _set_mtime(target, member)
    except libarchive.ArchiveError as e:
        raise InputError(f"{source}: corrupt cabinet data: {e.msg if hasattr(e, 'msg') else e}") from e


def read_member(buf: bytes, name: str, max_bytes: int, source: str) -> bytes | None:
    """One member of the cabinet in BUF, decompressed in memory (stored or MSZIP folders); None when it is
    not there, is larger than MAX_BYTES, or sits in an LZX or Quantum folder."""
    from cabarchive import CabArchive
    from cabarchive.errors import CorruptionError, NotSupportedError

    layout = parse_layout(buf, source)
    member = next((m for m in layout.members if m.name.casefold() == name.casefold()), None)
    if member is None or member.size > max_bytes or member.folder >= len(layout.folders) \
            or layout.folders[member.folder].compression not in _CABARCHIVE_KINDS:
        return None
    try:
        entry = CabArchive(buf[:layout.cabinet_size]).get(member.name)
    except (CorruptionError, NotSupportedError, UnicodeDecodeError, IndexError, ValueError) as e:
        raise InputError(f"{source}: corrupt cabinet data: {e}") from e
    return entry.buf if entry is not None and entry.buf is not None and len(entry.buf) == member.size else None
