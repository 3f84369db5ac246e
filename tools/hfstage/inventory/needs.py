"""Which registry keys the inventory needs from a machine, and which of them a collection did not take.

One list for both collectors and for the inventory that reads what they wrote: the keys detection
always reads (data/registry_keys.json), the product rules' probes, the machine settings and the
catalog's RegChanges. In keys mode a collector exports just these; a machine whose last collection
took fewer (a new catalog checks a key it did not export) is an incomplete inventory, naming them.
"""

from __future__ import annotations

import functools

from hfstage import resources
from hfstage.catalog import Catalog
from hfstage.inventory.rules import rule_keys
from hfstage.inventory.settings import setting_keys

KEYS_NAME = "registry_keys.json"
HKLM = "HKEY_LOCAL_MACHINE\\"
_SHORT = {"HKLM": "HKEY_LOCAL_MACHINE", "HKU": "HKEY_USERS"}


@functools.cache
def base_keys() -> tuple[str, ...]:
    return tuple(resources.data_json(KEYS_NAME)["keys"])


def full_name(key: str) -> str:
    """KEY as regedit /e names it: HKEY_LOCAL_MACHINE\\... (a key without a root is below HKLM)."""
    root, _, rest = key.strip().strip("\\").partition("\\")
    root = _SHORT.get(root.upper(), root)
    if not root.upper().startswith("HKEY_"):
        return HKLM + key.strip().strip("\\")
    return f"{root.upper()}\\{rest}" if rest else root.upper()


def needed_keys(rules: dict, catalog: Catalog | None) -> list[str]:
    """Every key the inventory reads for RULES and CATALOG, outermost only (a key inside another listed key
    comes with it), sorted without case."""
    paths = [*base_keys(), *setting_keys()]
    for rule in rules.get("applications", []):
        paths += [full_name(k) for k in rule_keys(rule, rules)]
    for rule in rules.get("os", []):
        paths += [full_name(p["key"]) for p in rule.get("ships_with", [])]
        if isinstance(rule.get("service_pack"), dict):
            paths.append(full_name(rule["service_pack"]["key"]))
    for rc in (catalog.reg_changes.values() if catalog is not None else []):
        if rc.key and rc.key.upper().startswith(("HKLM\\", HKLM)):
            paths.append(full_name(rc.key))
    return outermost(paths)


def outermost(paths: list[str]) -> list[str]:
    """PATHS without duplicates (compared without case) and without keys inside another of them."""
    kept: list[str] = []
    for path in sorted({p.lower(): p for p in paths}.values(), key=lambda p: (p.count("\\"), p.lower())):
        if not any(covers(k, path) for k in kept):
            kept.append(path)
    return sorted(kept, key=str.lower)


def covers(taken: str, key: str) -> bool:
    """Whether an export of TAKEN holds KEY (the key itself or one below it)."""
    taken, key = taken.lower().rstrip("\\"), key.lower().rstrip("\\")
    return key == taken or key.startswith(taken + "\\")


def not_taken(needed: list[str], taken: list[str]) -> list[str]:
    """The NEEDED keys no TAKEN export holds."""
    return [k for k in needed if not any(covers(t, k) for t in taken)]
