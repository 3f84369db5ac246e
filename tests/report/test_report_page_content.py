"""A machine's page is rendered again only when what it shows changed (issue 20 section 6).

Patch Tuesday: a new catalog changes every machine's assessment (each gains the new bulletin's
not-applicable finding) and every page's inputs, yet for most machines nothing their page shows. The lead's
decision: a machine's page names no catalog version (the index does); the report memo keeps, beside each
page's inputs, the key of what the page showed when it was written; a page whose inputs changed is looked
at again, and rendered only when that second key differs. Each case below first proves the skip (a new
catalog, nothing shown changed: not rendered) and then changes one thing the page shows, with another new
catalog, and proves the page follows: a key that left that thing out would keep the old page.

A client that drops the same facts again (every collection written again) changes when the server last saw
its evidence: that time is on the machine lists (column Last evidence, with the stale badge), not on the
machine's page, which keeps the stale badge only; such a month renders no machine page.
"""

from __future__ import annotations

import dataclasses
import os
import time

import pytest

from hfstage.assess import NOT_APPLICABLE, Assessment, Finding
from hfstage.history import MachineRow, assessment_key
from hfstage.notices import Notice
from hfstage.report import MachinePage, MonthPlan, SiteExtras, SiteView, Situation, write_site_report
from hfstage.report.machine_page import EvidenceView, ScriptView, StepView
from hfstage.scripts import MachineResults
from hfstage.share import Share, init_share
from tests.reportsite import cli, site_with_problems


def _finding(reason: str = "File version is less than expected.", status: str = "missing", bulletin="MS02-045"):
    return Finding("PC1", "Windows 2000 Server SP2", bulletin, "Q326830_W2K_SP4_X86_EN.exe", "Q326830",
                   "Unchecked buffer in network share provider", status, reason, severity="Moderate")


STEP = StepView(1, "MS02-045", "Q326830", "Q326830_W2K_SP4_X86_EN.exe", "Q326830_W2K_SP4_X86_EN.exe", "update",
                "the package's version resource", '"%HF_PKG%\\Q326830_W2K_SP4_X86_EN.exe" -u -q -z', "needed", "")
BASE = {"a": Assessment("PC1", "Windows 2000 Server", "2", findings=[_finding()], status="needs patches"),
        "page": MachinePage(ScriptView([STEP]),
                            EvidenceView(["SOFTWARE", "SYSTEM"], trust="high"), None, True, False),
        "rollback": [], "share": "\\\\DC1\\hfstage", "scripts_now": False, "stale_days": 14}


def _with_page(**changes):
    return {"page": dataclasses.replace(BASE["page"], **changes)}


CHANGES = {  # one thing the page shows, changed: (the change, a text it brings to the page or takes away)
    "a finding's reason": ({"a": dataclasses.replace(BASE["a"], findings=[_finding("Registry key not found.")])},
                           "Registry key not found."),
    "the machine's status": ({"a": dataclasses.replace(BASE["a"], status_detail="1 critical")}, "1 critical"),
    "a warning": ({"a": dataclasses.replace(BASE["a"], warnings=[Notice("install", "PC1", "a reboot is pending")])},
                  "a reboot is pending"),
    "its script": (_with_page(script=ScriptView([dataclasses.replace(STEP, command="Q326830.exe -m -z")])),
                   "Q326830.exe -m -z"),
    "its evidence": (_with_page(evidence=EvidenceView(["SOFTWARE.reg"], trust="low")), "SOFTWARE.reg"),
    "its results": (_with_page(results=MachineResults("PC1", error="results\\PC1.log: not a regular file")),
                    "not a regular file"),
    "whether it ever reported": (_with_page(reported=False), "<dd>never;"),
    "stale": (_with_page(stale=True), "badge warning\">stale"),
    "its rollback": ({"rollback": ["Q326830 (MS02-045)"]}, "Q326830 (MS02-045)</li>"),
    "the share": ({"share": "\\\\DC2\\patches"}, "DC2"),
    "where the scripts stand": ({"scripts_now": True}, "from this scan: the script on the share"),
    "site.ini's stale days": ({"stale_days": 30}, "within the last 30 days"),
}


def _write(share, version: str, shown: dict) -> tuple[str, int]:
    """The report of one machine whose page shows SHOWN, under catalog VERSION: (its page, pages rendered)."""
    a = shown["a"]
    row = MachineRow(1, "PC1", a.os, a.service_pack, None, None, a.status, a.status_detail, 1, 0, 1, None,
                     assessment_key(a), None)
    inputs = repr([shown[k] for k in ("page", "rollback", "share", "scripts_now", "stale_days")])
    extras = SiteExtras(share=shown["share"], situation=Situation([row], stale_days=shown["stale_days"]),
                        page=lambda _: shown["page"], page_keys={"PC1": inputs}, scripts_now=shown["scripts_now"])
    view = SiteView(version, 1, [row], [], lambda keys: {row.assessment_key: a}, rollback={"PC1": shown["rollback"]},
                    extras=extras)
    result = write_site_report(share, view, MonthPlan(version, None, "", 1), [])
    return (share.folder("reports") / "machines" / "PC1.html").read_text(encoding="utf-8"), result.rendered_pages


@pytest.mark.parametrize("what", CHANGES)
def test_a_new_catalog_renders_a_page_again_only_when_what_it_shows_changed(tmp_path, what):
    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    before, rendered = _write(share, "1.0.1.148", BASE)
    assert rendered == 1 and "1.0.1.148" not in before  # the page names no catalog: the index does

    new_bulletin = _finding("", NOT_APPLICABLE, "MS01-999")
    same = {**BASE, "a": dataclasses.replace(BASE["a"], findings=[*BASE["a"].findings, new_bulletin])}
    page, rendered = _write(share, "1.0.1.149", same)
    assert (page, rendered) == (before, 0)  # new inputs, nothing shown changed: not rendered

    change, text = CHANGES[what]
    page, rendered = _write(share, "1.0.1.150", {**same, **change})
    assert rendered == 1 and (text in page) != (text in before)


def test_the_same_facts_dropped_again_render_no_machine_page_and_stale_stays_visible(tmp_path):
    share, _ = site_with_problems(tmp_path / "demo")
    later = time.time() + 120
    for f in share.folder("inventory").rglob("*"):
        if f.is_file():
            os.utime(f, (later, later))  # every collection written again, with the same bytes
    code, out, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    assert " 0 machine pages rendered, 12 unchanged" in out
    listed = (share.folder("reports") / "lists" / "all-1.html").read_text(encoding="utf-8")
    assert "<th>Last evidence</th>" in listed and 'data-sort="20' in listed  # the time, to the minute, is here
    page = (share.folder("reports") / "machines" / "DC01.html").read_text(encoding="utf-8")
    assert "Last fresh evidence</dt><dd>within the last 14 days" in page


def test_a_new_stale_limit_in_site_ini_reaches_every_machine_page(tmp_path):
    share, _ = site_with_problems(tmp_path / "demo")
    share.site_ini.write_text(share.site_ini.read_text() + "\n[report]\nstale_days = 30\n")
    code, _, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    page = (share.folder("reports") / "machines" / "DC01.html").read_text(encoding="utf-8")
    assert "Last fresh evidence</dt><dd>within the last 30 days" in page
