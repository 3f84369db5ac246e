"""Offline REGF hives through python-registry, behind the RegKey interface."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

from Registry import Registry, RegistryParse

from hfstage.errors import InputError
from hfstage.inventory.regtree import RegValue

_PARSE_ERRORS = (RegistryParse.RegistryException, struct.error, ValueError, IndexError, KeyError,
                 UnicodeDecodeError, OverflowError, RecursionError, TypeError, AttributeError)


class HiveKey:
    """A python-registry key; lookups are lazy and case-insensitive."""

    def __init__(self, key: Registry.RegistryKey, source: str) -> None:
        self._key = key
        self._source = source
        self.name = key.name()

    def _guard(self, what: str, fn):
        try:
            return fn()
        except _PARSE_ERRORS as e:
            detail = f"{type(e).__name__}: {str(e)[:80]}".rstrip(": ")
            raise InputError(f"{self._source}: damaged or truncated hive (reading {what}: {detail})") from e

    def value(self, name: str) -> RegValue:
        def find():
            for v in self._key.values():
                if _value_name(v).lower() == name.lower():
                    return _decode(v)
            return None

        return self._guard(f"{self._key.path()}\\{name}", find)

    def values(self) -> dict[str, RegValue]:
        return self._guard(self._key.path(), lambda: {_value_name(v): _decode(v) for v in self._key.values()})

    def subkey(self, name: str) -> HiveKey | None:
        def find():
            try:
                return HiveKey(self._key.subkey(name), self._source)
            except Registry.RegistryKeyNotFoundException:
                return None

        return self._guard(f"{self._key.path()}\\{name}", find)

    def subkeys(self) -> list[HiveKey]:
        return self._guard(self._key.path(), lambda: [HiveKey(k, self._source) for k in self._key.subkeys()])

    @property
    def last_write(self) -> dt.datetime | None:
        stamp = self._guard(self._key.path(), self._key.timestamp)
        return stamp.replace(tzinfo=dt.timezone.utc) if stamp else None


def _value_name(v) -> str:
    """The value's name; python-registry calls the unnamed default value "(default)"."""
    name = v.name()
    return "" if name == "(default)" else name


def _decode(v) -> RegValue:
    try:
        data = v.value()
    except (RegistryParse.RegistryException, UnicodeDecodeError, struct.error, ValueError):
        return v.raw_data() if hasattr(v, "raw_data") else None
    if isinstance(data, str):
        return data.rstrip("\0")
    if isinstance(data, list):  # REG_MULTI_SZ: python-registry keeps the empty terminators
        return [s for s in data if s]
    return data


def open_hive(path: Path) -> HiveKey:
    """The root key of hive file PATH; InputError naming the file when it is not one."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    if magic == b"CREG":
        raise InputError(f"{path}: a Windows 9x CREG registry file, not a REGF hive; collect `regedit /e` "
                         "exports from 9x machines instead")
    if magic != b"regf":
        raise InputError(f"{path}: not a registry hive (expected 'regf' at offset 0, got {magic!r})")
    try:
        reg = Registry.Registry(str(path))
        return HiveKey(reg.root(), str(path))
    except _PARSE_ERRORS as e:
        raise InputError(f"{path}: damaged or truncated hive: {type(e).__name__}: {str(e)[:100]}") from e
