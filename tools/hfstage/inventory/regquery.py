"""Parse `reg query KEY` output (no /s): the values of one key, without its subtree.

The collectors read some keys only for their own values (Windows NT\\CurrentVersion's version and
service pack, Session Manager's pending renames) while the subtrees below them are large (Perflib,
Time Zones, Fonts: hundreds of KB a machine). regedit /e cannot leave a subtree out; reg.exe's query
without /s lists the key's values and then its subkeys' names, which are ignored here. A value line is
the name, the type and the data, separated by a tab (reg.exe of XP) or four spaces (2003 and wine's
reg.exe, checked); what is not such a line is a warning. The first key line must be the key the
manifest says the file holds, or the file is not believed (and the key counts as not taken).
"""

from __future__ import annotations

import re

from hfstage.inventory.regfile import RegExport, ensure_key
from hfstage.inventory.regtree import RegValue, TextKey

_SEP = r"(?:\t| {4})"
_VALUE = re.compile(rf"^(?:\t| {{4}})(.*?){_SEP}(REG_[A-Z_]+)(?:{_SEP}(.*))?$")
_ROOTS = {"HKLM": "HKEY_LOCAL_MACHINE", "HKU": "HKEY_USERS"}
NO_NAME = ("(Default)", "<NO NAME>", "(default)")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xff\xfe"):
        return data[2:].decode("utf-16-le", "replace")
    return data.decode("cp1252", "replace")


def _full(path: str) -> str:
    root, _, rest = path.strip().partition("\\")
    return f"{_ROOTS.get(root.upper(), root.upper())}\\{rest}".rstrip("\\")


def _data(kind: str, text: str) -> RegValue:
    if kind in ("REG_DWORD", "REG_QWORD", "REG_DWORD_BIG_ENDIAN"):
        return int(text.strip(), 16) if text.strip().lower().startswith("0x") else int(text.strip())
    if kind == "REG_MULTI_SZ":
        return [s for s in text.split("\\0") if s]
    if kind in ("REG_SZ", "REG_EXPAND_SZ"):
        return text
    return bytes.fromhex(text.strip()) if text.strip() else b""


def parse_reg_query(data: bytes, source: str, expected: str, export: RegExport) -> bool:
    """Merge the values of EXPECTED (its full name) from reg query output DATA into EXPORT; False when the
    output is not reg query's of that key (the file is then not believed, and the key counts as not taken)."""
    key: TextKey | None = None
    text = _decode(data)
    if not text.strip() and expected:  # reg query succeeded (the collector keeps no failed output): an empty key
        ensure_key(export, _full(expected), source)
        return True
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.startswith("! REG.EXE"):
            continue
        if not line[:1].isspace():
            if key is not None:
                break  # the subkeys' names: only this key's values were asked for
            found = _full(line).lower()
            if found.rsplit("\\", 1)[0] == _full(expected).lower():
                ensure_key(export, _full(expected), source)  # no values: reg query lists only its subkeys
                return True
            if found != _full(expected).lower():
                export.warnings.append(f"{source}: not the values of {expected} (its first key is {line[:80]!r})")
                return False
            key = ensure_key(export, _full(line), source)
            continue
        m = _VALUE.match(line)
        if key is None or m is None:
            export.warnings.append(f"{source} line {number}: cannot parse: {line.strip()[:60]!r}")
            continue
        name, kind, text = m.group(1), m.group(2), m.group(3) or ""
        try:
            value = _data(kind, text)
        except ValueError:
            export.warnings.append(f"{source} line {number}: cannot parse {kind} data: {text[:40]!r}")
            continue
        export.count(source)
        key.set("" if name in NO_NAME else name, value)
    return key is not None
