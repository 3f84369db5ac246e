"""Offline REGF hives through python-registry, behind the RegKey interface."""

from __future__ import annotations

import datetime as dt
import io
import struct

from Registry import Registry, RegistryParse

from hfstage.errors import InputError, q
from hfstage.inventory.hivebounds import HiveBudget, subkey_records, value_records
from hfstage.inventory.regtree import RegValue

_PARSE_ERRORS = (RegistryParse.RegistryException, struct.error, ValueError, IndexError, KeyError,
                 UnicodeDecodeError, OverflowError, RecursionError, TypeError, AttributeError)


class HiveKey:
    """A python-registry key; lookups are lazy and case-insensitive, every list read within the hive's budget."""

    def __init__(self, key: Registry.RegistryKey, source: str, budget: HiveBudget, name: str | None = None,
                 block: HBINBlock | None = None) -> None:
        self._key = key
        self._source = source
        self._budget = budget  # shared by the whole hive: each list and record is reached once
        self._block = block  # the block the root hangs below (_root_key): each subkey's record is hung there too
        self.name = key.name() if name is None else name  # NAME: as its parent's list already decoded it
        self._values: dict[str, tuple[str, RegValue]] | None = None
        self._children: dict[str, HiveKey] | None = None

    def _guard(self, what: str, fn):
        """Run FN; a parse error becomes an InputError naming the hive and WHAT (a name below this key)."""
        try:
            return fn()
        except _PARSE_ERRORS as e:
            detail = _why(e)
            try:
                where = f"{self._key.path()}\\{what}".rstrip("\\")
            except _PARSE_ERRORS:
                where = what or self.name
            raise InputError(f"{self._source}: damaged or truncated hive (reading {where}: {detail})") from e

    def _value_map(self) -> dict[str, tuple[str, RegValue]]:
        # Read once per key: the catalog checks the same keys again and again.
        if self._values is None:
            records = self._guard("", lambda: value_records(self._key._nkrecord, self._budget, self.name))
            values = [Registry.RegistryValue(v) for v in records]
            self._values = self._guard("", lambda: _by_name(values))
        return self._values

    def _child_map(self) -> dict[str, HiveKey]:
        # Listing the subkeys once is cheaper than python-registry's lookup, which builds
        # the key's full path for every miss; the wrappers keep their own caches.
        # A key reached twice (a cycle included) is refused by the budget before it is wrapped.
        if self._children is None:
            records = self._guard("", lambda: subkey_records(self._key._nkrecord, self._budget, self.name))
            named = self._guard("", lambda: [(k.name(), k) for k in records])
            self._children = {name.lower(): HiveKey(Registry.RegistryKey(self._below(k)), self._source, self._budget,
                                                    name, self._block) for name, k in named}
        return self._children

    def _below(self, record: RegistryParse.NKRecord) -> RegistryParse.NKRecord:
        """RECORD as python-registry reads it, hung directly below the hive's HBINBlock rather than below the list
        that named it: each offset a record follows climbs its parents to that block, one list and one key a level
        (a key 8 levels down climbed 16 parents for each subkey, value and data it reached)."""
        if self._block is None:
            return record
        return RegistryParse.NKRecord(record._buf, record.offset(), self._block)

    def value(self, name: str) -> RegValue:
        found = self._value_map().get(name.lower())
        return found[1] if found else None

    def values(self) -> dict[str, RegValue]:
        return dict(self._value_map().values())

    def subkey(self, name: str) -> HiveKey | None:
        return self._child_map().get(name.lower())

    def subkeys(self) -> list[HiveKey]:
        return list(self._child_map().values())

    @property
    def last_write(self) -> dt.datetime | None:
        stamp = self._guard("", self._key.timestamp)
        return stamp.replace(tzinfo=dt.timezone.utc) if stamp else None


def _by_name(values: list) -> dict[str, tuple[str, RegValue]]:
    """Each value by its name without case (the last of one spelling wins): (its name, its decoded data)."""
    named = {}
    for v in values:
        name = _value_name(v)
        named[name.lower()] = (name, _decode(v))
    return named


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


def open_hive_bytes(data: bytes, source: str) -> HiveKey:
    """The root key of the hive in DATA (read from SOURCE); InputError naming SOURCE when it is not one."""
    magic = data[:4]
    if magic == b"CREG":
        raise InputError(f"{source}: a Windows 9x CREG registry file, not a REGF hive; collect `regedit /e` "
                         "exports from 9x machines instead")
    if magic != b"regf":
        raise InputError(f"{source}: not a registry hive (expected 'regf' at offset 0, got {q(magic)})")
    declared = 4096 + struct.unpack_from("<I", data, 0x28)[0] if len(data) >= 0x2C else 4096
    if len(data) < declared:
        raise InputError(f"{source}: damaged or truncated hive: its header declares {declared:,} bytes, the file "
                         f"has {len(data):,} (copied while being written, or the copy was cut short)")
    try:
        root = _root_key(Registry.Registry(io.BytesIO(data)))
        budget = HiveBudget(source, len(data))
        budget.claim(root._nkrecord.offset(), "the root key")
        return HiveKey(root, source, budget, block=root._nkrecord.parent())
    except _PARSE_ERRORS as e:
        raise InputError(f"{source}: damaged or truncated hive: {_why(e)}") from e


class HBINBlock(RegistryParse.HBINBlock):
    """python-registry's HBIN block that finds the first HBIN block of its file once, not at every ask.

    Each record python-registry reads turns a cell's offset into a file offset (abs_offset_from_hbin_offset) by
    climbing its parents to the block whose class is named "HBINBlock" (hence this class's name) and asking it
    for the file's first HBIN block, which it builds anew from the file every time: two reads and a check for
    each record reached (some 50 a machine of bench/site.py). The file's bytes do not change while it is open, so
    neither does the block found; a block that cannot be found is not kept, and every ask raises again as before.
    """

    _first: RegistryParse.HBINBlock | None = None

    def first_hbin(self) -> RegistryParse.HBINBlock:
        if self._first is None:
            self._first = super().first_hbin()
        return self._first


def _root_key(hive: Registry.Registry) -> Registry.RegistryKey:
    """HIVE's root key as python-registry reads it (Registry.root), below an HBINBlock of this module: the block
    every record below the root climbs to."""
    root = hive.root()._nkrecord
    block = root.parent()
    return Registry.RegistryKey(RegistryParse.NKRecord(root._buf, root.offset(), HBINBlock(root._buf, block.offset(),
                                                                                             block.parent())))


def unclean_sequence(data: bytes) -> tuple[int, int] | None:
    """The REGF header's two sequence numbers when they differ, else None.

    Windows raises the first before it writes a hive and sets the second equal once the write is complete:
    a hive copied from a mounted drive with them unequal was not cleanly written, and the changes since are
    in its transaction log (SYSTEM.LOG) beside it, which hfstage does not apply."""
    if len(data) < 12 or data[:4] != b"regf":
        return None
    primary, secondary = struct.unpack_from("<II", data, 4)
    return (primary, secondary) if primary != secondary else None


def _why(error: Exception) -> str:
    """What a parse error means for an admin: a record that runs off the end, or the parser's words."""
    if isinstance(error, (struct.error, IndexError)):
        return "a record points past the end of the file"
    text = " ".join(str(error).split())
    text = text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0] + " ..."
    return f"{type(error).__name__}: {text}".rstrip(": ")


def open_hive(path) -> HiveKey:
    """The root key of hive file PATH (an admin's own file: tests, `facts` on a copied hive)."""
    from hfstage.share import read_input

    return open_hive_bytes(read_input(path, 4096 * 1024 * 1024, "registry hive"), str(path))
