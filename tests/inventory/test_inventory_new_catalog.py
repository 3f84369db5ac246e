"""A new catalog with no inventory change: every machine's facts projected from what its inputs said, exactly.

Every Patch Tuesday brings a catalog and nothing else; reading 5,000 machines' hives and files again for it
cost as much as a full month. Now the inventory remembers each machine's raw facts (inventory.raw: what
its hives, exports and collected files alone say, and the part of its registry around every key the
catalog checks) and projects them onto the new catalog. That is worth something only if the projection
is exactly what reading the machine under the new catalog gives: for every fixture machine (NT 4.0, 2000,
XP hives, 9x exports, collected files, broken and misfiled ones) and for pairs of real catalogs (the 2001
catalog and next month's variant of it with RegChanges removed, renamed beside the old keys, keys the
machines have that the old catalog never asked about, keys in places it never looked, file changes
removed, changed and added, a product gone; the example months 1 and 2 both ways), the facts read under
catalog A, remembered, and projected onto B must equal, field by field, the facts read fresh under B.
A question the remembered registry cannot answer is never guessed: the projection refuses, and the
machine is read again.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.catalog.model import FileChange, RegChange
from hfstage.inventory import gather_facts
from hfstage.inventory.capture import NotCaptured
from hfstage.inventory.gather import read_raw
from hfstage.inventory.limits import Limits
from hfstage.inventory.raw import RawFacts, project
from tests.conftest import DATA, EXAMPLES, REAL_CATALOG

MACHINES = sorted([p for base in (EXAMPLES / "inventory", DATA / "inventory", DATA / "scan-inventory")
                   for p in base.iterdir() if p.is_dir()], key=lambda p: (p.parent.name, p.name))
HOTFIX = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix"


def next_month(catalog):
    """Catalog B: A with a later DataVersion, a third of its RegChanges gone and as many keys renamed beside the
    old ones, the Hotfix and Updates keys the fixture machines have, a key below a key A listed and one where A
    never looked, file changes removed, changed and added, and a product gone."""
    b = copy.deepcopy(catalog)
    b.data_version += ".1"
    ids = sorted(b.reg_changes)
    for n, rid in enumerate(ids):
        rc = b.reg_changes[rid]
        if n % 3 == 0:
            del b.reg_changes[rid]
        elif n % 3 == 1 and rc.key and rc.key[-1].isdigit():
            b.reg_changes[rid] = RegChange(rid, rc.key[:-1] + str((int(rc.key[-1]) + 1) % 10), rc.value_name,
                                           rc.value_type, rc.value, rc.command)
    extra = [(HOTFIX + f"\\{q}", "Installed") for q in ("Q246009", "Q299444", "Q300972", "Q305399", "Q310000")]
    extra += [("HKLM\\SOFTWARE\\Microsoft\\Updates\\Windows 2000\\SP3\\Q326830", "Installed"),
              ("HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion", "CSDVersion"),
              ("HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions", "ProductType"),
              ("HKLM\\SYSTEM\\CurrentControlSet\\Control\\Nothing", "Here"),
              ("HKLM\\SOFTWARE\\Nobody\\Ever\\Looked", "Here"), ("HKLM\\SOFTWARE\\Classes\\CLSID\\{0}", "")]
    for n, (key, value) in enumerate(extra):
        b.reg_changes[900_000 + n] = RegChange(900_000 + n, key, value, "REG_DWORD", "1", "r")
    for n, fid in enumerate(sorted(b.file_changes)):
        if n % 4 == 0:
            del b.file_changes[fid]
        elif n % 4 == 1:
            b.file_changes[fid] = [dataclasses.replace(fc, version_text="9.9.9.9") for fc in b.file_changes[fid]]
    b.file_changes[990_000] = [FileChange(990_000, "newfile.dll", "%windir%\\system32", None, None, "", None, "e",
                                          None)]
    b.products.pop(sorted(b.products)[0])
    return b


def remembered(folder: Path, catalog) -> RawFacts:
    """FOLDER's raw facts read and projected under CATALOG, remembered, and recalled as the next month does."""
    raw = read_raw(folder, on_share=True)
    project(raw, catalog)
    data = json.loads(json.dumps(raw.remember(catalog), sort_keys=True))
    return RawFacts.recall(data, Limits())


@pytest.fixture(scope="module")
def real_pair():
    if not REAL_CATALOG.is_file():
        pytest.skip(f"real catalog {REAL_CATALOG} not present (../shared is not beside the project)")
    a = parse_catalog_file(REAL_CATALOG)  # with a key in SYSTEM, through CurrentControlSet, as later catalogs had
    a.reg_changes[800_000] = RegChange(800_000, "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions",
                                       "ProductSuite", "REG_MULTI_SZ", "", "r")
    return a, next_month(a)


@pytest.fixture(scope="module")
def example_months():
    return parse_catalog_file(EXAMPLES / "catalog" / "month1.xml"), parse_catalog_file(EXAMPLES / "catalog" /
                                                                                       "month2.xml")


def _check(folder: Path, a, b) -> bool:
    """Projected-from-A equals fresh-under-B; False when the projection (rightly) refused to answer."""
    try:
        projected = project(remembered(folder, a), b)
    except NotCaptured:
        return False
    assert projected.to_dict() == gather_facts(folder, b, on_share=True).to_dict()
    return True


@pytest.mark.parametrize("folder", MACHINES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_facts_projected_onto_next_months_catalog_are_the_facts_read_under_it(folder, real_pair):
    a, b = real_pair
    assert _check(folder, a, b)
    assert _check(folder, a, a)


@pytest.mark.parametrize("folder", MACHINES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_the_example_months_project_both_ways(folder, example_months):
    month1, month2 = example_months
    assert _check(folder, month1, month2)
    assert _check(folder, month2, month1)


@pytest.mark.parametrize("key", ["HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion",
                                 "HKLM\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName"])
def test_a_key_the_registry_was_never_read_around_is_read_again_not_guessed(key, real_pair):
    """Both keys exist on the NT machine; catalog A never asked about them or a key beside them, so their values
    are not remembered: the projection refuses rather than call them absent, and the machine is read again.
    (Keys A's keys' parents list, existing or not, and their values, are answered: the test above.)"""
    a, b = real_pair
    b = copy.deepcopy(b)
    b.reg_changes[999_999] = RegChange(999_999, key, "Shell", "REG_SZ", "Explorer.exe", "r")
    with pytest.raises(NotCaptured):
        project(remembered(DATA / "scan-inventory" / "SCAN-NT4", a), b)


def test_a_value_too_long_to_keep_is_read_again_when_asked(real_pair, tmp_path):
    """The capture is bounded whatever a client's hive holds: a Hotfix key beside the catalog's with a 5,000-byte
    value (a hive written by hivexregedit) is not kept, so a catalog asking about it reads the machine again;
    its neighbours are kept and answered."""
    if shutil.which("hivexregedit") is None:
        pytest.skip("hivexregedit not installed (libwin-hivex-perl)")
    from tests.data.make_machines import build_hive

    source = DATA / "scan-src" / "SCAN-NT4"
    machine = tmp_path / "SCAN-NT4"
    shutil.copytree(DATA / "scan-inventory" / "SCAN-NT4", machine)
    big = ",".join(["ab"] * 5000)
    reg = tmp_path / "SOFTWARE.reg"
    key = HOTFIX.replace("HKLM", "HKEY_LOCAL_MACHINE") + "\\Q999998"
    reg.write_text(source.joinpath("SOFTWARE.reg").read_text(encoding="utf-8") +
                   f"\n[{key}]\n\"Installed\"=dword:00000001\n\"Blob\"=hex:{big}\n", encoding="utf-8")
    build_hive(reg, machine / "SOFTWARE", "SOFTWARE")
    a, b = real_pair
    kept = remembered(machine, a)
    assert _check(machine, a, b)  # the catalog's own keys and their neighbours: answered, exactly
    b = copy.deepcopy(b)
    b.reg_changes[999_998] = RegChange(999_998, HOTFIX + "\\Q999998", "Installed", "REG_DWORD", "1", "r")
    with pytest.raises(NotCaptured):
        project(kept, b)
    assert gather_facts(machine, b, on_share=True).reg(HOTFIX + "\\Q999998", "Installed").value == "1"


def test_one_catalogs_service_pack_answers_are_per_product_and_level():
    """5,000 machines under one catalog ask it the same few service pack questions, so CatalogAsks remembers each
    answer (resolve_catalog_ids): by product AND level. An NT 4.0 Workstation at SP6a and one at SP5 resolved
    with the same asks each get their own level's ServicePackID, and NT 4.0 Terminal Server at SP6 gets its own
    product's (8), not Workstation's SP6 (6): an answer keyed on less would hand one machine another's level."""
    from hfstage.inventory.detect import CatalogAsks, resolve_catalog_ids
    from hfstage.inventory.facts import MachineFacts, ProductFact

    catalog = parse_catalog_file(REAL_CATALOG)
    asks = CatalogAsks.of(catalog)
    asked = [("Windows NT Workstation 4.0", "6a"), ("Windows NT Workstation 4.0", "5"),
             ("Windows NT Workstation 4.0", "6"), ("Windows NT Server 4.0, Terminal Server Edition", "6")]
    got = []
    for name, label in asked:
        facts = MachineFacts(machine="PC1", os=ProductFact(name, service_pack_label=label))
        resolve_catalog_ids(facts, catalog, asks)
        got.append(facts.products[0].service_pack_id)
    assert got == [7, 5, 6, 8]
