"""Parse regedit exports: REGEDIT4 (ANSI) and version 5.00 (UTF-16LE with BOM).

A line that cannot be parsed becomes a warning with its line number; the rest of the
file is still used (one garbled value should not hide a whole machine). Bounds, checked
before the work: a key path deeper than the registry allows (512 levels) or a key name
longer than 255 characters is such a line, found by counting before anything is split;
more keys and values than [limits] reg_entries refuses the export, so one client's text
cannot cost the server gigabytes of key objects.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import InputError, LimitError, q
from hfstage.inventory.regtree import RegValue, TextKey
from hfstage.share import read_input

HEADER_V4 = "REGEDIT4"
HEADER_V5 = "Windows Registry Editor Version 5.00"
MAX_REG_BYTES = 256 * 1024 * 1024
# "Registry element size limits" (Windows documentation): a key name holds at most 255
# characters, and the tree is at most 512 levels deep.
MAX_KEY_DEPTH = 512
MAX_KEY_NAME = 255
DEFAULT_MAX_ENTRIES = 1_000_000
_HEX_START = re.compile(r"=\s*hex(\([0-9a-fA-F]+\))?:")
_HEX_TYPE = re.compile(r"^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$", re.S)


@dataclass
class RegExport:
    """The key tree of one or more exports, and the lines that could not be read."""

    root: TextKey = field(default_factory=lambda: TextKey(""))
    warnings: list[str] = field(default_factory=list)
    max_entries: int = DEFAULT_MAX_ENTRIES  # keys + values, over every merged file
    entries: int = 0

    def count(self, source: str) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise LimitError(f"{source}: refused: more than {self.max_entries} registry keys and values "
                             "([limits] reg_entries in site.ini); the collectors export far fewer")


def _decode_text(data: bytes, source: str) -> tuple[str, bool]:
    """File text and whether it is a version-5 (Unicode) export."""
    if data.startswith(b"\xff\xfe"):
        text = data[2:].decode("utf-16-le", "replace")
    elif data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", "replace")
    else:
        text = data.decode("cp1252", "replace")
    first = text.lstrip().split("\n", 1)[0].strip()
    if first == HEADER_V5:
        return text, True
    if first == HEADER_V4:
        return text, False
    raise InputError(f"{source}: not a registry export (first line {q(first[:40])}, expected "
                     f"{q(HEADER_V4)} or {q(HEADER_V5)})")


def _logical_lines(text: str):
    """(line number, line) with backslash continuations joined."""
    pending, start = "", 0
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip() if pending else raw.rstrip()
        if not pending:
            start = number
        # Only hex data is wrapped by regedit, with a trailing backslash.
        if line.endswith("\\") and (pending or _HEX_START.search(line)):
            pending += line[:-1]
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def _unquote(s: str) -> tuple[str, str]:
    """Parse a quoted string at the start of S; returns (value, rest)."""
    if not s.startswith('"'):
        raise ValueError("expected a quoted string")
    out, i = [], 1
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            out.append(s[i + 1])
            i += 2
            continue
        if c == '"':
            return "".join(out), s[i + 1:]
        out.append(c)
        i += 1
    raise ValueError("unterminated string")


def _hex_value(kind: str | None, body: str, unicode: bool) -> RegValue:
    raw = bytes(int(b, 16) for b in body.replace(" ", "").split(",") if b)
    type_id = int(kind, 16) if kind else 3
    text_encoding = "utf-16-le" if unicode else "cp1252"
    if type_id in (1, 2):  # REG_SZ, REG_EXPAND_SZ
        return raw.decode(text_encoding, "replace").split("\0", 1)[0]
    if type_id == 7:  # REG_MULTI_SZ
        return [s for s in raw.decode(text_encoding, "replace").split("\0") if s]
    if type_id == 4 and len(raw) == 4:
        return int.from_bytes(raw, "little")
    if type_id == 0xB and len(raw) == 8:
        return int.from_bytes(raw, "little")
    return raw


def _dword(digits: str) -> int:
    """A `dword:` value: 32 bits, at most eight hex digits as regedit writes them (a longer one is no DWORD, and
    one of thousands of digits would pass Python's integer conversion limit)."""
    if not 0 < len(digits) <= 8 or not all(c in string.hexdigits for c in digits):
        raise ValueError(f"dword {q(digits[:20])} is not one to eight hex digits")
    return int(digits, 16)


def _data(text: str, unicode: bool) -> RegValue:
    if text.startswith('"'):
        value, rest = _unquote(text)
        if rest.strip():
            raise ValueError("text after the closing quote")
        return value
    if text.lower().startswith("dword:"):
        return _dword(text[6:].strip())
    m = _HEX_TYPE.match(text)
    if m:
        return _hex_value(m.group(1), m.group(2), unicode)
    raise ValueError(f"unknown value type {q(text[:20])}")


def parse_reg_text(data: bytes, source: str, export: RegExport | None = None) -> RegExport:
    """Merge export DATA into EXPORT (a new one by default)."""
    export = export or RegExport()
    text, unicode = _decode_text(data, source)
    current: TextKey | None = None
    lines = _logical_lines(text)
    next(lines, None)  # header
    for number, line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            continue
        try:
            current = _apply(export, current, stripped, unicode, source)
        except ValueError as e:
            export.warnings.append(f"{source} line {number}: cannot parse ({e}): {q(stripped[:60])}")
    return export


def key_parts(path: str) -> list[str]:
    """The names of key PATH, checked against the registry's own limits before it is split."""
    if path.count("\\") >= MAX_KEY_DEPTH:
        raise ValueError(f"key path deeper than the registry's {MAX_KEY_DEPTH} levels")
    parts = [p for p in path.split("\\") if p]
    if not parts:
        raise ValueError("key line names no key")
    if any(len(p) > MAX_KEY_NAME for p in parts):
        raise ValueError(f"key name longer than the registry's {MAX_KEY_NAME} characters")
    return parts


def ensure_key(export: RegExport, path: str, source: str) -> TextKey:
    """The key PATH of EXPORT, made with its missing parents (each counted against SOURCE's key limit)."""
    key = export.root
    for part in key_parts(path):
        child = key.subkey(part)
        if child is None:
            export.count(source)
            child = key.ensure(part)
        key = child
    return key


def _apply(export: RegExport, current: TextKey | None, line: str, unicode: bool, source: str) -> TextKey | None:
    if line.startswith("["):
        if not line.endswith("]"):
            raise ValueError("key line without closing ']'")
        path = line[1:-1]
        if path.startswith("-"):
            parts = key_parts(path[1:])
            parent = export.root
            for part in parts[:-1]:
                parent = parent.subkey(part)
                if parent is None:
                    return None
            parent.delete_subkey(parts[-1])
            return None
        return ensure_key(export, path, source)
    if current is None:
        raise ValueError("value outside any key")
    if line.startswith("@="):
        name, rest = "", line[2:]
    else:
        name, rest = _unquote(line)
        if not rest.startswith("="):
            raise ValueError("expected '=' after the value name")
        rest = rest[1:]
    rest = rest.strip()
    if rest == "-":
        current.delete_value(name)
    else:
        export.count(source)
        current.set(name, _data(rest, unicode))
    return current


def read_reg_files(paths: list[Path]) -> RegExport:
    """Read and merge several export files in order (an admin's own files); errors name the file."""
    export = RegExport()
    for path in paths:
        parse_reg_text(read_input(path, MAX_REG_BYTES, "registry export"), str(path), export)
    return export
