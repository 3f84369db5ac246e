"""What a machine's last collection took, from its collector's manifest.txt, and what it lacks.

A collector lists each key it exported (`hf01=HKEY_LOCAL_MACHINE\\...`, one line per export file):
the inventory reads only those exports (a numbered export of an older, longer list left in the
folder is stale) and names every key the current catalog and rules need that none of them
holds: that machine's inventory is incomplete until it collects again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.inventory.needs import Need, needed_keys, not_taken

_KEY_LINE = re.compile(r"hf\d\d")


@dataclass(frozen=True)
class Collection:
    """The collector's own account of a collection: its mode (keys, hives, or '' from a collector of before
    keys mode) and export file stem -> the key it holds."""

    mode: str = ""
    keys: dict[str, str] = field(default_factory=dict)

    @property
    def keys_mode(self) -> bool:
        return self.mode == "keys"


def collection_of(manifest: dict[str, str]) -> Collection:
    """The Collection a manifest (read_manifest's key=value pairs) describes."""
    keys = {k: v for k, v in manifest.items() if _KEY_LINE.fullmatch(k) and v}
    return Collection(manifest.get("mode", "").lower(), keys)


def missing_keys(collection: Collection, rules: dict, catalog, values: dict[str, bool | None]) -> list[str]:
    """Keys RULES and CATALOG need that a collection of exports did not take (none for whole hives).

    VALUES: export stem -> True when it holds its key's values only (reg query), None when it is not
    believed; any other listed stem holds its key's subtree (or the key is absent from the machine)."""
    if not collection.keys:
        return []
    taken = [Need(path, bool(values.get(stem))) for stem, path in collection.keys.items()
             if not (stem in values and values[stem] is None)]
    return [n.path + (" (its values)" if n.values_only else "")
            for n in not_taken(needed_keys(rules, catalog), taken)]


def missing_text(keys: list[str]) -> str:
    shown = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    return (f"registry keys the catalog or the product rules read, not taken by the machine's last collection "
            f"(it exported the keys an older list named): {shown}; it takes them at its next collection")
