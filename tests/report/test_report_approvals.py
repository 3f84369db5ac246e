"""Approvals show in every report (issue 21): "Approvals ... show in every report".

With site.ini [approval] mode = manual and a pilot ring, an admin approved MS01-033 for the pilot only. The
scripts were right (W2KSRV got it, WEB01 did not), but `hfstage report` said nothing of rings or approvals in
text, CSV or JSON; index.html did not say the site was in manual mode nor what waited for approval; a
bulletin's page did not say for which rings it was approved. Now every report gives each machine its ring and
each missing patch its approval state (auto / approved by X on DATE for ring R / waiting, with the command /
a revised package that needs approval again); the index has an Approval section listing, per ring, what waits
(the very list the month's summary prints: both read the plan) and a "waits for approval" item under Needs
you; bulletin pages show the approval per ring and per machine.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from hfstage.history import APPROVE, ApprovalEvent
from hfstage.pipeline import Site, month_plan
from hfstage.scripts import Gate
from tests.conftest import demo_with_cabinet

RINGS = "\n[approval]\nmode = manual\n[rings]\npilot = NT4WKS, W2KSRV\n"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from hfstage.cli import main

    share = demo_with_cabinet(tmp_path_factory.mktemp("approvals") / "demo")
    share.site_ini.write_text(share.site_ini.read_text() + RINGS)
    root = str(share.root)
    for args in (["month", root, "--as-of", "2003-08-15", "--fail-on", "none"],
                 ["approve", root, "MS01-033", "--ring", "pilot", "--note", "pilot week"],
                 ["scripts", "generate", root], ["scan", root, "--fail-on", "none"]):
        assert main(args) == 0, args
    return share


def _report(capsys, share, *args) -> str:
    from hfstage.cli import main

    capsys.readouterr()
    assert main(["report", str(share.root), *args]) == 0
    return capsys.readouterr().out


def test_report_gives_each_machine_its_ring_and_each_missing_patch_its_approval(site, capsys):
    rows = {r["machine"]: r for r in json.loads(_report(capsys, site, "--format", "json"))["rows"]}
    assert rows["W2KSRV"]["ring"] == "pilot" and rows["WEB01"]["ring"] == "all"
    w2k = {a["bulletin"]: a["approval"] for a in rows["W2KSRV"]["approvals"]}
    assert re.fullmatch(r"approved by \S+ on \d{4}-\d\d-\d\d for ring pilot", w2k["MS01-033"])
    web = {a["bulletin"]: a["approval"] for a in rows["WEB01"]["approvals"]}
    assert web["MS01-033"] == f"waiting for approval (hfstage approve {site.root} MS01-033 --ring all)"
    table = list(csv.DictReader(io.StringIO(_report(capsys, site, "--format", "csv"))))
    assert {r["machine"]: r["ring"] for r in table}["NT4WKS"] == "pilot"
    assert "1 approved" in {r["machine"]: r["approval"] for r in table}["W2KSRV"]
    text = _report(capsys, site, "--by", "patch")
    assert "approval mode manual" in text.splitlines()[0]
    line = next(x for x in text.splitlines() if x.startswith("MS01-033"))
    assert "pilot: approved by " in line and line.index("pilot:") < line.index("all: waiting for approval")


def test_the_index_says_the_mode_and_what_waits_per_ring_as_the_month_does(site):
    index = (site.folder("reports") / "index.html").read_text()
    assert "Approval mode: <strong>manual</strong>" in index
    table = index[index.index('id="approval-waiting"'):index.index("</table>", index.index('id="approval-waiting"'))]
    shown = set(re.findall(r"<td>(\w+)</td><td>(?:<a [^>]+>)?([\w-]+)(?:</a>)?</td><td>\S+</td><td>([^<]+)</td>",
                           table))
    waiting = month_plan(Site(site)).waiting
    gate = Site(site).scripts.gate
    assert shown == {(gate.ring_of(m), b, p) for (b, _, p), ms in waiting.items() for m in ms}
    assert ("all", "MS01-033", "Q300972_W2K_SP3_x86_en.EXE") in shown  # WEB01 is not in the pilot
    assert ("pilot", "MS01-033", "Q300972_W2K_SP3_x86_en.EXE") not in shown  # approved there
    assert 'data-kind="approval"' in index and "waiting for approval (site.ini [approval] mode = manual)" in index


def test_a_bulletin_page_shows_its_approval_per_ring(site):
    page = (site.folder("reports") / "bulletins" / "MS01-033.html").read_text()
    rings = page[page.index('id="approval-rings"'):page.index("</table>", page.index('id="approval-rings"'))]
    assert re.search(r"<td>pilot</td><td>approved by \S+ on [\d-]+ for ring pilot</td>", rings)
    assert f"<td>all</td><td>waiting for approval (hfstage approve {site.root} MS01-033 --ring all)</td>" in rings


def test_a_revised_package_reads_as_needing_approval_again():
    approved = ApprovalEvent(APPROVE, "MS03-026", "pilot", ("old.exe",), "admin",
                             "2003-08-15T10:00:00+00:00", "2.0.0.1")
    gate = Gate("manual", (("pilot", ("PC1",)),), (approved,))
    assert gate.state("PC1", "MS03-026", "Q823980", "old.exe") == "approved by admin on 2003-08-15 for ring pilot"
    assert gate.state("PC1", "MS03-026", "Q823980", "new.exe", "S") == \
        "revised package needs approval again (hfstage approve S MS03-026 --ring pilot)"
    assert gate.state("PC2", "MS03-026", "Q823980", "old.exe", "S") == \
        "waiting for approval (hfstage approve S MS03-026 --ring all)"
    assert Gate().state("PC2", "MS03-026", "-", "x.exe") == "auto"
