"""Version numbers as the catalog and the registry write them: '5.0.2195.3645', '5,50,4807,1700'."""

from __future__ import annotations

import re

Version = tuple[int, ...]
_VERSION = re.compile(r"^\d+([.,]\d+){0,3}$")


def parse_version(text: object) -> Version | None:
    """A tuple of up to four integers, or None for 'na', '', 'v' and other junk."""
    if isinstance(text, int):
        return (text,)
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not _VERSION.match(text):
        return None
    return tuple(int(p) for p in re.split(r"[.,]", text))


def version_text(version: Version | None) -> str | None:
    return ".".join(str(p) for p in version) if version else None
