"""The catalog's registry keys are reached through one plan per catalog, and answer exactly as paths do.

Every machine is asked the same few hundred keys (the catalog's RegChanges, and the capture kept for the next
catalog around each of them): looking each up by its path split, lowered and hashed it again for every machine,
a quarter of a worker's time. Now the keys are a tree of names made once per catalog and control set
(regtree.KeyPlan); a machine reaches each key once, through its parent. That is worth something only if every
key is the one its path names, on every kind of machine: hives with ControlSet001 or ControlSet002 behind
CurrentControlSet, a real hive, regedit exports naming CurrentControlSet, and paths outside SOFTWARE and SYSTEM.
"""

from __future__ import annotations

import shutil

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.inventory.capture import capture_registry
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.gather import read_raw
from hfstage.inventory.raw import project
from hfstage.inventory.regtree import Hklm, KeyPlan
from tests.conftest import DATA, REAL_CATALOG, SHARED

SYSTEM_2 = SHARED / "fixtures" / "real" / "SYSTEM_2"
MACHINES = ["NT4WKS", "DC01", "XPSP1", "W2KSRV", "W98", "WME", "BADREG"]


@pytest.fixture(scope="module")
def asks() -> CatalogAsks:
    if not REAL_CATALOG.is_file():
        pytest.skip(f"{REAL_CATALOG} not present (../shared is not beside the project)")
    return CatalogAsks.of(parse_catalog_file(REAL_CATALOG))


def _hklm(folder) -> Hklm:
    raw = read_raw(folder)
    assert isinstance(raw.hklm, Hklm), raw.facts["error"]
    return raw.hklm


def _paths(asks: CatalogAsks) -> list[str]:
    """The catalog's keys, and the same keys spelled otherwise (no root, CurrentControlSet, another case)."""
    keys = [path for path, _ in asks.registry]
    return keys + [k.upper() for k in keys] + ["HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions",
                                                "SYSTEM\\Select", "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft",
                                                "HKLM\\HARDWARE\\DESCRIPTION", "SOFTWARE", "HKLM\\SYSTEM"]


def _same_keys(hklm: Hklm, asks: CatalogAsks) -> int:
    """How many of the paths name a key there; each planned key is the very key `key` answers for its path."""
    plan = KeyPlan(hklm.lookup_set)
    paths = _paths(asks)
    indexes = [plan.at(path) for path in paths]
    found = 0
    for path, index in zip(paths, indexes, strict=True):
        planned = hklm.planned(plan, index) if index is not None else None
        assert planned is hklm.key(path), path
        found += planned is not None
    return found


@pytest.mark.parametrize("name", MACHINES)
def test_each_planned_key_is_the_key_its_path_names(asks, name):
    assert _same_keys(_hklm(DATA / "inventory" / name), asks) >= 3


def test_the_real_hive_answers_alike(asks, tmp_path):
    """SYSTEM_2, a real hive: its control set is read from Select\\Current, as a path's is."""
    if not SYSTEM_2.is_file():
        pytest.skip(f"{SYSTEM_2} not present (../shared is not beside the project)")
    folder = tmp_path / "SENSEI"
    folder.mkdir()
    shutil.copyfile(SYSTEM_2, folder / "SYSTEM")
    shutil.copyfile(DATA / "inventory" / "XPSP1" / "SOFTWARE", folder / "SOFTWARE")
    assert _same_keys(_hklm(folder), asks) > 3


def test_the_catalog_and_the_capture_ask_no_key_by_path(asks, monkeypatch):
    """project's catalog values and the capture for the next catalog go through the plan, made once per control
    set for every machine; the facts are those a path-by-path read gives."""
    raw = read_raw(DATA / "scan-inventory" / "SCAN-W2K")
    catalog = parse_catalog_file(REAL_CATALOG)
    by_path = [(path, name, raw.hklm.key(path).value(name)) for path, name in asks.registry
               if raw.hklm.key(path) is not None]
    asked: list[str] = []
    original = Hklm.key
    monkeypatch.setattr(Hklm, "key", lambda self, path: asked.append(path) or original(self, path))
    facts = project(raw, catalog, asks=asks)
    capture = capture_registry(raw.hklm, asks)
    assert asked == []
    assert [(r.key, r.value_name, r.value) for r in facts.registry] == [
        (path, name, None if value is None else str(value)) for path, name, value in by_path] != []
    assert capture["values"] and capture["set"] == "ControlSet001"
    assert asks.registry_plan("ControlSet001")[0] is asks.registry_plan("ControlSet001")[0]
