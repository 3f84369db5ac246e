"""One read-only view of HKLM over either offline hives or .reg exports.

Detection code asks `hklm.key("SOFTWARE\\Microsoft\\...")` and never knows whether the
answer came from a REGF hive (python-registry) or from regedit text.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Protocol

RegValue = str | int | bytes | list[str] | None


class RegKey(Protocol):
    """A registry key: case-insensitive lookups, decoded values."""

    name: str

    def value(self, name: str) -> RegValue: ...

    def values(self) -> dict[str, RegValue]: ...

    def subkey(self, name: str) -> RegKey | None: ...

    def subkeys(self) -> list[RegKey]: ...

    @property
    def last_write(self) -> dt.datetime | None: ...


@dataclass
class TextKey:
    """A key built from .reg text (or by tests); names compared case-insensitively."""

    name: str
    _values: dict[str, tuple[str, RegValue]] = field(default_factory=dict)
    _subkeys: dict[str, TextKey] = field(default_factory=dict)

    def value(self, name: str) -> RegValue:
        found = self._values.get(name.lower())
        return found[1] if found else None

    def values(self) -> dict[str, RegValue]:
        return {n: v for n, v in self._values.values()}

    def subkey(self, name: str) -> TextKey | None:
        return self._subkeys.get(name.lower())

    def subkeys(self) -> list[TextKey]:
        return list(self._subkeys.values())

    @property
    def last_write(self) -> dt.datetime | None:
        return None  # .reg exports carry no timestamps

    def ensure(self, name: str) -> TextKey:
        return self._subkeys.setdefault(name.lower(), TextKey(name))

    def set(self, name: str, value: RegValue) -> None:
        self._values[name.lower()] = (name, value)

    def delete_value(self, name: str) -> None:
        self._values.pop(name.lower(), None)

    def delete_subkey(self, name: str) -> None:
        self._subkeys.pop(name.lower(), None)


def walk(root: RegKey | None, path: str) -> RegKey | None:
    """The key at backslash-separated PATH below ROOT, or None."""
    key = root
    for part in (p for p in path.split("\\") if p):
        if key is None:
            return None
        key = key.subkey(part)
    return key


class Hklm:
    """HKLM assembled from a SOFTWARE root and a SYSTEM root (either may be missing).

    Offline SYSTEM hives have no CurrentControlSet: it is ControlSet00N where N is
    Select\\Current. .reg exports from Windows 9x name CurrentControlSet literally.
    """

    def __init__(self, software: RegKey | None, system: RegKey | None, users: RegKey | None = None) -> None:
        self.software = software
        self.system = system
        self.users = users  # HKEY_USERS, from .reg exports only (the 9x collector exports .DEFAULT)
        self._keys: dict[str, RegKey | None] = {}  # the catalog asks for the same keys many times
        self._nodes: dict[tuple[str, ...], RegKey | None] = {}  # by key_names: a key reached by any spelling
        self._planned: dict[KeyPlan, list] = {}  # each plan's keys by index, reached when first asked
        # where CurrentControlSet is read, and the name evidence gives it: exports name CurrentControlSet
        # literally, and with Select\\Current exported too, their evidence names the set a hive would
        self._lookup_set, self.control_set = self._control_set()

    def _control_set(self) -> tuple[str, str]:
        if self.system is None:
            return "CurrentControlSet", "CurrentControlSet"
        current = walk(self.system, "Select")
        number = current.value("Current") if current is not None else None
        named = f"ControlSet{number:03d}" if isinstance(number, int) else None
        if walk(self.system, "CurrentControlSet") is not None:
            return "CurrentControlSet", named or "CurrentControlSet"
        return named or "ControlSet001", named or "ControlSet001"

    def key(self, path: str) -> RegKey | None:
        """Key at 'SOFTWARE\\...' or 'SYSTEM\\...' (HKLM\\ and HKEY_LOCAL_MACHINE\\ accepted)."""
        cache_key = path.lower()
        if cache_key not in self._keys:
            self._keys[cache_key] = self._lookup(path)
        return self._keys[cache_key]

    @property
    def lookup_set(self) -> str:
        """The control set a SYSTEM\\CurrentControlSet path is read from."""
        return self._lookup_set

    def _lookup(self, path: str) -> RegKey | None:
        below_users = users_path(path)
        if below_users is not None:
            return walk(self.users, below_users)
        names = key_names(path, self._lookup_set)
        return self._node(names) if names is not None else None

    def _node(self, names: tuple[str, ...]) -> RegKey | None:
        """The key at NAMES (key_names'), through its parent, remembered: the catalog's hundreds of keys share
        a few dozen parents."""
        if names not in self._nodes:
            if len(names) == 1:
                node = self.software if names[0] == "software" else self.system
            else:
                parent = self._node(names[:-1])
                node = parent.subkey(names[-1]) if parent is not None else None
            self._nodes[names] = node
        return self._nodes[names]

    def planned(self, plan: KeyPlan, index: int) -> RegKey | None:
        """The key at PLAN's INDEX, as `key` answers for its path: reached through its parent when first asked (a
        key that could not be read is asked of its parent again, as `key` does), then remembered."""
        reached = self._planned.get(plan)
        if reached is None:
            reached = self._planned[plan] = [_UNREACHED] * len(plan.names)
        node = reached[index]
        if node is _UNREACHED:
            parent = plan.parents[index]
            if parent < 0:
                node = self.software if plan.names[index] == "software" else self.system
            else:
                above = self.planned(plan, parent)
                node = above.subkey(plan.names[index]) if above is not None else None
            reached[index] = node
        return node

    def value(self, path: str, name: str) -> RegValue:
        key = self.key(path)
        return key.value(name) if key is not None else None


_UNREACHED = object()


class KeyPlan:
    """The keys a catalog asks every machine about, under one control set, as a tree of key names made once: a
    machine's Hklm answers each by its index, reaching it through its parent, with no path split, lowered or
    hashed again (5,000 machines ask the same few hundred keys)."""

    def __init__(self, lookup_set: str) -> None:
        self.lookup_set = lookup_set
        self._index: dict[tuple[str, ...], int] = {}
        self.parents: list[int] = []  # each key's parent's index; -1 for a hive's root
        self.names: list[str] = []  # each key's name without case (a hive's root: software or system)

    def at(self, path: str) -> int | None:
        """The index of the key at PATH (as Hklm.key reads it); None for a path outside SOFTWARE and SYSTEM."""
        names = key_names(path, self.lookup_set)
        return None if names is None else self.add(names)

    def find(self, names: tuple[str, ...]) -> int | None:
        """The index of the key at NAMES, None when the plan does not hold it."""
        return self._index.get(names)

    def add(self, names: tuple[str, ...]) -> int:
        """The index of the key at NAMES (key_names'), added with the keys above it."""
        found = self._index.get(names)
        if found is None:
            parent = self.add(names[:-1]) if len(names) > 1 else -1
            found = self._index[names] = len(self.names)
            self.parents.append(parent)
            self.names.append(names[-1])
        return found


@functools.lru_cache(maxsize=8192)
def users_path(path: str) -> str | None:
    """The path below HKEY_USERS of an HKU\\ or HKEY_USERS\\ PATH, else None."""
    parts = [p for p in path.split("\\") if p]
    return "\\".join(parts[1:]) if parts and parts[0].upper() in ("HKU", "HKEY_USERS") else None


@functools.lru_cache(maxsize=8192)
def key_names(path: str, lookup_set: str) -> tuple[str, ...] | None:
    """PATH's key names as Hklm reads them, without case: the hive's, then each below it (5,000 machines ask the
    same catalog's keys); None outside SOFTWARE and SYSTEM."""
    found = hklm_parts(path, lookup_set)
    return None if found is None else (found[0].lower(), *(p.lower() for p in found[1]))


def hklm_parts(path: str, lookup_set: str) -> tuple[str, list[str]] | None:
    """(SOFTWARE or SYSTEM, the names below it) of an HKLM PATH as Hklm reads it, CurrentControlSet read
    as LOOKUP_SET; None for a path outside those two hives."""
    parts = [p for p in path.split("\\") if p]
    if parts and parts[0].upper() in ("HKLM", "HKEY_LOCAL_MACHINE"):
        parts = parts[1:]
    if not parts or parts[0].upper() not in ("SOFTWARE", "SYSTEM"):
        return None
    hive, rest = parts[0].upper(), parts[1:]
    if hive == "SYSTEM" and rest and rest[0].lower() == "currentcontrolset":
        rest = [lookup_set] + rest[1:]
    return hive, rest
