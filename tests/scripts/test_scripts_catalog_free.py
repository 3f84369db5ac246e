"""A new catalog does not rewrite every script (issue 20 section 6).

Every per-machine install, rollback and idle script used to print the catalog's version in a rem line, so
each Patch Tuesday rewrote all 5,000 of them although most plans had not changed. Now those texts do not
name the catalog: each generation's generation.txt does (its name, the catalog's DataVersion and date), and
a run that tries a package logs the generation (%HFG%) it came from, so every result stays traceable to
its catalog. A machine planned again whose text key (its plan, its rollback, site.ini's settings, the
scripts memo's format) is unchanged is not rendered again: its files go into the next generation as hard
links. Checked here: the demo share's month 2 (a new catalog) carries unchanged scripts and names the new
catalog in its manifest; for each input of a script's text, a change that changes the text changes the key;
the results reader takes the generation line.
"""

from __future__ import annotations

import dataclasses
import os
import shutil

import pytest

import hfstage.share.memo as memo_module
from hfstage.history import FULL
from hfstage.packages import load_installers
from hfstage.pipeline import Site
from hfstage.scripts import parse_log, plan_machine
from hfstage.scripts.batch import BatchText
from hfstage.scripts.machine_plans import MachinePlan, Step
from hfstage.scripts.rollback import Rollback, build_rollback
from hfstage.scripts.window import Window
from hfstage.scripts.write import ANONYMOUS, ByPlan, _unnamed, machine_files, text_key
from hfstage.share import MANIFEST, current_generation, generations
from tests.conftest import EXAMPLES, hfstage_process


@pytest.fixture
def two_months(month1_site):
    """The demo share after month 1, then after a month under month 2's (newer) catalog."""
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", month1_site.folder("incoming") / "m2.cab")
    assert hfstage_process("month", month1_site.root, "--fail-on", "none").returncode == 0
    return month1_site


def test_a_new_catalog_carries_unchanged_scripts_and_the_generation_names_the_catalog(two_months):
    scripts = two_months.folder("scripts")
    first, second = generations(scripts)[-2:]
    assert current_generation(scripts) == second
    assert (scripts / first / MANIFEST).read_bytes() == \
        f"generation={first}\r\ncatalog=2.0.0.1\r\ncatalog_date=2003-08-01\r\n".encode()
    assert (scripts / second / MANIFEST).read_bytes() == \
        f"generation={second}\r\ncatalog=2.0.0.2\r\ncatalog_date=2003-09-15\r\n".encode()
    site_wide = ("collect_nt.bat", "collect_9x.bat", "schedule_nt4.bat", "hfstage_run.bat")
    machine_files = [p for p in (scripts / second).iterdir() if p.suffix == ".bat" and p.name not in site_wide]
    assert machine_files
    for path in machine_files:
        text = path.read_bytes()
        assert b"2.0.0.1" not in text and b"2.0.0.2" not in text, path.name  # the manifest names it
    carried = [p.name for p in machine_files if os.stat(p).st_ino == os.stat(scripts / first / p.name).st_ino]
    remade = [p.name for p in machine_files if p.name not in carried]
    # W2KSRV's plan is the same under both catalogs: one file, two names; DC01's changed: a new file
    assert "W2KSRV.bat" in carried and "W95.bat" in carried and "DC01.bat" in remade
    assert (scripts / second / "collect_nt.bat").read_bytes() != (scripts / first / "collect_nt.bat").read_bytes()


def _plan_and_rollback(site: Site, machine: str):
    rows = site.history.machines(site.history.latest_scan(FULL).id)
    row = next(r for r in rows if r.machine == machine)
    a = site.history.assessments([row.assessment_key])[row.assessment_key]
    table = load_installers()
    plan = plan_machine(a, site.catalog, site.scripts, site.book, table, site.rules)
    return plan, build_rollback(machine, [], plan, site.book.index, table)


def _texts(machine, plan, rollback, settings) -> dict[str, bytes]:
    return machine_files(machine, plan, rollback, settings)


def test_every_input_of_a_scripts_text_is_in_its_key(month1_site, monkeypatch):
    """Each change below changes the script's text; the key must change with it (a key that left one out
    would carry last month's script for a changed plan: wrong installs on a client, nothing to report it)."""
    site = Site(month1_site)
    machine = "NT4WKS"
    plan, rollback = _plan_and_rollback(site, machine)
    settings = site.scripts
    assert plan.steps, "NT4WKS misses packages the demo share has: its script installs them"
    step = plan.steps[0]
    changes = {
        "a package's install line (package facts)": (dataclasses.replace(plan, steps=[
            dataclasses.replace(step, install=BatchText(step.install + " -n")), *plan.steps[1:]]), rollback, settings),
        "a package left out": (dataclasses.replace(plan, steps=plan.steps[1:]), rollback, settings),
        "attempts per package": (dataclasses.replace(plan, max_attempts=plan.max_attempts + 1), rollback, settings),
        "what is held back": (dataclasses.replace(plan, unavailable=[*plan.unavailable, "MS99-001 held"]),
                              rollback, settings),
        "the rollback history": (plan, dataclasses.replace(rollback, notes=[*rollback.notes, "MS99-002 removed"]),
                                 settings),
        "site.ini's share path": (plan, rollback, dataclasses.replace(settings, unc="\\\\DC2\\hfstage")),
    }
    common = settings.fingerprint()
    before_text, before_key = _texts(machine, plan, rollback, settings), text_key(machine, plan, rollback, common)
    assert before_key == text_key(machine, *_plan_and_rollback(site, machine), common)  # made again: the same
    for what, (p, r, s) in changes.items():
        assert _texts(machine, p, r, s) != before_text, what
        assert text_key(machine, p, r, s.fingerprint()) != before_key, f"{what} changes the script but not its key"
    idle = dataclasses.replace(plan, steps=[])
    assert text_key("OTHER", idle, None, "s") != text_key(machine, idle, None, "s")  # its name
    # the templates and tables: the scripts memo's format version (a hash of them) is in every key
    monkeypatch.setattr(memo_module, "format_version", lambda stage: "another hfstage")
    assert text_key(machine, plan, rollback, common) != before_key


def test_the_text_key_sees_every_field_of_a_plan():
    """text_key hashes the plan's repr: a field left out of it (repr=False) would be left out of the key."""
    for cls in (MachinePlan, Step, Rollback, Window):
        hidden = [f.name for f in dataclasses.fields(cls) if not f.repr]
        assert not hidden, f"{cls.__name__}: {hidden} not in its repr, so not in the scripts' text key"


def test_the_results_reader_takes_the_generation_a_run_came_from():
    log = ("HFRESULT;Mon 06/02/2003;10:00;-;-;G000007;-;generation\r\n"
           "HFRESULT;Mon 06/02/2003;10:01;MS03-026;823980;Q823980i.exe;0;success\r\n"
           "HFRESULT;-;-;-;-;G00000X;-;generation\r\n")  # not a generation hfstage names: refused, counted
    result = parse_log("PC1", log)
    assert result.generation == "G000007" and result.malformed == 1
    assert result.patches[0].generation == "G000007" and result.patches[0].ok


def test_a_script_rendered_once_per_plan_is_the_script_rendered_for_the_machine(month1_site):
    """ByPlan renders a plan once for every machine that has it, and puts each machine's name in: each text must
    be byte for byte the one rendered for that machine alone (names of every length, every kind of machine)."""
    site = Site(month1_site)
    rows = site.history.machines(site.history.latest_scan(FULL).id)
    by_plan, checked = ByPlan(site.scripts), 0
    for row in rows:
        plan, rollback = _plan_and_rollback(site, row.machine)
        for name in (row.machine, "A", "PC-0001", "WORKSTATION-0.1"):
            p = dataclasses.replace(plan, machine=name) if plan else None
            r = dataclasses.replace(rollback, machine=name) if rollback else None
            assert by_plan.files(name, p, r) == machine_files(name, p, r, site.scripts), (row.machine, name)
            checked += 1
    assert checked >= 40 and len(by_plan.texts) < checked / 2  # rendered once per plan, not per machine
    # a plan whose own values hold the placeholder name is rendered for its machine alone, never substituted
    odd = dataclasses.replace(plan, machine="PC1", unavailable=[f"held: {ANONYMOUS}"])
    assert by_plan.files("PC1", odd, None) == machine_files("PC1", odd, None, site.scripts)


def test_the_placeholder_key_made_from_a_plans_repr_is_the_repr_of_its_copy(month1_site):
    """ByPlan keys a text on the plan's and rollback's repr under the placeholder name, made from the reprs the
    text key made (no copy, no second repr: issue 20): it must equal the repr of a copy named ANONYMOUS, for
    names of every length and names a value of the plan repeats."""
    site = Site(month1_site)
    checked = 0
    for row in site.history.machines(site.history.latest_scan(FULL).id):
        plan, rollback = _plan_and_rollback(site, row.machine)
        for value in (plan, rollback):
            for name in (row.machine, "A", "WORKSTATION-0.1", "Windows"):
                if value is not None:
                    copy = dataclasses.replace(value, machine=name)
                    anonymous = repr(dataclasses.replace(value, machine=ANONYMOUS))
                    assert _unnamed(repr(copy), copy) == anonymous, (row.machine, name)
                    checked += 1
    assert checked >= 40
    assert _unnamed("something else", plan) is None and _unnamed("None", None) == "None"
