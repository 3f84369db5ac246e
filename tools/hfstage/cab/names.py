"""Judge cabinet member names: a member must land inside the extraction folder."""

from __future__ import annotations

import re

from hfstage.errors import UnsafeInputError

# Windows device names are special in every folder and with any extension (CON.txt).
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{stem}{n}" for stem in ("COM", "LPT") for n in range(10)
} | {f"{stem}{d}" for stem in ("COM", "LPT") for d in "¹²³"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_FORBIDDEN_CHARS = set('<>:"|?*')


def unsafe_reason(name: str) -> str | None:
    """Why NAME could escape or misbehave in the extraction folder, or None when safe."""
    if name == "":
        return "empty name"
    if "\0" in name:
        return "embedded NUL"
    if any(ord(c) < 32 for c in name):
        return "control character in name"
    if name.startswith(("\\\\", "//")):
        return "UNC path"
    if _DRIVE.match(name):
        return "drive letter"
    if name.startswith(("\\", "/")):
        return "absolute path"
    parts = re.split(r"[\\/]", name)
    for part in parts:
        if part in ("..", "."):
            return "parent-folder ('..') component" if part == ".." else "'.' component"
        if part == "":
            return "empty path component"
        if part.rstrip(" .") != part:
            return "component ends with a space or dot"
        if part.split(".")[0].upper().rstrip() in _DEVICES:
            return f"device name {part.split('.')[0].upper()}"
        if _FORBIDDEN_CHARS & set(part):
            return "character not allowed in Windows file names"
    return None


def safe_parts(name: str, source: str) -> list[str]:
    """NAME split into path components, or UnsafeInputError naming the member and why."""
    reason = unsafe_reason(name)
    if reason:
        raise UnsafeInputError(f"{source}: refusing member {name!r}: {reason}")
    return re.split(r"[\\/]", name)
