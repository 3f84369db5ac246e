"""A hive's first HBIN block is found once per open file, not once per record reached.

python-registry turns every cell offset it follows into a file offset by asking the block its records hang
below for the file's first HBIN block, which it builds anew from the file each time: some 50 blocks built for a
machine's read, a twelfth of a worker's time (bench/inventory_read.py --profile). inventory.hive's HBINBlock
keeps the block it found for the open file; a hive whose first block cannot be found is refused as before (the
failure is not kept, every ask fails again), and the facts are unchanged (bench/inventory_read.py's sites and
the real SYSTEM_2 were compared byte for byte).
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


def test_a_hive_whose_first_block_cannot_be_found_is_refused_at_every_ask():
    data = bytearray((DATA / "inventory" / "W2KSRV" / "SOFTWARE").read_bytes())
    struct.pack_into("<I", data, 0x1004, 0x7FFF0000)  # the root's block says the first one lies before the file
    root = open_hive_bytes(bytes(data), "SOFTWARE")
    for _ in range(2):
        with pytest.raises(InputError, match="damaged or truncated hive"):
            root.subkey("Microsoft")
