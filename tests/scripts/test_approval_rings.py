"""Approval and rings (issue 21): what the admin approves is what clients run, pilot machines first.

hfstage used to script every applicable missing patch on every machine as soon as a package was on the
share: an admin following assess, identify, evaluate and plan could not say "pilot machines first" nor
approve anything. With site.ini [approval] mode = manual nothing is scripted until approved; an approval
for ring pilot reaches only the machines [rings] names; `--ring all` then reaches the rest. Approvals are
kept (who, when, catalog, packages, note) in state\\approvals.json and audit.log, shown in the plan, and a
revised bulletin whose package changed needs approval again.
"""

from __future__ import annotations

import shutil

from hfstage.history import APPROVE, ApprovalEvent
from hfstage.pipeline import Site, build_demo_share, month_plan
from hfstage.scripts import Gate
from tests.conftest import EXAMPLES
from tests.pipeline.test_plan_contract import script_pairs

PILOT = {"NT4WKS", "W2KSRV"}


def test_a_manual_month_scripts_nothing_then_the_pilot_then_everyone(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    rings = "\n[approval]\nmode = manual\n[rings]\npilot = NT4WKS, W2KS*\n"
    share.site_ini.write_text(share.site_ini.read_text() + rings)
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "m1.cab")
    code, out, err = run("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")
    assert code == 0, err
    assert script_pairs(share) == set()  # nothing before approval
    assert "patch(es) wait for approval: " in out and "MS03-026" in out
    code, out, err = run("approve", share.root, "MS03-026", "Q300972", "--ring", "pilot", "--note", "pilot week")
    assert code == 0 and "approved MS03-026 for ring pilot" in out, err
    assert run("scripts", "generate", share.root)[0] == 0
    pilot = script_pairs(share)
    assert pilot and {m for m, _, _ in pilot} <= PILOT
    assert ("W2KSRV", "MS01-033", "Q300972_W2K_SP3_x86_en.EXE") in pilot  # approved by its Q number
    plan = month_plan(Site(share))
    assert plan.pairs() == pilot and all("(pilot)" in d.approval for d in plan.deploy)
    assert any(m == "WEB01" and "not approved for ring all" in why for m, why in plan.held)
    assert run("scan", share.root, "--fail-on", "none")[0] == 0  # a full scan brings the report up to date
    pages = share.folder("reports") / "machines"
    page = (pages / "W2KSRV.html").read_text()
    script = page[page.index('id="script"'):page.index('id="results"')]
    assert "Ring: pilot; [approval] mode = manual" in script and "(pilot)</td>" in script  # who let it through
    web = (pages / "WEB01.html").read_text()
    assert "Ring: all" in web and "not approved for ring all (hfstage approve SHARE MS01-033 --ring all)" in web
    assert run("approve", share.root, "MS03-026", "MS01-033", "--ring", "all")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    everyone = script_pairs(share)
    assert pilot < everyone and {"NORES", "DC01", "WEB01"} <= {m for m, _, _ in everyone}
    assert month_plan(Site(share)).pairs() == everyone
    audit = (share.state / "audit.log").read_text()
    assert "approved MS03-026 for ring pilot (catalog 2.0.0.1; packages " in audit and ": pilot week" in audit
    code, out, _ = run("approve", share.root, "--list")
    assert "approval mode: manual" in out and "ring pilot: NT4WKS, W2KS*" in out and "- pilot week" in out
    assert run("unapprove", share.root, "MS03-026", "--ring", "all")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    assert ("NORES", "MS03-026", "WindowsNT4Workstation-KB823980-x86-ENU.exe") not in script_pairs(share)


def test_an_unknown_id_or_ring_is_refused_in_one_line(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "m1.cab")
    assert run("catalog", "import", share.root)[0] == 0
    code, _, err = run("approve", share.root, "MS99-999")
    assert code == 2 and "MS99-999: no bulletin or Q/KB number of that name in catalog 2.0.0.1" in err
    code, _, err = run("approve", share.root, "MS03-026", "--ring", "pilot")
    assert code == 2 and "--ring pilot: site.ini [rings] names all" in err


def test_a_revised_package_needs_approval_again():
    approved = ApprovalEvent(APPROVE, "MS03-026", "all", ("old-823980.exe",), "admin",
                             "2003-08-15T10:00:00+00:00", "2.0.0.1")
    gate = Gate("manual", (("pilot", ("PC1",)),), (approved,))
    assert gate.why_not("PC2", "MS03-026", "Q823980", "old-823980.exe") is None
    why = gate.why_not("PC2", "MS03-026", "Q823980", "new-823980.exe")
    assert why == ("approved 2003-08-15 by admin for old-823980.exe, but the catalog now names new-823980.exe "
                   "(a revised package): approve MS03-026 again")
    assert gate.ring_of("pc1") == "pilot" and Gate().why_not("PC2", "MS03-026", "-", "x.exe") is None  # auto
