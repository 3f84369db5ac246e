"""Which Windows a package is for, from its own INF (hotfix.inf, update\\update.inf), and whether a machine
is that Windows: a Terminal Server build on plain NT 4.0, an SP2-only package on SP3, a German package on an
English machine are held back with both named. The key names are a data table (package_targets.json)."""

from __future__ import annotations

import functools
import re

from hfstage import resources
from hfstage.assess import Assessment

TARGETS_NAME = "package_targets.json"
BUILDS = {"4.0": 1381, "5.0": 2195, "5.1": 2600}  # the build each NT version shipped as (CurrentBuildNumber)
_SECTION = re.compile(r"^\s*\[([^\]]{1,64})\]\s*$")
_LINE = re.compile(r"^\s*([A-Za-z0-9_.]{1,64})\s*=\s*(.*?)\s*$")
_STRING = re.compile(r"%([A-Za-z0-9_.]{1,64})%")


@functools.cache
def load_targets() -> dict:
    return resources.data_json(TARGETS_NAME)


def parse_inf(text: str) -> dict[str, dict[str, str]]:
    """Section (casefolded) -> key (casefolded) -> value, quotes and comments dropped, %strings% replaced."""
    sections: dict[str, dict[str, str]] = {}
    current = sections.setdefault("", {})
    for raw in text.splitlines()[:20000]:
        line = raw.split(";", 1)[0] if '"' not in raw else _uncomment(raw)
        m = _SECTION.match(line)
        if m:
            current = sections.setdefault(m.group(1).strip().casefold(), {})
            continue
        m = _LINE.match(line)
        if m:
            current.setdefault(m.group(1).casefold(), m.group(2).strip().strip('"'))
    strings = sections.get("strings", {})
    return {name: {k: _STRING.sub(lambda s: strings.get(s.group(1).casefold(), s.group(0)), v) for k, v in keys.items()}
            for name, keys in sections.items()}


def _uncomment(line: str) -> str:
    """LINE without a ; comment that is outside quotes."""
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == ";" and not quoted:
            return line[:i]
    return line


def inf_target(text: str) -> dict[str, str | int]:
    """The facts package_targets.json names, read from INF TEXT ([Version] first, then any section)."""
    sections = parse_inf(text)
    order = ["version"] + [s for s in sections if s != "version"]
    out: dict[str, str | int] = {}
    for fact, spec in load_targets()["facts"].items():
        for key in spec["keys"]:
            value = next((sections[s][key.casefold()] for s in order if key.casefold() in sections.get(s, {})), None)
            parsed = _parse(value, spec["form"]) if value is not None else None
            if parsed is not None:
                out[fact] = parsed
                break
    return out


def _parse(value: str, form: str) -> str | int | None:
    value = value.strip()
    if form == "text":
        return value[:64] or None
    try:
        number = int(value, 16) if value.lower().startswith("0x") else int(value, 16 if form == "lcid" else 10)
    except ValueError:
        return None
    if form == "sp256":
        return number // 256
    return number


def language_name(lcid: int) -> str:
    code = f"{lcid:04x}"
    return f"{load_targets()['languages'].get(code, 'language')} ({code})"


def target_problem(facts, a: Assessment) -> str | None:
    """Why the package of FACTS is not for the machine of A (None: its INF gives nothing that does not fit)."""
    target = getattr(facts, "target", None) or {}
    if not target:
        return None
    machine = f"this machine is {a.os or 'an unknown Windows'}"
    problems = []
    sp = _sp_number(a.service_pack)
    if sp is not None and "min_sp" in target and sp < target["min_sp"]:
        problems.append(f"it needs Service Pack {target['min_sp']} or later; {machine} at {_sp_text(sp)}")
    if sp is not None and "max_sp" in target and sp > target["max_sp"]:
        problems.append(f"it is for Service Pack {target['max_sp']} or earlier; {machine} at {_sp_text(sp)}")
    build = BUILDS.get(a.version or "")
    if build is not None and "build" in target and target["build"] != build:
        problems.append(f"it is for Windows build {target['build']}; {machine} (build {build})")
    language = _lcid(a.language)
    if language is not None and target.get("language") and target["language"] != language:
        problems.append(f"it is in {language_name(target['language'])}; {machine} in {language_name(language)}")
    suite = str(target.get("suite") or "")
    if suite and suite.casefold() not in (a.os or "").casefold():
        problems.append(f"it is for {suite}; {machine}")
    if not problems:
        return None
    return "held back: the package's own INF says " + "; ".join(problems)


def _sp_number(label: str | None) -> int | None:
    m = re.match(r"(\d{1,2})", label or "")
    return int(m.group(1)) if m else None


def _sp_text(sp: int) -> str:
    return f"Service Pack {sp}" if sp else "no service pack"


def _lcid(text: str | None) -> int | None:
    try:
        return int(text, 16) if text else None
    except ValueError:
        return None
