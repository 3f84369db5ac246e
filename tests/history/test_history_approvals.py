"""Approvals in the history (issue 21): "Approvals are kept in the history (who ran it, when, catalog version,
note) and in state\\audit.log".

They were kept only in state\\approvals.json, a file rewritten whole, beside the audit log: the history held no
record of who approved what, and a withdrawn approval left no trace but a log line. Every approve and unapprove is
now an event in history.sqlite (schema 6), and the approvals standing are what the events leave: one source of
truth, one transaction. `approve --list` shows what stands, `approve --history` every event. A run killed after
the history's transaction and before audit.log's line leaves the line to the next approve or unapprove, written
once. A share upgraded from approvals.json keeps every approval: the file is read until the first change takes
it into the history, and it is not read after.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys

from hfstage.pipeline import Site
from hfstage.pipeline.approvals import gate
from tests.conftest import demo_with_cabinet

RINGS = "\n[approval]\nmode = manual\n[rings]\npilot = NT4WKS, W2KS*\n"


def _share(tmp_path, run):
    share = demo_with_cabinet(tmp_path / "demo")
    share.site_ini.write_text(share.site_ini.read_text() + RINGS)
    assert run("catalog", "import", share.root)[0] == 0
    return share


def _events(share) -> list[tuple]:
    with sqlite3.connect(share.state / "history.sqlite") as conn:
        return conn.execute("SELECT action, approval, ring, packages, catalog_version, note FROM approval_events "
                            "ORDER BY seq").fetchall()


def test_approve_and_unapprove_are_events_in_the_history(tmp_path, run):
    share = _share(tmp_path, run)
    assert run("approve", share.root, "MS03-026", "--ring", "pilot", "--note", "pilot week")[0] == 0
    assert run("approve", share.root, "Q300972")[0] == 0
    assert run("unapprove", share.root, "MS03-026")[0] == 0
    events = _events(share)
    assert [e[:3] for e in events] == [("approve", "MS03-026", "pilot"), ("approve", "300972", "all"),
                                       ("unapprove", "MS03-026", "pilot")]
    assert events[0][4:] == ("2.0.0.1", "pilot week") and json.loads(events[0][3])
    assert [a.id for a in gate(Site(share)).approved] == ["300972"]  # what the events leave standing
    code, out, _ = run("approve", share.root, "--list")
    assert code == 0 and "300972 for ring all" in out and "MS03-026 for" not in out
    code, out, _ = run("approve", share.root, "--history")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and "approve MS03-026 for ring pilot (" in lines[0]
    assert lines[0].endswith("catalog 2.0.0.1 - pilot week") and "unapprove MS03-026 for ring pilot" in lines[2]
    audit = (share.state / "audit.log").read_text()
    assert [audit.count(f"[approval event {n}]") for n in (1, 2, 3)] == [1, 1, 1]


def test_a_run_killed_between_the_history_and_the_audit_log_leaves_them_agreeing(tmp_path, run):
    share = _share(tmp_path, run)
    killed = _killed(share)
    assert killed.returncode == -9
    assert [a.id for a in gate(Site(share)).approved] == ["MS03-026"]  # the transaction was whole
    audit = share.state / "audit.log"
    assert "[approval event 1]" not in (audit.read_text() if audit.exists() else "")
    assert run("approve", share.root, "Q300972")[0] == 0  # the next change writes the missing line first
    text = audit.read_text()
    assert text.count("approved MS03-026 for ring pilot") == 1 and text.index("event 1]") < text.index("event 2]")
    assert run("unapprove", share.root, "Q300972")[0] == 0
    assert audit.read_text().count("[approval event 1]") == 1  # never twice


def _killed(share):
    """`approve` killed (as by a power cut) just after the history's transaction."""
    env = dict(os.environ, HFSTAGE_TEST_KILL_AT="approval:recorded")
    return subprocess.run([sys.executable, "-m", "hfstage", "approve", str(share.root), "MS03-026", "--ring",
                           "pilot"], capture_output=True, text=True, timeout=300, env=env)


def test_approvals_json_of_an_earlier_hfstage_is_taken_in_once(tmp_path, run):
    share = _share(tmp_path, run)
    old = {"approvals": [{"id": "MS03-026", "ring": "pilot", "packages": ["Windows2000-KB823980-x86-ENU.exe"],
                          "by": "admin", "at": "2003-08-15T10:00:00+00:00", "catalog": "2.0.0.1",
                          "note": "from before"}]}
    (share.state / "approvals.json").write_text(json.dumps(old))
    assert [a.by for a in gate(Site(share)).approved] == ["admin"]  # read beside the history before the upgrade
    assert run("approve", share.root, "Q300972")[0] == 0
    assert [e[:2] for e in _events(share)] == [("approve", "MS03-026"), ("approve", "300972")]
    (share.state / "approvals.json").write_text(json.dumps({"approvals": []}))  # no longer read
    assert [(a.id, a.by) for a in gate(Site(share)).approved][0] == ("MS03-026", "admin")
    assert run("unapprove", share.root, "Q300972")[0] == 0
    assert len([e for e in _events(share) if e[1] == "MS03-026"]) == 1  # taken in once
    assert "took 1 approval(s) from approvals.json into the history" in (share.state / "audit.log").read_text()
