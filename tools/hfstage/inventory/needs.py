"""Which registry keys the inventory needs from a machine, and which of them a collection did not take.

One list for both collectors and for the inventory that reads what they wrote: the keys detection
always reads (data/registry_keys.json), the product rules' probes, the machine settings and the
catalog's RegChanges. In keys mode a collector exports just these; a machine whose last collection
took fewer (a new catalog checks a key it did not export) is an incomplete inventory, naming them.
A key needed for its own values only (a large subtree below it) is taken with its values alone where
the client can; a key needed whole is not covered by such a take of a key above it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hfstage import resources
from hfstage.catalog import Catalog
from hfstage.inventory.rules import rule_keys
from hfstage.inventory.settings import setting_keys

KEYS_NAME = "registry_keys.json"
HKLM = "HKEY_LOCAL_MACHINE\\"
_SHORT = {"HKLM": "HKEY_LOCAL_MACHINE", "HKU": "HKEY_USERS"}


@dataclass(frozen=True)
class Need:
    """A key the inventory reads: whole (its subtree), or only its own values."""

    path: str
    values_only: bool = False


@functools.cache
def base_keys() -> tuple[Need, ...]:
    table = resources.data_json(KEYS_NAME)
    return tuple([Need(k) for k in table["keys"]] + [Need(k, True) for k in table["values"]])


def full_name(key: str) -> str:
    """KEY as regedit /e names it: HKEY_LOCAL_MACHINE\\... (a key without a root is below HKLM)."""
    root, _, rest = key.strip().strip("\\").partition("\\")
    root = _SHORT.get(root.upper(), root)
    if not root.upper().startswith("HKEY_"):
        return HKLM + key.strip().strip("\\")
    return f"{root.upper()}\\{rest}" if rest else root.upper()


def needed_keys(rules: dict, catalog: Catalog | None) -> list[Need]:
    """Every key the inventory reads for RULES and CATALOG, none held by another one, sorted without case.

    The product rules, the machine settings and the catalog read values of the keys they name (a probe
    without a value asks whether the key exists, which its values' take shows too); a named instance's
    keys sit below their parent, which is taken whole."""
    paths = list(setting_keys())
    needs: list[Need] = []
    for rule in rules.get("applications", []):
        paths += [full_name(k) for k in rule_keys(rule, rules)]
    for spec in rules.get("instances", {}).values():
        needs.append(Need(full_name(spec["named"].split("{instance}", 1)[0].rstrip("\\"))))
    for rule in rules.get("os", []):
        paths += [full_name(p["key"]) for p in rule.get("ships_with", [])]
        if isinstance(rule.get("service_pack"), dict):
            paths.append(full_name(rule["service_pack"]["key"]))
    for rc in (catalog.reg_changes.values() if catalog is not None else []):
        if rc.key and rc.key.upper().startswith(("HKLM\\", HKLM)):
            paths.append(full_name(rc.key))
    return outermost([*base_keys(), *needs, *(Need(p, True) for p in paths)])


def holds(taken: Need, need: Need) -> bool:
    """Whether a take of TAKEN (whole, or its values only) holds what NEED asks for."""
    a, b = taken.path.lower().rstrip("\\"), need.path.lower().rstrip("\\")
    if a == b:
        return need.values_only or not taken.values_only
    return not taken.values_only and b.startswith(a + "\\")


def outermost(needs: list[Need]) -> list[Need]:
    """NEEDS without duplicates (compared without case) and without those another of them holds."""
    unique: dict[tuple[str, bool], Need] = {(n.path.lower(), n.values_only): n for n in needs}
    ordered = sorted(unique.values(), key=lambda n: (n.path.count("\\"), n.values_only, n.path.lower()))
    kept: list[Need] = []
    for need in ordered:
        if not any(holds(k, need) for k in kept):
            kept.append(need)
    return sorted(kept, key=lambda n: (n.path.lower(), n.values_only))


def not_taken(needed: list[Need], taken: list[Need]) -> list[Need]:
    """The NEEDED keys no TAKEN key holds."""
    return [n for n in needed if not any(holds(t, n) for t in taken)]
