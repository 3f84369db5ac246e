"""site.ini, parsed and checked once into a typed SiteConfig that every stage is handed.

Every section and key hfstage knows is declared in SCHEMA; an unknown one is refused with
its file:line and the nearest known name ("[supress]: did you mean [suppress]?"), so a
typo never silently turns a policy off. Values are checked for their type here; what a
value must match in the catalog (a bulletin that exists, a product the catalog names) is
checked by the stage that uses it, before a month begins.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import UsageError
from hfstage.share.ini import IniFile, IniValue, parse_ini

DEFAULT_UNC = "\\\\SERVER\\hfstage"
MIB = 1024 * 1024
SEVERITY_NAMES = ("Critical", "Important", "Moderate", "Low")
# \\SERVER\share[\dir...], or a drive path every client maps (X:\dir...)
_UNC = re.compile(r"^(\\\\[A-Za-z0-9_.$-]+|[A-Za-z]:)(\\[A-Za-z0-9_.$ -]+)+$")
_SITE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")


def _text(v: IniValue, where: str) -> str:
    return v.value


def _int(low: int, high: int) -> Callable[[IniValue, str], int]:
    def parse(v: IniValue, where: str) -> int:
        try:
            number = int(v.value.replace("_", ""))
        except ValueError:
            raise UsageError(f"{where}: {v.key} = '{v.value}' is not a whole number") from None
        if not low <= number <= high:
            raise UsageError(f"{where}: {v.key} = {number}: use {low} to {high}")
        return number
    return parse


def _bool(v: IniValue, where: str) -> bool:
    value = v.value.lower()
    if value in ("yes", "true", "on", "1"):
        return True
    if value in ("no", "false", "off", "0"):
        return False
    raise UsageError(f"{where}: {v.key} = '{v.value}': use yes or no")


def _choice(*choices: str) -> Callable[[IniValue, str], str]:
    def parse(v: IniValue, where: str) -> str:
        value = v.value.lower()
        if value not in choices:
            raise UsageError(f"{where}: {v.key} = '{v.value}': use {' or '.join(choices)}")
        return value
    return parse


def _list(v: IniValue, where: str) -> list[str]:
    return [p for p in re.split(r"[,\s]+", v.value) if p]


def unc_problem(path: str) -> str | None:
    if not _UNC.fullmatch(path or ""):
        return ("is not a UNC path like \\\\SERVER\\share or a mapped drive path like X:\\hfstage "
                "(letters, digits, spaces, - _ . $ only)")
    return None


def _unc(v: IniValue, where: str) -> str:
    problem = unc_problem(v.value)
    if problem:
        raise UsageError(f"{where}: {v.key} = {v.value} {problem}")
    return v.value.rstrip("\\")


def _site_id(v: IniValue, where: str) -> str:
    if not _SITE_ID.fullmatch(v.value):
        raise UsageError(f"{where}: {v.key} = '{v.value}': use 1-32 letters, digits, . _ -")
    return v.value


def _severity(v: IniValue, where: str) -> str:
    rating = v.value.strip().title()
    if rating not in SEVERITY_NAMES:
        raise UsageError(f"{where}: {v.key} = '{v.value}': use {', '.join(SEVERITY_NAMES)}")
    return rating


def _domain(v: IniValue, where: str) -> str:
    if v.value and not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}", v.value):
        raise UsageError(f"{where}: {v.key} = '{v.value}': a domain name as winbind shows it (letters, digits, . _ -)")
    return v.value


# section -> key -> (parser, default). Sections in FREE_SECTIONS take any key.
REBOOT_MESSAGE = "hfstage installed security updates. Save your work: this computer restarts shortly"
SCHEMA: dict[str, dict[str, tuple[Callable, object]]] = {
    "site": {"name": (_text, ""), "id": (_site_id, "")},
    "share": {"unc": (_unc, None), "netlogon_unc": (_unc, None)},
    "catalog": {"max_extract_bytes": (_int(MIB, 64 * 1024 * MIB), 2 * 1024 * MIB),
                "max_elements": (_int(10_000, 100_000_000), 1_000_000)},
    "limits": {
        "hive_bytes": (_int(MIB, 4096 * MIB), 512 * MIB),
        "export_bytes": (_int(MIB, 4096 * MIB), 128 * MIB),
        "file_bytes": (_int(MIB, 4096 * MIB), 128 * MIB),
        "results_bytes": (_int(64 * 1024, 1024 * MIB), 16 * MIB),
        "tree_entries": (_int(1000, 10_000_000), 100_000),
        "reg_entries": (_int(10_000, 100_000_000), 1_000_000),
        "worker_memory_mib": (_int(256, 1024 * 1024), 4096),
    },
    "detection": {"checksum": (_choice("none", "pe-header"), "none")},
    "baseline": {"patches": (_list, [])},
    # keep_days: how long a replaced generation of scripts\ stays (share.generations: runs begun before a switch)
    "scripts": {"max_attempts": (_int(1, 9), 2), "passive": (_bool, False), "keep_days": (_int(1, 3650), 7)},
    "collect": {"mode": (_choice("keys", "hives"), "keys"), "interval": (_int(0, 365), 1)},
    "reboot": {name: (_text, None) for name in ("nt4", "w2k", "xp", "9x", "95")},
    "reboot_policy": {"workstation": (_choice("auto", "never"), "auto"), "server": (_choice("auto", "never"), "never"),
                      "domain_controller": (_choice("auto", "never"), "never"), "delay": (_int(0, 600), 60),
                      "message": (_text, REBOOT_MESSAGE)},
    "maintenance": {"window": (_text, "")},
    "report": {"stale_days": (_int(1, 3650), 14)},
    "binding": {"domain": (_domain, "")},
    "approval": {"mode": (_choice("auto", "manual"), "auto")},
}
# Sections whose keys are the site's own names (products, bulletins, packages): key -> parser.
FREE_SECTIONS: dict[str, Callable] = {
    "not_applicable": _text, "suppress": _text, "severity": _severity,
    "installers": _text, "switches": _text, "service_packs": _text, "reboot_machines": _choice("auto", "never"),
    "rings": _list,
}


@dataclass(frozen=True)
class Entry:
    """A key of a free section: the name as written, the parsed value, and where it is."""

    key: str
    value: object
    where: str


@dataclass
class SiteConfig:
    """Everything site.ini says, typed, with defaults for what it leaves out."""

    path: Path
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    entries: dict[str, list[Entry]] = field(default_factory=dict)
    ini: IniFile | None = None

    def get(self, section: str, key: str):
        return self.values[section][key]

    def section(self, name: str) -> list[Entry]:
        """The entries of a free section, in file order."""
        return self.entries.get(name, [])

    def mapping(self, name: str) -> dict[str, object]:
        """A free section as casefolded key -> value."""
        return {e.key.casefold(): e.value for e in self.section(name)}

    def where(self, section: str, key: str | None = None) -> str:
        return self.ini.where(section, key) if self.ini else str(self.path)

    @property
    def unc(self) -> str | None:
        """The share's UNC path as clients see it, or None while site.ini leaves it unset."""
        return self.values["share"]["unc"]

    def require_unc(self, what: str) -> str:
        """The UNC path, or a clear refusal for WHAT (scripts must never point at a placeholder)."""
        unc = self.unc
        if unc is None or unc.casefold() == DEFAULT_UNC.casefold():
            raise UsageError(f"{self.path}: [share] unc is not set: {what} must name the share as clients "
                             "reach it (e.g. unc = \\\\DC1\\hfstage)")
        return unc

    @property
    def netlogon_unc(self) -> str | None:
        explicit = self.values["share"]["netlogon_unc"]
        return explicit or (f"{self.unc}\\netlogon" if self.unc else None)


def load_site_config(path: Path) -> SiteConfig:
    """site.ini at PATH parsed and type-checked; a missing file means every default."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        text = ""
    except UnicodeDecodeError as e:
        raise UsageError(f"{path}: not UTF-8 text (byte {e.start}); save it as UTF-8") from e
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror}") from e
    ini = parse_ini(text, path)
    config = SiteConfig(path, ini=ini)
    for name, keys in SCHEMA.items():
        config.values[name] = {key: default for key, (_, default) in keys.items()}
    for folded, section in ini.sections.items():
        if folded in SCHEMA:
            _fixed(config, ini, folded, section)
        elif folded in FREE_SECTIONS:
            parse = FREE_SECTIONS[folded]
            config.entries[folded] = [Entry(v.key, parse(v, f"{path}:{v.line}: [{section.name}]"),
                                            f"{path}:{v.line}") for v in section.values.values()]
        else:
            raise UsageError(f"{path}:{section.line}: unknown section [{section.name}]"
                             + did_you_mean(folded, list(SCHEMA) + list(FREE_SECTIONS), "[{}]"))
    return config


def _fixed(config: SiteConfig, ini: IniFile, name: str, section) -> None:
    keys = SCHEMA[name]
    for folded, v in section.values.items():
        if folded not in keys:
            raise UsageError(f"{ini.path}:{v.line}: [{section.name}] has no key '{v.key}'"
                             + did_you_mean(folded, list(keys), "'{}'"))
        parse, _ = keys[folded]
        config.values[name][folded] = parse(v, f"{ini.path}:{v.line}: [{section.name}]")


def did_you_mean(word: str, known: list[str], shape: str = "{}") -> str:
    """'; did you mean X?' for a near miss, else the list of what is known."""
    by_fold = {k.casefold(): k for k in known}
    close = difflib.get_close_matches(word.casefold(), list(by_fold), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {shape.format(by_fold[close[0]])}?"
    return f" (known: {', '.join(shape.format(k) for k in known)})" if len(known) <= 12 else ""
