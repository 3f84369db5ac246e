"""How a month stops and what it alarms on (issue 25.3).

Ctrl-C used to print "Interrupted." and nothing else: the admin could not tell which step had stopped or
whether the share was half-changed. The run here sends itself SIGINT, as a terminal does on Ctrl-C, at a
step's start and in the middle of the scan, and must say which step, how far it got and what the share
holds, and leave the share as it says. And `month` exited 1 nearly every month (--fail-on any): the
default is now what a scheduled job should alarm on, Critical findings and failed installs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from hfstage.pipeline import build_demo_share
from tests.conftest import EXAMPLES


@pytest.fixture
def share(tmp_path):
    share = build_demo_share(tmp_path / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m.cab")
    return share


def _month(share, at: str, *more: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HFSTAGE_TEST_INTERRUPT_AT": at}
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), *more], env=env,
                          capture_output=True, text=True, timeout=300)


def test_ctrl_c_names_the_step_how_far_it_got_and_what_the_share_holds(share, run):
    done = _month(share, "progress:scan:5")
    assert done.returncode == 130
    assert done.stderr.startswith("Interrupted: month stopped at step 4/7 (scan, at scan: 5/12 machines (41%)): "
                                  "steps 1-3 (catalog import, catalog diff, inventory) finished and are kept; the "
                                  "scan was not recorded"), done.stderr
    assert f"Run `hfstage month {share.root}` again to finish" in done.stderr
    assert "[3/7] inventory" in done.stdout and "[4/7]" not in done.stdout
    code, out, err = run("report", share.root)
    assert code == 2 and "no full scan recorded" in err  # as it said: no scan was recorded
    assert not list(share.state.glob(".*.tmp"))


def test_ctrl_c_at_the_scripts_step_says_the_scan_is_kept_and_scripts_are_whole(share, run):
    done = _month(share, "step:6")
    assert done.returncode == 130
    assert "month stopped at step 6/7 (scripts): steps 1-5 (catalog import, catalog diff, inventory, scan, plan) " \
           "finished and are kept; each script is whole" in done.stderr
    code, out, _ = run("report", share.root, "--format", "json")
    assert code == 0  # the scan is the site's record
    assert not list(share.root.rglob(".*.tmp"))  # no half-written file anywhere
    assert run("month", share.root, "--fail-on", "none")[0] == 0  # the next run finishes


def test_ctrl_c_in_a_dry_run_says_nothing_changed(share):
    done = _month(share, "progress:scan:3", "--dry-run")
    assert done.returncode == 130
    assert "Interrupted: the dry run stopped at step 4/7 (scan): nothing changed on the share" in done.stderr
    assert not (share.folder("reports") / "index.html").exists() and not list(share.folder("scripts").glob("*.bat"))


def _quiet(share) -> None:
    """No Critical finding and no unreadable or incomplete machine left: only Moderate patches and machines the
    catalog does not cover."""
    share.site_ini.write_text(share.site_ini.read_text() + "\n[severity]\nMS03-039 = Moderate\nMS01-033 = Moderate\n")
    for machine in ("BADTRUNC", "W98SE"):
        shutil.rmtree(share.folder("inventory") / machine)


def test_fail_on_defaults_to_critical_findings_and_failed_installs(share, run):
    _quiet(share)
    code, out, err = run("month", share.root)
    assert code == 0, out + err  # Moderate patches missing, machines not covered: nothing to alarm on
    assert run("month", share.root, "--fail-on", "any")[0] == 1
    assert run("scan", share.root)[0] == 0 and run("scan", share.root, "--fail-on", "any")[0] == 1
    (share.folder("results") / "NT4WKS.log").write_text(
        "HFRESULT;2003-09-16;08:01;MS03-039;Q824146;WindowsNT4Workstation-KB824146-x86-ENU.exe;1603;failed\r\n")
    code, _, err = run("month", share.root)
    assert code == 1 and "at or above --fail-on critical" in err  # a failed install alarms whatever its severity
    assert run("results", share.root)[0] == 1
    assert run("month", share.root, "--fail-on", "none")[0] == 0
