"""What belongs to which OS family (data/families.json): registry keys, folders, installer engines.

Windows NT and Windows 95/98/Me share a catalog but not a registry layout, a system
folder or an installer: a check or a package of one family can never pass on the other.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from hfstage import resources

FAMILIES_NAME = "families.json"


@dataclass(frozen=True)
class Foreign:
    """Something of another family than the machine's: which family, and what it is there."""

    family: str  # the family's name ("Windows NT")
    what: str


@functools.cache
def load_families() -> dict:
    """The family table, read once per process (callers only read it)."""
    return resources.data_json(FAMILIES_NAME)


def _others(family: str | None) -> list[dict]:
    table = load_families()["families"]
    return [entry for name, entry in table.items() if family is not None and name != family]


@functools.cache  # pure in its two strings; an assessment asks it for every check of every patch
def foreign_key(key: str, family: str | None) -> Foreign | None:
    """The other family KEY (HKLM\\...) belongs to, when the machine is of FAMILY."""
    lower = key.lower().replace("hkey_local_machine\\", "hklm\\")
    for entry in _others(family):
        for mark in entry["registry"]:
            if lower.startswith(mark["prefix"].lower()):
                return Foreign(entry["name"], mark["what"])
    return None


@functools.cache
def foreign_location(location: str, family: str | None) -> Foreign | None:
    """The other family a catalog folder ('%windir%\\system') belongs to, when the machine is of FAMILY."""
    folder = location.strip().rstrip("\\").lower()
    for entry in _others(family):
        for mark in entry["locations"]:
            if folder == mark["folder"].lower():
                return Foreign(entry["name"], mark["what"])
    return None


def foreign_engine(kind: str | None, family: str | None) -> Foreign | None:
    """The other family an installer kind (hotfix, update, ...) runs on, when the machine is of FAMILY."""
    for entry in _others(family):
        if kind in entry["engines"]:
            return Foreign(entry["name"], f"a {entry['engines'][kind]} package")
    return None


def family_folder(location: str, family: str | None) -> str:
    """LOCATION as FAMILY keeps it: the catalog's %windir%\\system32 is %windir%\\system on Windows 9x."""
    mapped = load_families()["folders"].get(family or "", {})
    folder = location.strip().rstrip("\\")
    return mapped.get(folder.lower(), location)
