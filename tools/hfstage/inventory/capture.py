"""What of a machine's registry a later catalog may ask about, kept so a new catalog needs no hive again.

A new catalog mostly asks about the keys the last one asked about, or about new keys beside them (a new
bulletin's Hotfix\\Qnnnnnn). So the capture keeps, for every key the catalog checks: its values, the
values of every key beside it (its parent's other subkeys, when there are few), and the subkey names of
each key above it. A key a later catalog asks about is then answered from the capture: its values, or
"absent" because a listed parent does not have it. Anything else (a key under a parent too large to
keep, a key below one that exists but was never listed) is not guessed: NotCaptured, and the machine's
inputs are read again.
"""

from __future__ import annotations

import functools

from hfstage.errors import InputError
from hfstage.inventory.regtree import Hklm, KeyPlan, RegValue, key_names

# What a capture keeps is bounded whatever a client's hive holds (a key not kept is only read again when asked):
SIBLINGS_MAX = 256  # subkeys of one parent kept whole (Hotfix, Updates\...\SPn, Installed Components)
VALUES_MAX = 256  # values of one key kept
VALUE_TEXT_MAX = 4096  # characters of one value kept (a key holding a longer one is not kept)
KEYS_MAX = 4096  # keys whose values one capture keeps


class NotCaptured(Exception):  # noqa: N818 - a question, not a failure: the machine is read again
    """The capture cannot answer for this key: the machine's inputs must be read again."""


def reg_text(value: RegValue) -> str:
    """A registry value as the facts show it."""
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return "\n".join(value)
    return str(value)


def capture_registry(hklm, asks) -> dict:
    """The part of HKLM around every key a catalog checks (ASKS: its CatalogAsks; see the module's docstring), as
    JSON-ready data.

    A part that cannot be read (a damaged or over-budget hive region) is left out: asked for later, it
    makes the machine be read again, never answered."""
    out = {"set": hklm.lookup_set, "values": {}, "absent": [], "lists": {}}
    gone: set[str] = set()  # absent keys, kept or not: one below a key known absent or listed need not be kept
    plan, _, kept = asks.registry_plan(hklm.lookup_set)
    live = isinstance(hklm, Hklm)
    for path, parent, index in kept:
        try:
            key = hklm.planned(plan, index) if index is not None and live else hklm.key(path)
        except InputError:
            continue  # a damaged part is not kept: asked for, it is read again from the hive
        _keep(key, path, out, parent, gone)
    return out


def kept_keys(plan: KeyPlan, keys: tuple[str, ...]) -> tuple[tuple[str, bool, int | None], ...]:
    """Every key a capture keeps for the catalog's KEYS (_plan's), with its index in PLAN (the catalog's KeyPlan,
    through which Hklm.planned reaches it); made once per catalog and control set (CatalogAsks.registry_plan)."""
    return tuple((path, parent, plan.find(key_names(path, plan.lookup_set)))
                 for path, parent in _plan(keys, plan.lookup_set))


@functools.lru_cache(maxsize=16)
def _plan(keys: tuple[str, ...], lookup_set: str) -> tuple[tuple[str, bool], ...]:
    """Every key to keep for KEYS, and whether it is a parent (its subkeys' values kept too); once a catalog."""
    plan: dict[str, bool] = {}
    for path in keys:
        names = key_names(path, lookup_set)
        if names is not None:
            for depth in range(1, len(names) + 1):
                here = "\\".join(names[:depth])
                plan[here] = plan.get(here, False) or depth == len(names) - 1
    return tuple(plan.items())


def _keep(key, path: str, out: dict, siblings: bool, gone: set[str]) -> None:
    """Keep KEY, at PATH: absent (None; unless a key above says so), or its values and subkey names (when few),
    and with SIBLINGS its subkeys' values."""
    try:
        if key is None:
            gone.add(path)
            parent = path.rpartition("\\")[0]
            if parent not in gone and parent not in out["lists"]:
                out["absent"].append(path)
            return
        _keep_values(key, path, out)
        if not _few(key):
            return
        children = key.subkeys()
        out["lists"][path] = sorted(c.name.lower() for c in children)
        for child in children if siblings else []:
            _keep_values(child, f"{path}\\{child.name.lower()}", out)
    except InputError:
        return  # a damaged part is not kept: asked for, it is read again from the hive


def _few(key) -> bool:
    try:
        return len(key.subkeys()) <= SIBLINGS_MAX
    except InputError:
        return False


def _keep_values(key, path: str, out: dict) -> None:
    try:
        values = key.values()
    except InputError:
        return
    if len(values) > VALUES_MAX or len(out["values"]) >= KEYS_MAX:
        return
    # values() holds one name of each spelling without case, with the value key.value(name) answers
    kept = {name.lower(): None if value is None else reg_text(value) for name, value in values.items()}
    if all(text is None or len(text) <= VALUE_TEXT_MAX for text in kept.values()):
        out["values"][path] = kept


class CapturedKey:
    """A captured key: its values as text, looked up without case."""

    def __init__(self, values: dict[str, str | None]) -> None:
        self._values = values

    def value(self, name: str) -> str | None:
        return self._values.get(name.lower())


class CapturedHklm:
    """HKLM as far as a capture tells it: `key` answers, or raises NotCaptured."""

    def __init__(self, data: dict) -> None:
        self.lookup_set = data["set"]
        self._values = data["values"]
        self._absent = set(data["absent"])
        self._lists = data["lists"]

    def key(self, path: str) -> CapturedKey | None:
        return self.answer(question(path, self.lookup_set))

    def answer(self, asked: Question) -> CapturedKey | None:
        """The key ASKED (`question`'s, made once per catalog for 5,000 machines), or None when it is absent."""
        values = self.values(asked)
        return None if values is None else CapturedKey(values)

    def values(self, asked: Question) -> dict[str, str | None] | None:
        """The values of the key ASKED as kept (by lowered name, as text), or None when the key is absent."""
        path, here, above = asked
        if here is None:
            return None
        if here in self._values:
            return self._values[here]
        if here in self._absent:
            return None
        for parent, name in above:  # the nearest key above that knows
            if parent in self._absent:
                return None
            if parent in self._lists:
                if name not in self._lists[parent]:  # a sorted list: a few hundred names at most
                    return None
                break
        raise NotCaptured(path)


# (the path asked, its key's names joined without case or None outside SOFTWARE and SYSTEM, (each key above it,
# the name below that key on the way), the nearest first): what a capture is asked, split once per catalog
Question = tuple[str, str | None, tuple[tuple[str, str], ...]]


@functools.lru_cache(maxsize=8192)
def question(path: str, lookup_set: str) -> Question:
    """PATH as CapturedHklm.answer asks it under LOOKUP_SET (CatalogAsks.questions makes the catalog's once)."""
    names = key_names(path, lookup_set)
    if names is None:
        return path, None, ()
    return path, _joined(names), tuple((above, names[depth]) for depth, above in _above(names))


@functools.lru_cache(maxsize=8192)
def _joined(names: tuple[str, ...]) -> str:
    return "\\".join(names)


@functools.lru_cache(maxsize=8192)
def _above(names: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(depth, path) of every key above NAMES' key, the nearest first."""
    return tuple((depth, "\\".join(names[:depth])) for depth in range(len(names) - 1, 0, -1))
