"""The machine's own settings that shape its scripts: its language (the packages it needs), Windows
Installer's version (how .msp patches are applied), whether XP startup scripts wait for the network
(KB 305293) and how long Windows lets startup scripts run (MaxGPOScriptWait). Where each is read is
data/machine_settings.json; each fact found carries its evidence."""

from __future__ import annotations

import functools

from hfstage import resources
from hfstage.errors import q
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.regtree import Hklm

SETTINGS_NAME = "machine_settings.json"


@functools.cache
def load_settings() -> dict:
    return resources.data_json(SETTINGS_NAME)


def setting_keys() -> list[str]:
    """Every key the table reads, as regedit /e names them (the collectors export them)."""
    table = load_settings()
    keys = [v["key"] for part in ("language", "fast_logon", "script_wait") for v in table[part]["values"]]
    return [k if k.upper().startswith("HKEY_") else "HKEY_LOCAL_MACHINE\\" + k for k in dict.fromkeys(keys)]


def _first(hklm: Hklm, values: list[dict], family: str | None):
    """(value, where, source) of the first listed value the machine has, or None."""
    for spec in values:
        if spec.get("family") not in (None, family):
            continue
        value = hklm.value(spec["key"], spec["value"])
        if value not in (None, ""):
            where = spec["key"] if spec["key"].upper().startswith("HKEY_") else f"HKLM\\{spec['key']}"
            return value, f"{where}\\{spec['value']}".replace("CurrentControlSet", hklm.control_set), spec["source"]
    return None


def read_settings(hklm: Hklm, facts: MachineFacts) -> None:
    """Language, Fast Logon Optimization and the startup-script limit, from the machine's registry."""
    table = load_settings()
    found = _first(hklm, table["language"]["values"], facts.os_family)
    if found is not None:
        code = _lcid(found[0])
        if code is not None:
            facts.language = code
            facts.evidence["language"] = f"{found[1]} = {q(found[0])}"
    if facts.os_family == "NT" and facts.version in table["fast_logon"]["versions"]:
        found = _first(hklm, table["fast_logon"]["values"], None)
        facts.fast_logon = not (found is not None and found[0] == 1)
        facts.evidence["fast_logon"] = (f"{found[1]} = {found[0]}" if found else
                                        "SyncForegroundPolicy not set (XP's default: Fast Logon Optimization)")
    if facts.os_family == "NT" and facts.version in table["script_wait"]["versions"]:
        found = _first(hklm, table["script_wait"]["values"], None)
        wait = found[0] if found is not None and isinstance(found[0], int) else None
        facts.script_wait = wait if wait is not None else table["script_wait"]["default"]
        facts.evidence["script_wait"] = (f"{found[1]} = {wait}" if wait is not None else
                                         f"MaxGPOScriptWait not set: Windows' default, {facts.script_wait} s")


def _lcid(value) -> str | None:
    """A language ID as four lower-case hex digits ('0409'), from '0409', '00000409' or a number."""
    if isinstance(value, int):
        number = value
    else:
        try:
            number = int(str(value).strip(), 16)
        except ValueError:
            return None
    return f"{number:04x}" if 0 < number <= 0xFFFF else None


def installer_file() -> str:
    return load_settings()["installer"]["file"]
