"""A hive's lists and records, reached through python-registry but bounded before the work.

python-registry follows whatever a hive's offsets say. A hostile hive is small and names the same
records again and again: an `ri` index of 65,535 entries, each naming one inner `ri` of 65,535 entries
naming one real list, makes 540 KB list 4.3 billion subkeys; a value list of 2^32 entries naming one
value record, or a big-data record whose segments all name one cell, does the same for values. In a real
hive every list, key and value record has one owner, so here each is reached once per hive (a second
reach is refused, which also refuses every cycle), a list's declared count must fit in its cell, an
`ri` names only leaf lists (no deeper index exists in a hive Windows writes), the records reached may
not outnumber the cells the file can hold, and the value bytes decoded may not exceed the file's size.
"""

from __future__ import annotations

import struct

from Registry import RegistryParse as rp

from hfstage.errors import InputError, q

_LEAF_LISTS = {rp.LFRecord: 8, rp.LHRecord: 8, rp.LIRecord: 4}  # entry size of each leaf list kind
_MIN_CELL = 8  # cells are 8-byte aligned and at least 8 bytes long


class HiveBudget:
    """What reading one hive may still cost; shared by every key of that hive."""

    def __init__(self, source: str, size: int) -> None:
        self.source = source
        self._owners: dict[int, str] = {}  # record offset -> what reached it first
        self._records_left = max(size // _MIN_CELL, 1)
        self._data_left = size

    def refuse(self, problem: str) -> InputError:
        return InputError(f"{self.source}: damaged hive: {problem}")

    def claim(self, offset: int, what: str) -> None:
        """Record OFFSET reached as WHAT; refused when something reached it before or the file holds no more."""
        earlier = self._owners.get(offset)
        if earlier is not None:
            raise self.refuse(f"{what} at 0x{offset:x} is also {earlier} (a record named twice: a real hive "
                              "names each list, key and value once)")
        self._records_left -= 1
        if self._records_left < 0:
            raise self.refuse(f"{what} at 0x{offset:x}: more records than a hive of this size can hold")
        self._owners[offset] = what

    def spend_data(self, length: int, what: str) -> None:
        """LENGTH bytes of value data about to be decoded; refused when the hive cannot hold that much more."""
        if length > self._data_left:
            raise self.refuse(f"{what} declares {length:,} bytes of data, more than the rest of the hive holds")
        self._data_left -= length


def _fits(record, count: int, entry: int, header: int, what: str, budget: HiveBudget) -> None:
    """A list's COUNT entries of ENTRY bytes (after HEADER bytes) lie inside its own cell: checked before reading."""
    size = struct.unpack_from("<i", record._buf, record.offset() - 4)[0]
    if size >= 0:
        raise budget.refuse(f"{what} at 0x{record.offset():x} is in a free cell")
    if header + count * entry > -size - 4:
        raise budget.refuse(f"{what} at 0x{record.offset():x} declares {count:,} entries, more than its cell of "
                            f"{-size:,} bytes holds")


def subkey_records(nk, budget: HiveBudget, where: str) -> list:
    """The NKRecords below NK (named WHERE), each list and key claimed once."""
    if nk.subkey_number() == 0:
        return []
    what = f"the subkey list of {q(where)}"
    return list(_list_keys(nk.subkey_list(), budget, what, inside_index=False))


def _list_keys(lst, budget: HiveBudget, what: str, inside_index: bool):
    budget.claim(lst.offset(), what)
    count = lst.unpack_word(0x2)
    if isinstance(lst, rp.RIRecord):
        if inside_index:
            raise budget.refuse(f"{what}: an `ri` index inside an `ri` index (Windows writes one level)")
        _fits(lst, count, 4, 4, what, budget)
        for i in range(count):
            offset = lst.abs_offset_from_hbin_offset(lst.unpack_dword(4 + 4 * i))
            leaf = rp.HBINCell(lst._buf, offset, lst).child()
            if not isinstance(leaf, (rp.RIRecord, *_LEAF_LISTS)):
                raise budget.refuse(f"{what}: index entry {i} names a {type(leaf).__name__}, not a subkey list")
            yield from _list_keys(leaf, budget, f"{what} (part {i})", inside_index=True)
        return
    _fits(lst, count, _LEAF_LISTS[type(lst)], 4, what, budget)
    for key in lst.keys():  # noqa: SIM118 - a python-registry list, not a dict
        budget.claim(key.offset(), f"a subkey in {what}")
        yield key


def value_records(nk, budget: HiveBudget, where: str) -> list:
    """The VKRecords of NK (named WHERE), the list and each value claimed once, their data counted."""
    count = nk.values_number()
    if count == 0:
        return []
    what = f"the value list of {q(where)}"
    values = nk.values_list()
    budget.claim(values.offset(), what)
    _fits(values, count, 4, 0, what, budget)
    out = []
    for vk in values.values():
        budget.claim(vk.offset(), f"a value in {what}")
        length = vk.data_length() if vk.raw_data_length() < 0x80000000 else 4  # inline data: in the record
        budget.spend_data(length, f"a value in {what}")
        out.append(vk)
    return out
