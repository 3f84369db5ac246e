"""`hfstage month` and `hfstage plan` on the example share; the HTML report in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from hfstage.pipeline import build_demo_share
from tests.conftest import EXAMPLES

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def demo_share(tmp_path):
    return build_demo_share(tmp_path / "demo")


def _cab(share, month):
    target = share.folder("incoming") / f"{month}.cab"
    shutil.copyfile(EXAMPLES / "incoming" / month / "mssecure.cab", target)
    return target


def _snapshot(share) -> dict[str, bytes]:
    out = {}
    for name in ("scripts", "reports", "catalogs", "netlogon"):
        for path in share.folder(name).rglob("*"):
            if path.is_file():
                out[str(path.relative_to(share.root))] = path.read_bytes()
    return out


def test_two_months(run, demo_share):
    code, out, _ = run("month", demo_share.root, "--cab", _cab(demo_share, "month1"), "--as-of", "2003-08-15")
    assert code == 1 and "[7/7] reports:" in out  # findings: machines that miss patches, one unreadable
    assert "1 unreadable machine(s): BADTRUNC" in out
    code, out, _ = run("month", demo_share.root, "--cab", _cab(demo_share, "month2"), "--as-of", "2003-09-15",
                       "--fail-on", "none")
    assert code == 0
    lines = [ln for ln in out.splitlines() if ln.startswith("[")]
    assert [ln.split(":")[0] for ln in lines] == [
        "[1/7] catalog import", "[2/7] catalog diff", "[3/7] inventory", "[4/7] scan", "[5/7] plan", "[6/7] scripts",
        "[7/7] reports"]
    assert "2.0.0.1 -> 2.0.0.2: 1 new, 1 revised, 0 removed bulletins, 3 supersedence changes" in lines[1]
    assert "12 machines" in lines[2] and "1 unreadable" in lines[2]
    assert all(ln.endswith(" s)") for ln in lines)
    # the plan: MS03-039 is new and Critical; MS02-045 was revised
    code, plan, _ = run("plan", demo_share.root, "--format", "md")
    assert "| 1 | MS03-039 |" in plan and "Critical" in plan and "revised" in plan
    assert "Owner: ______________________  Approver: ______________________" in plan
    assert "Minimum testing: Assessing the patch; Assessing server operations (limited)" in plan
    # scripts: NT4WKS misses MS03-039 (its MS03-026 is superseded by it)
    nt4 = (demo_share.folder("scripts") / "NT4WKS.bat").read_text()
    assert "WindowsNT4Workstation-KB824146-x86-ENU.exe" in nt4 and "KB823980" not in nt4
    # history: two months, two trend points
    code, out, _ = run("report", demo_share.root, "--format", "json")
    assert [t["month"] for t in json.loads(out)["trend"]] == ["2003-08", "2003-09"]
    reports = demo_share.folder("reports")
    index = (reports / "index.html").read_text()
    assert "<script" not in index and "<svg" in index and "2003-08" in index and "2003-09" in index
    assert 'id="machines">12<' in index and (reports / "machines" / "NT4WKS.html").is_file()
    assert (reports / "bulletins" / "MS03-039.html").is_file() and (reports / "plan.html").is_file()
    assert "@page { size: A4" in index
    # the same inputs again: nothing new in incoming, no machine assessed again, no script or page rewritten
    code, out, _ = run("month", demo_share.root, "--as-of", "2003-09-16", "--fail-on", "none")
    assert code == 0 and "nothing new in incoming" in out and "(0 assessed, 12 unchanged)" in out
    assert "; 0 files written," in out and "0 machine pages rendered, 12 unchanged" in out


def test_dry_run_changes_nothing(run, demo_share):
    run("month", demo_share.root, "--cab", _cab(demo_share, "month1"))
    before = _snapshot(demo_share)
    code, out, _ = run("month", demo_share.root, "--cab", _cab(demo_share, "month2"), "--dry-run")
    assert code == 1  # as the real month exits: machines miss patches
    assert "would change scripts/NT4WKS.bat" in out and "would add reports/bulletins/MS03-039" in out
    assert ".dry-run." not in out and f"run {demo_share.folder('netlogon') / 'schedule_nt4.bat'}" in out
    assert _snapshot(demo_share) == before
    assert not list(demo_share.state.glob(".*.tmp"))  # its copy is gone


def test_untrusted_catalog_stops_at_step_one(run, demo_share):
    for pem in demo_share.folder("trust").glob("*.pem"):
        pem.unlink()
    before = _snapshot(demo_share)
    code, out, err = run("month", demo_share.root, "--cab", _cab(demo_share, "month1"))
    assert code == 5 and "month stopped at step 1/7 (catalog import):" in err and "catalog refused" in err
    assert _snapshot(demo_share) == before


def test_corrupt_catalog_stops_at_step_one(run, demo_share, tmp_path):
    bad = tmp_path / "bad.cab"
    data = bytearray((EXAMPLES / "incoming" / "month1" / "mssecure.cab").read_bytes())
    data[300] ^= 0xFF
    bad.write_bytes(bytes(data))
    before = _snapshot(demo_share)
    code, _, err = run("month", demo_share.root, "--cab", bad)
    assert code in (3, 5) and "step 1/7 (catalog import)" in err and str(bad) in err
    assert _snapshot(demo_share) == before


def test_unreadable_inventory_rules_stop_at_step_three(run, demo_share):
    (demo_share.folder("state") / "products.json").write_text("{not json")
    before = _snapshot(demo_share)
    code, _, err = run("month", demo_share.root, "--cab", _cab(demo_share, "month1"))
    assert code == 3 and "step 3/7 (inventory)" in err and "products.json: cannot read product rules" in err
    after = _snapshot(demo_share)
    assert {k: v for k, v in after.items() if not k.startswith("catalogs")} == \
        {k: v for k, v in before.items() if not k.startswith("catalogs")}


def test_unwritable_scripts_stop_at_step_six_and_roll_back(run, demo_share):
    run("month", demo_share.root, "--cab", _cab(demo_share, "month1"), "--as-of", "2003-08-15")
    (demo_share.folder("scripts") / "XPSP1.bat").unlink()
    (demo_share.folder("scripts") / "XPSP1.bat").mkdir()  # a file that cannot be replaced
    before = _snapshot(demo_share)
    code, _, err = run("month", demo_share.root, "--cab", _cab(demo_share, "month2"), "--as-of", "2003-09-15")
    assert code == 3 and "step 6/7 (scripts)" in err and "XPSP1.bat" in err and "no script was changed" in err
    after = _snapshot(demo_share)
    assert {k: v for k, v in after.items() if k.startswith(("scripts", "reports", "netlogon"))} == \
        {k: v for k, v in before.items() if k.startswith(("scripts", "reports", "netlogon"))}


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (Debian package chromium)")
def test_report_renders_in_headless_chromium(run, tmp_path):
    assert run("demo", tmp_path / "demo")[0] == 0
    index = tmp_path / "demo" / "reports" / "index.html"
    flags = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,800"]
    dom = subprocess.run(flags + ["--dump-dom", index.as_uri()], capture_output=True, text=True, timeout=120).stdout
    assert 'id="machines">12</div>' in dom and 'id="missing">9</div>' in dom
    # the tile and the trend's last point are the same number
    code, out, _ = run("report", tmp_path / "demo", "--format", "json")
    last = json.loads(out)["trend"][-1]
    assert f'id="compliant">{last["percent_compliant"]}%</div>' in dom
    assert "unreadable" in dom and "service pack missing" in dom
    assert "<svg" in dom and "2003-09" in dom
    shot = tmp_path / "shot.png"
    subprocess.run(flags + [f"--screenshot={shot}", index.as_uri()], capture_output=True, timeout=120)
    assert shot.is_file() and shot.stat().st_size > 20_000
    pdf = tmp_path / "report.pdf"
    subprocess.run(flags + [f"--print-to-pdf={pdf}", index.as_uri()], capture_output=True, timeout=120)
    assert pdf.read_bytes()[:4] == b"%PDF"
