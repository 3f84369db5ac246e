"""Each key's and value's name in a hive is decoded once per read, however often detection asks for it.

A machine's read lists the same keys for detection, the catalog's values and the capture kept for the next
catalog; python-registry decodes a record's name each time it is asked for it, and the wrappers asked twice
for every subkey's name and every value's name (to index it, then to keep it): a tenth of a worker's time went
on names already known. The names are now kept from the first decoding; the facts are unchanged (the new
catalog and hive bounds tests read the same hives).
"""

from __future__ import annotations

from collections import Counter

from Registry import RegistryParse

from hfstage.catalog import parse_catalog_file
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.gather import read_raw
from hfstage.inventory.raw import project
from tests.conftest import DATA, REAL_CATALOG


def test_no_name_is_decoded_twice(monkeypatch):
    decoded: Counter = Counter()
    for record in (RegistryParse.NKRecord, RegistryParse.VKRecord):
        original = record.name

        def counted(self, original=original):
            decoded[(type(self).__name__, id(self._buf), self.offset())] += 1  # _buf: the hive's bytes
            return original(self)

        monkeypatch.setattr(record, "name", counted)
    catalog = parse_catalog_file(REAL_CATALOG)
    asks = CatalogAsks.of(catalog)
    for machine in ("XPSP1", "DC01", "NT4WKS"):
        decoded.clear()
        raw = read_raw(DATA / "inventory" / machine)  # both hives stay open (in raw) while it is counted
        facts = project(raw, catalog, asks=asks)
        assert raw.remember(catalog, asks)["registry"]["values"] and facts.error is None
        assert {kind for kind, *_ in decoded} == {"NKRecord", "VKRecord"}
        assert [(machine, kind, f"0x{at:x}", n) for (kind, _, at), n in decoded.items() if n > 1] == []
