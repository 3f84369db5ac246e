"""A catalog's file paths are split into names once for every machine, not once a machine.

Each machine with collected files is asked for every file the catalog names (some 180 paths, nearly all
absent); splitting and lowering each path again for every machine was a tenth of reading one. The split
names are kept for the worker's life (files._lowered); what a machine has is still looked up in its own
folder, so the facts are the same (the fixture machines' tests, the new-catalog projections).
"""

from __future__ import annotations

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.inventory import files
from hfstage.inventory.gather import gather_facts
from tests.conftest import DATA, REAL_CATALOG


def test_the_second_machine_splits_no_path(monkeypatch):
    if not REAL_CATALOG.is_file():
        pytest.skip(f"{REAL_CATALOG} not present (../shared is not beside the project)")
    catalog = parse_catalog_file(REAL_CATALOG)
    files._lowered.cache_clear()  # another test's machines may have asked for these paths in this process
    splits: list[str] = []
    original = files._parts
    monkeypatch.setattr(files, "_parts", lambda relative: splits.append(relative) or original(relative))
    first = gather_facts(DATA / "inventory" / "NT4WKS", catalog)
    assert splits and [f for f in first.files if f.found]
    splits.clear()
    second = gather_facts(DATA / "inventory" / "NT4WKS", catalog)
    assert splits == []
    assert second.to_dict() == first.to_dict()
