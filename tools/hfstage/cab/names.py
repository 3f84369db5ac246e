"""Member names: from a CFFILE's bytes to the path components written on disk, judged first.

MS-CAB: a name whose attributes carry _A_NAME_IS_UTF (0x80) is UTF-8; without it the bytes are
in whatever 8-bit code page the writer's machine used (KOI8 or cp866 on old Russian packages,
Shift-JIS on Japanese ones), which the cabinet does not record. hfstage writes what the
reference reader, cabextract, writes on the same machine: UTF-8 names as UTF-8; 8-bit names
with their bytes unchanged on POSIX (its file names are bytes, and no guess at the code page
can be right for every site), and through the ANSI code page on Windows, as Windows' own
extractors read them. Either way the name is first judged by share.names' Windows rules,
byte by byte for 8-bit names (the separators and reserved characters are ASCII in every
code page these cabinets use), and split on both \\ and / as Windows splits it.
"""

from __future__ import annotations

import os

from hfstage.cab.structures import CabMember
from hfstage.errors import UnsafeInputError
from hfstage.share import safe_parts

_NONCHARACTERS = {"\ufffe", "\uffff"}  # valid UTF-8, but cabextract writes U+FFFD for them


def disk_parts(member: CabMember, source: str) -> list[str]:
    """MEMBER's path components as they are written to disk, or the reason it is refused."""
    if member.utf8:
        return safe_parts(_utf8_name(member, source), source)
    return [_native(p.encode("latin-1")) for p in safe_parts(member.name, source)]


def same_path_keys(member: CabMember, parts: list[str]) -> set[str]:
    """Keys under which two members would land on one file of a case-insensitive share: the name
    as written, and for 8-bit names also as read in Latin-1 (the case pairs of KOI8, cp1251 and
    Latin-1 share their byte values)."""
    keys = {"/".join(parts).casefold()}
    if not member.utf8:
        keys.add(member.name.replace("\\", "/").casefold())
    return keys


def _utf8_name(member: CabMember, source: str) -> str:
    try:
        text = member.raw_name.decode("utf-8")
    except UnicodeDecodeError as e:
        raise UnsafeInputError(
            f"{source}: refusing member '{member.name}': its name is marked UTF-8 (_A_NAME_IS_UTF) "
            f"but byte {e.start} (0x{member.raw_name[e.start]:02x}) is not valid UTF-8") from e
    if _NONCHARACTERS & set(text):
        raise UnsafeInputError(f"{source}: refusing member '{member.name}': its name holds U+FFFE or U+FFFF, "
                               "which are not characters")
    return text


def _native(component: bytes) -> str:
    """An 8-bit name component as this machine's file APIs take it (see the module docstring)."""
    if os.name == "nt":  # pragma: no cover - hfstage's tests run on POSIX
        return component.decode("mbcs", "replace")
    return os.fsdecode(component)
