"""A line-aware reader for site.ini: sections, `key = value`, comments, continuation lines.

configparser keeps no line numbers, and every site.ini message must name file:line:key.
Keys are compared without case (as configparser does); duplicates are refused with both
lines named, so a second [suppress] section can never silently replace the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import UsageError

_SECTION = re.compile(r"^\[([^\[\]]+)\]\s*(?:[;#].*)?$")
_INLINE_COMMENT = re.compile(r"\s[;#].*$")


@dataclass(frozen=True)
class IniValue:
    key: str  # as written
    value: str
    line: int


@dataclass
class IniSection:
    name: str
    line: int
    values: dict[str, IniValue] = field(default_factory=dict)  # casefolded key -> value


@dataclass
class IniFile:
    path: Path
    sections: dict[str, IniSection] = field(default_factory=dict)  # casefolded name -> section

    def where(self, section: str, key: str | None = None) -> str:
        """'site.ini:12' for a key (or a section), for messages."""
        sec = self.sections.get(section.casefold())
        if sec is None:
            return str(self.path)
        if key is None:
            return f"{self.path}:{sec.line}"
        value = sec.values.get(key.casefold())
        return f"{self.path}:{value.line if value else sec.line}"


def parse_ini(text: str, path: Path) -> IniFile:
    """Parse TEXT; a line that is neither a section, a key, a comment nor a continuation is refused."""
    ini = IniFile(Path(path))
    section: IniSection | None = None
    last: IniValue | None = None
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith((";", "#")):
            continue
        if raw[:1].isspace() and last is not None and section is not None:
            # an indented line continues the value above it (a long baseline list)
            joined = f"{last.value} {_INLINE_COMMENT.sub('', stripped).strip()}".strip()
            last = IniValue(last.key, joined, last.line)
            section.values[last.key.casefold()] = last
            continue
        m = _SECTION.match(stripped)
        if m:
            section = _new_section(ini, m.group(1).strip(), number)
            last = None
            continue
        if "=" not in stripped:
            raise UsageError(f"{path}:{number}: cannot read {_shown(stripped)}: expected [section] or key = value")
        if section is None:
            raise UsageError(f"{path}:{number}: {_shown(stripped)} comes before any [section]")
        key, _, value = stripped.partition("=")
        key, value = key.strip(), _INLINE_COMMENT.sub("", value).strip()
        if not key:
            raise UsageError(f"{path}:{number}: a value without a key")
        folded = key.casefold()
        if folded in section.values:
            raise UsageError(f"{path}:{number}: [{section.name}] {key} is set again "
                             f"(first on line {section.values[folded].line})")
        last = IniValue(key, value, number)
        section.values[folded] = last
    return ini


def _new_section(ini: IniFile, name: str, number: int) -> IniSection:
    folded = name.casefold()
    if folded in ini.sections:
        raise UsageError(f"{ini.path}:{number}: section [{name}] appears again (first on line "
                         f"{ini.sections[folded].line}); merge the two")
    section = IniSection(name, number)
    ini.sections[folded] = section
    return section


def _shown(text: str) -> str:
    """TEXT for a message: printable, and short."""
    clean = "".join(c if c.isprintable() else "?" for c in text)
    return f"'{clean[:60]}'" + ("..." if len(clean) > 60 else "")
