"""One CatalogIndex serves every machine of a scan as a fresh one would (issue 20, section 6).

The index keeps what depends only on the catalog, made on first use: the patches that apply to a
product at a service pack level, each patch's checks on a machine of one family and OS, and the
fields every machine's finding for a patch shares under one site policy. A key that leaves out
one of these would hand the next machine what the previous one needed: a Windows Me machine a
note naming Windows 98, an NT 4.0 SP5 machine the patches of SP6a. These tests assess real
machines (tests/data/families, tests/data/inventory, against the genuine 2001 catalog) through one
index, in two orders, and compare each with a fresh index's assessment of it alone.
"""

from __future__ import annotations

import json
import pickle

import pytest

from hfstage.assess import CatalogIndex, SitePolicy, assess_machine
from hfstage.catalog import parse_catalog_file
from hfstage.inventory import MachineFacts, ProductFact, gather_facts
from tests.conftest import DATA, REAL_CATALOG

MACHINES = [DATA / "families" / m for m in ("FNT4SP6A", "FNT4SP5", "FNT4SP6", "F98", "F98SE", "FME", "F95B",
                                           "FW2KSQL", "FXPWMP")] + \
    [DATA / "inventory" / m for m in ("NT4WKS", "W2KSRV", "XPSP1", "DC01", "W98", "WME")]


@pytest.fixture(scope="module")
def catalog():
    if not REAL_CATALOG.is_file():
        pytest.skip("the genuine 2001 catalog is not beside the project")
    return parse_catalog_file(REAL_CATALOG)


@pytest.fixture(scope="module")
def machines(catalog):
    """The real machines, and two whose OS was not read, one of each family, running Internet Explorer 5.01
    (ID 52, at level 71): the catalog checks MS00-037's package for it by files of Windows 2000's folders."""
    ie501 = ProductFact("Internet Explorer 5.01", product_id=52, service_pack_id=71)
    unread = [MachineFacts(f"NOOS{family}", os_family=family, system_root=root, applications=[ie501],
                           files_absent="not present on the machine", registry_checked=True)
              for family, root in (("9x", "C:\\WINDOWS"), ("NT", "C:\\WINNT"))]
    return [gather_facts(folder, catalog) for folder in MACHINES] + unread


def _stored(assessment) -> str:
    return json.dumps(assessment.to_dict(), sort_keys=True)


@pytest.mark.parametrize("order", ["as listed", "reversed"])
def test_one_index_assesses_each_machine_as_a_fresh_index_does(catalog, machines, order):
    """Machines of three service packs of NT 4.0, of 98, 98 SE and Me (whose notes name their own OS), of
    Windows 95 and of NT 2000 and XP follow each other through one index."""
    shared = CatalogIndex.build(catalog)
    policy = SitePolicy()
    for facts in machines if order == "as listed" else machines[::-1]:
        alone = assess_machine(facts, CatalogIndex.build(catalog), policy)
        assert _stored(assess_machine(facts, shared, policy)) == _stored(alone), facts.machine


def test_the_machines_differ_where_the_index_keeps_things_apart(catalog, machines):
    """The comparison above would prove nothing if the machines asked the index the same questions: they
    stand at different service packs of one product, 9x machines of different OSes get notes that name
    their own OS, and one product's patch is checked differently on the two families."""
    by_name = {f.machine: f for f in machines}
    levels = {by_name[m].os.service_pack_id for m in ("FNT4SP6A", "FNT4SP5", "FNT4SP6")}
    assert len(levels) == 3 and len({by_name[m].os.product_id for m in ("FNT4SP6A", "FNT4SP5")}) == 1
    index, policy = CatalogIndex.build(catalog), SitePolicy()
    patches = {m: {(f.bulletin, f.patch) for f in assess_machine(by_name[m], index, policy).findings}
               for m in ("FNT4SP6A", "FNT4SP5")}
    assert patches["FNT4SP6A"] != patches["FNT4SP5"]
    notes = {m: [f.reason for f in assess_machine(by_name[m], index, policy).findings
                 if f.bulletin == "MS00-091" and f.reason.startswith("the catalog's inconsistency")]
             for m in ("F98", "FME")}
    assert "it lists Windows 98 for this patch" in notes["F98"][0]
    assert "it lists Windows Me for this patch" in notes["FME"][0]
    ie = {m: [f.status for f in assess_machine(by_name[m], index, policy).findings if f.bulletin == "MS00-037"]
          for m in ("NOOS9x", "NOOSNT")}
    assert ie == {"NOOS9x": ["note"], "NOOSNT": ["missing"]}


def test_a_policy_changed_between_assessments_on_one_index_is_the_one_applied(catalog, machines):
    """The index once kept each patch's shared fields under the policy object's id: CPython gives a policy
    made after another is freed the same id, and the second policy's ratings were never applied."""
    index = CatalogIndex.build(catalog)
    nt4 = next(f for f in machines if f.machine == "FNT4SP6A")
    bulletin = next(f.bulletin for f in assess_machine(nt4, index, SitePolicy()).findings if f.bulletin != "SP")
    for severity in ("Low", "Critical", "Moderate", "Important"):
        policy = SitePolicy(severity={bulletin: severity})
        rated = {f.severity for f in assess_machine(nt4, index, policy).findings if f.bulletin == bulletin}
        del policy  # freed last: CPython makes the next policy where this one was
        assert rated == {severity}


def test_an_index_used_then_sent_to_a_worker_assesses_as_before(catalog, machines):
    """The scan may send its index to worker processes: what it keeps is plain values, so a copy made by
    pickle after use gives the same assessments, under the same policy and another."""
    index, policy = CatalogIndex.build(catalog), SitePolicy()
    before = [_stored(assess_machine(f, index, policy)) for f in machines]
    copy = pickle.loads(pickle.dumps(index))
    assert [_stored(assess_machine(f, copy, SitePolicy())) for f in machines] == before


def test_a_machine_of_an_image_already_assessed_is_judged_by_the_verdicts_remembered(catalog, machines, monkeypatch):
    """A site's machines come from a few images: a patch's checks that find what they found on an earlier
    machine give the verdict made then, not worked out again, as a fresh index would give it, in lists of the
    machine's own (a finding's evidence is never another machine's)."""
    from hfstage.assess import checks

    index, policy = CatalogIndex.build(catalog), SitePolicy()
    image = next(f for f in machines if f.machine == "NT4WKS")
    first = assess_machine(image, index, policy)
    twin = MachineFacts.from_dict({**image.to_dict(), "machine": "TWIN"})
    fresh = assess_machine(twin, CatalogIndex.build(catalog), policy)
    judged = []
    monkeypatch.setattr(checks, "_checked", lambda *args: judged.append(args))
    again = assess_machine(twin, index, policy)
    assert judged == [] and len(again.findings) > 20
    assert _stored(again) == _stored(fresh)
    for mine, theirs in zip(again.findings, first.findings, strict=True):
        assert mine.evidence == theirs.evidence and mine.evidence is not theirs.evidence
        assert mine.decided_by is not theirs.decided_by


def test_evidence_no_verdict_can_be_remembered_by_is_judged_as_it_is(catalog, machines):
    """Facts say text and numbers; a value of another type (a list, as a REG_MULTI_SZ was once kept) is judged
    as any other, only not remembered: the machine is assessed, not made unreadable."""
    image = next(f for f in machines if f.machine == "NT4WKS")
    data = image.to_dict()
    data["registry"] = [{**r, "value": [r["value"]]} if r["value"] is not None else r for r in data["registry"]]
    odd = MachineFacts.from_dict({**data, "machine": "ODD"})
    assert any(isinstance(r.value, list) for r in odd.registry)
    assessed = assess_machine(odd, CatalogIndex.build(catalog), SitePolicy())
    assert assessed.error is None and len(assessed.findings) > 20
