"""Safe cabinet extraction: names judged first, size capped, all or nothing on disk.

structures.py parses the directory, names.py decides each member's path, folders.py checks
and decompresses each folder's blocks (stored, MSZIP and Quantum in Python, LZX through the
system libarchive); this module plans and writes. cabextract is the reference reader: every
cabinet it extracts cleanly, hfstage extracts to the same bytes under the same names, unless
a name is unsafe on a Windows share.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from hfstage.cab.folders import folder_data
from hfstage.cab.names import disk_parts, same_path_keys
from hfstage.cab.structures import CabinetLayout, CabMember, parse_layout
from hfstage.errors import InputError, UnsafeInputError, UsageError, q
from hfstage.share import read_input, staged_dir

DEFAULT_MAX_BYTES = 2 * 1024**3
MAX_CABINET_BYTES = 4 * 1024**3  # the CAB format's own limit
INFLATE_MAX = 128 * 1024**2  # what may be inflated in memory to read one member (an update.exe is ~200 KB)


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
    """Every member with its path on disk; refuses the whole cabinet on one bad name."""
    declared = max(layout.uncompressed_size, sum(m.size for m in layout.members))
    if declared > max_bytes:
        raise UnsafeInputError(
            f"{source}: cabinet would expand to {declared} bytes, over the limit of {max_bytes} "
            "(raise [catalog] max_extract_bytes in site.ini if this is expected)"
        )
    seen: dict[str, str] = {}
    planned = []
    for member in layout.members:
        parts = disk_parts(member, source)
        for key in same_path_keys(member, parts):
            if key in seen:
                raise UnsafeInputError(
                    f"{source}: refusing member {q(member.name)}: same path as {q(seen[key])} on a Windows share"
                )
            seen[key] = member.name
        planned.append((member, parts))
    _check_folders_are_not_files(planned, source)
    return planned


def _check_folders_are_not_files(planned, source: str) -> None:
    """A member may not need a folder that another member is ('a' and 'a\\b'): one of them could not be written."""
    files = {"/".join(parts).casefold(): member.name for member, parts in planned}
    for member, parts in planned:
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth]).casefold()
            if folder in files:
                raise InputError(f"{source}: member {q(member.name)} needs a folder where member "
                                 f"{q(files[folder])} is a file")


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
        for folder, members in _by_folder(layout, planned).items():
            data = memoryview(folder_data(buf, layout.folders[folder], _needed(members), str(path)))
            for member, parts in members:
                target = _target(tmp, parts)
                with open(target, "wb") as fh:
                    fh.write(data[member.folder_offset:member.folder_offset + member.size])
                _set_mtime(target, member)
    return [ExtractedMember(m.name, dest.joinpath(*parts), m.size) for m, parts in planned]


def _by_folder(layout: CabinetLayout, planned):
    """The planned members grouped by folder, folders in cabinet order, members in directory order."""
    groups: dict[int, list] = {f.index: [] for f in layout.folders}
    for member, parts in planned:
        groups[member.folder].append((member, parts))
    return {index: members for index, members in groups.items() if members}


def _needed(members) -> int:
    """How many of a folder's bytes its members use: decoding stops there, as cabextract's does."""
    return max(m.folder_offset + m.size for m, _ in members)


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


def read_member(buf: bytes, name: str, max_bytes: int, source: str,
                inflate_max: int = INFLATE_MAX) -> bytes | None:
    """One member of the cabinet in BUF, decompressed in memory; None when it is not there, is larger
    than MAX_BYTES, or sits in an LZX folder (which would need the system libarchive). A member that
    lies further into its folder than INFLATE_MAX bytes is refused before anything is inflated: a
    7 MB file of repeated tiny deflate blocks would otherwise expand to gigabytes to reach it."""
    layout = parse_layout(buf, source)
    member = next((m for m in layout.members if m.name.casefold() == name.casefold()), None)
    if member is None or member.size > max_bytes or layout.folders[member.folder].compression == "lzx":
        return None
    if member.folder_offset + member.size > inflate_max:
        raise UnsafeInputError(f"{source}: refusing to read {q(member.name)}: it lies {member.folder_offset} bytes "
                               f"into its folder, more than the {inflate_max} bytes hfstage inflates to inspect one")
    data = folder_data(buf, layout.folders[member.folder], member.folder_offset + member.size, source)
    return data[member.folder_offset:]
