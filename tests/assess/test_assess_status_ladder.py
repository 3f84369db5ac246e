"""The status ladder, one rung at a time, from facts made by hand.

README promises that a machine's one status "never overstates". Every other test reaches the ladder
through hives, .reg exports and collectors; here each rung is reached from MachineFacts written out in
the test against a small catalog (tests/data/catalogs/later-schema.xml: NT 4.0 Workstation, current
service pack 6a, MS03-026 checked by rpcrt4.dll's version and its Hotfix key), so a rung that moves
fails here whatever the inventory does. Each case also holds what must NOT be said: a machine one
step short of compliant is never compliant.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from hfstage.assess import assess_machine
from hfstage.assess.engine import CatalogIndex
from hfstage.assess.model import (
    COMPLIANT,
    INCOMPLETE,
    NEEDS_PATCHES,
    NOT_COVERED,
    SERVICE_PACK_MISSING,
    UNREADABLE,
    UNVERIFIED,
    WAITING,
)
from hfstage.assess.policy import SitePolicy
from hfstage.catalog import parse_catalog_file
from hfstage.inventory import MachineFacts
from hfstage.inventory.facts import FileFact, HotfixFact, ProductFact, RegFact
from tests.conftest import DATA

CATALOG = DATA / "catalogs" / "later-schema.xml"
RPCRT4 = r"C:\WINNT\system32\rpcrt4.dll"
HOTFIX_KEY = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Hotfix\Q823980"


@pytest.fixture(scope="module")
def index() -> CatalogIndex:
    return CatalogIndex.build(parse_catalog_file(CATALOG))


@pytest.fixture(scope="module")
def no_checks() -> CatalogIndex:
    """The same catalog with MS03-026's checks taken away: the catalog gives no way to confirm it."""
    catalog = parse_catalog_file(CATALOG)
    for bulletin in catalog.bulletins.values():
        for patch in bulletin.patches:
            patch.file_change_ids, patch.reg_change_ids = [], []
    return CatalogIndex.build(catalog)


def nt4(sp_id: int = 7, version: str = "4.0.1381.7230", installed: str | None = "1", **changes) -> MachineFacts:
    """An NT 4.0 Workstation at service pack SP_ID (7 is 6a) whose rpcrt4.dll has VERSION and whose
    Hotfix key holds Installed=INSTALLED (None: no such key)."""
    label = {7: "Service Pack 6a", 6: "Service Pack 6", 5: "Service Pack 5"}[sp_id]
    os = ProductFact("Windows NT Workstation 4.0", "4.0", sp_id - 1 if sp_id == 7 else sp_id, label,
                     "test", product_id=1, service_pack_id=sp_id, sp_known=True)
    facts = MachineFacts(
        "LADDER", computer_name="LADDER", os_family="NT", os=os, version="4.0", build="1381",
        service_pack_label=label, role="workstation", system_root=r"C:\WINNT",
        program_files=r"C:\Program Files", files_absent="not present on the machine", registry_checked=True,
        files=[FileFact(RPCRT4, True, size=450000, file_version=version)] if version else [],
        registry=[RegFact(HOTFIX_KEY, "Installed", True, installed)] if installed is not None else [],
        hotfixes=[HotfixFact("Q823980", 1, "test", HOTFIX_KEY)] if installed is not None else [])
    return replace(facts, **changes)


@pytest.fixture(scope="module")
def registry_only() -> CatalogIndex:
    """The same catalog with MS03-026's file check taken away: only its Hotfix key confirms it."""
    catalog = parse_catalog_file(CATALOG)
    for bulletin in catalog.bulletins.values():
        for patch in bulletin.patches:
            patch.file_change_ids = []
    return CatalogIndex.build(catalog)


def test_a_patch_confirmed_only_by_its_registry_key_is_installed_but_unverified(registry_only):
    """README: unverified when the catalog gives "only a registry key". A key is what any client (or a
    failed install that wrote it first) can leave behind, so the machine is never called compliant on it;
    the patch is still not scripted again."""
    assessment = assess_machine(nt4(version=None), registry_only, SitePolicy())
    (finding,) = [f for f in assessment.findings if f.bulletin == "MS03-026"]
    assert (finding.status, finding.unverified) == ("installed", True)
    assert "confirmed only by the registry" in finding.reason
    assert (assessment.status, assessment.compliant) == (UNVERIFIED, False)
    assert "1 patch(es) confirmed only by a registry key" in assessment.status_detail
    without_key = assess_machine(nt4(version=None, installed=None), registry_only, SitePolicy())
    assert without_key.status == NEEDS_PATCHES


RUNGS = {
    # status: (facts, what the detail must say)
    UNREADABLE: (lambda: nt4(error="SOFTWARE: not a registry hive"), "not a registry hive"),
    WAITING: (lambda: nt4(collected=False), "no collector"),
    SERVICE_PACK_MISSING: (lambda: nt4(sp_id=5), "Service Pack"),
    NEEDS_PATCHES: (lambda: nt4(version="4.0.1381.7000", installed=None), "1 missing"),
    NOT_COVERED: (lambda: nt4(os=ProductFact("Windows 95", "4.0", None, None, "test")), "Windows 95"),
    INCOMPLETE: (lambda: nt4(missing=["hive SYSTEM"]), "hive SYSTEM"),
    UNVERIFIED: (lambda: nt4(), "no way to check"),  # against no_checks
    COMPLIANT: (lambda: nt4(), "every applicable patch is installed"),
}


@pytest.mark.parametrize("status", list(RUNGS))
def test_each_rung_from_hand_made_facts(index, no_checks, status):
    make, detail = RUNGS[status]
    assessment = assess_machine(make(), no_checks if status == UNVERIFIED else index, SitePolicy())
    assert (assessment.status, detail in assessment.status_detail) == (status, True), assessment.status_detail
    assert assessment.compliant is (status == COMPLIANT)


@pytest.mark.parametrize(("higher", "lower"), [
    # two things wrong at once: the rung named is the one further from compliant
    (SERVICE_PACK_MISSING, NEEDS_PATCHES),
    (NEEDS_PATCHES, INCOMPLETE),
    (INCOMPLETE, UNVERIFIED),
])
def test_the_worse_rung_wins(index, no_checks, higher, lower):
    both = {
        (SERVICE_PACK_MISSING, NEEDS_PATCHES): dict(sp_id=5, version="4.0.1381.7000", installed=None),
        (NEEDS_PATCHES, INCOMPLETE): dict(version="4.0.1381.7000", installed=None, missing=["hive SYSTEM"]),
        (INCOMPLETE, UNVERIFIED): dict(missing=["hive SYSTEM"]),
    }[(higher, lower)]
    catalog = no_checks if lower == UNVERIFIED else index
    assert assess_machine(nt4(**both), catalog, SitePolicy()).status == higher
