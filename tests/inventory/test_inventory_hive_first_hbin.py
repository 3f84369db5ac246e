"""A hive's first HBIN block is found once per open file, not once per record reached, and reached in two steps.

python-registry turns every cell offset it follows into a file offset by climbing the record's parents (the
list that named it, the key above, its list ...) to the block its root hangs below and asking that block for the
file's first HBIN block, which it builds anew from the file each time: some 50 blocks built for a machine's read,
a twelfth of a worker's time (bench/inventory_read.py --profile), and 14 parents climbed an offset in a walk of
the real SYSTEM_2. inventory.hive's HBINBlock keeps the block it found for the open file, and each key's record
hangs directly below it; a hive whose first block cannot be found is refused as before (the failure is not kept,
every ask fails again), and the facts are unchanged (bench/inventory_read.py's site, the fixtures' and
SYSTEM_2's full walks and 700 mutated hives were compared with the old code's).
"""

from __future__ import annotations

import struct

import pytest
from Registry import RegistryParse

from hfstage.catalog import parse_catalog_file
from hfstage.errors import InputError
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.gather import read_raw
from hfstage.inventory.hive import open_hive, open_hive_bytes
from hfstage.inventory.raw import project
from tests.conftest import DATA, REAL_CATALOG, SHARED

REAL_SYSTEM = SHARED / "fixtures" / "real" / "SYSTEM_2"


@pytest.fixture
def blocks_built(monkeypatch) -> list[int]:
    """The file offset of each HBIN block python-registry builds while the test runs."""
    built: list[int] = []
    original = RegistryParse.HBINBlock.__init__

    def counted(self, buf, offset, parent):
        built.append(offset)
        original(self, buf, offset, parent)

    monkeypatch.setattr(RegistryParse.HBINBlock, "__init__", counted)
    return built


def _walk(key, depth: int = 0) -> int:
    """Every value of KEY and the keys below it down to DEPTH 3, read; how many keys were reached."""
    key.values()
    return 1 + sum(_walk(child, depth + 1) for child in key.subkeys()) if depth < 3 else 1


def test_a_machine_read_builds_the_first_block_once_per_hive(blocks_built):
    catalog = parse_catalog_file(REAL_CATALOG)
    asks = CatalogAsks.of(catalog)
    for machine in ("XPSP1", "DC01", "NT4WKS"):
        blocks_built.clear()
        raw = read_raw(DATA / "inventory" / machine)
        facts = project(raw, catalog, asks=asks)
        assert raw.remember(catalog, asks)["registry"]["values"] and facts.error is None
        # per hive: the block its root is read from, the one this module reads it from, the first block found once
        assert (machine, len(blocks_built)) == (machine, 6)  # 76 for XPSP1 before


def test_a_walk_of_a_real_hive_builds_the_first_block_once(blocks_built):
    keys = _walk(open_hive(REAL_SYSTEM))
    assert keys > 500 and sorted(set(blocks_built)) == [0x1000] and len(blocks_built) == 3


def _counted(monkeypatch, owner, name: str, counts: dict) -> None:
    """OWNER.NAME counted in COUNTS[NAME] while the test runs."""
    original = getattr(owner, name)

    def counted(self, *args):
        counts[name] = counts.get(name, 0) + 1
        return original(self, *args)

    monkeypatch.setattr(owner, name, counted)


def test_an_offset_is_resolved_in_a_step_or_two_however_deep_its_key(monkeypatch):
    counts: dict[str, int] = {}
    _counted(monkeypatch, RegistryParse.RegistryBlock, "parent", counts)
    for kind in (RegistryParse.Record, RegistryParse.HBINCell):
        _counted(monkeypatch, kind, "abs_offset_from_hbin_offset", counts)
    assert _walk(open_hive(REAL_SYSTEM), -20) > 10000  # every key, down to 23 levels
    offsets = counts["abs_offset_from_hbin_offset"]
    assert offsets > 100000 and counts["parent"] / offsets < 2.5  # 13.9 parents an offset before


def test_a_hive_whose_first_block_cannot_be_found_is_refused_at_every_ask():
    data = bytearray((DATA / "inventory" / "W2KSRV" / "SOFTWARE").read_bytes())
    struct.pack_into("<I", data, 0x1004, 0x7FFF0000)  # the root's block says the first one lies before the file
    root = open_hive_bytes(bytes(data), "SOFTWARE")
    for _ in range(2):
        with pytest.raises(InputError, match="damaged or truncated hive"):
            root.subkey("Microsoft")
