"""`hfstage scan` against the real 2001 catalog: statuses and reasons derived by hand.

SCAN-NT4 is an NT 4.0 SP6a workstation with the post-SP6a rollup (MS01-041, Q299444)
installed by key and file versions, the Java VM newer than three bulletins expect, and
MS01-048 not installed. SCAN-W2K is a Windows 2000 SP2 server with IIS 5.0: MS01-013's
original package (re-released later) is installed, MS01-007 fully installed, MS00-079's
file newer than expected, and an IIS cumulative patch (MS01-044) missing that supersedes
MS01-033 and MS01-026.
"""

from __future__ import annotations

import json
import shutil

import pytest

from hfstage.assess import INSTALLED, MISSING, NOTE, SUPERSEDED, WARNING
from hfstage.pipeline import Site, all_assessments, scan
from tests.conftest import DATA, accept_machines

GOLDEN = DATA / "golden"


@pytest.fixture
def scan_share(share, real_catalog_path, run):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    for machine in ("SCAN-NT4", "SCAN-W2K"):
        shutil.copytree(DATA / "scan-inventory" / machine, share.folder("inventory") / machine)
    accept_machines(share)
    return share


def run_scan(share, **kwargs):
    site = Site(share)
    result = scan(site, **kwargs)
    result.assessments = all_assessments(site, result)
    return result


def _findings(result, machine):
    (a,) = [a for a in result.assessments if a.machine == machine]
    return {f.bulletin + " " + f.patch: f for f in a.findings}


def test_nt4_sp6a_statuses(scan_share):
    f = _findings(run_scan(scan_share, record=False), "SCAN-NT4")
    visible = {k: v.status for k, v in f.items() if v.status not in (SUPERSEDED,)}
    assert visible == {
        "MS99-031 msjavx86.exe": WARNING, "MS99-036 MS99-036": NOTE, "MS99-041 fixrasi.exe": NOTE,
        "MS99-045 msjavx86.exe": WARNING, "MS00-075 msjavx86.exe": NOTE, "MS00-081 msjavx86.exe": WARNING,
        "MS01-017 crlupd.exe": INSTALLED, "MS01-022 Rbupdate.exe": NOTE, "MS01-041 Q299444i.exe": INSTALLED,
        "MS01-048 Q305399i.exe": MISSING,
    }
    assert f["MS01-048 Q305399i.exe"].reason == \
        "registry key HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q305399 not found"
    assert f["MS00-081 msjavx86.exe"].reason == \
        "file C:\\WINNT\\system32\\msjava.dll has version 5.0.3805.0, newer than the expected 5.0.3802.0"
    assert f["MS99-036 MS99-036"].reason == \
        "the catalog has no file or registry details for this patch: confirm by hand"
    rollup = f["MS01-041 Q299444i.exe"]
    assert rollup.evidence[0] == \
        "registry value HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q299444\\Installed = '1'"
    assert "file C:\\WINNT\\system32\\advapi32.dll has version 4.0.1381.7097 (checksum not compared)" in rollup.evidence
    assert "file C:\\WINNT\\system32\\ole32.dll is absent (checked only if present)" in rollup.evidence
    # the rollup contains the older patches' fixes: they are superseded, not missing
    older = f["MS00-070 q266433i.exe"]
    assert older.status == SUPERSEDED and older.superseded_by == ["MS01-041 Q299444i.exe"]
    assert older.reason.startswith("contained in MS01-041 Q299444i.exe (installed); was: registry key ")
    # supersedence through a chain: MS00-011 -> MS00-059 -> MS00-075 (no details: a note)
    assert f["MS00-011 msjavx86.exe"].superseded_by == ["MS00-059 msjavx86.exe"]
    # MS99-046 holds q243835i.exe (superseded) and Q243835i.EXE (another product): names differing in case
    assert f["MS99-046 q243835i.exe"].status == SUPERSEDED


def test_w2k_server_with_iis_statuses(scan_share):
    f = _findings(run_scan(scan_share, record=False), "SCAN-W2K")
    assert f["MS01-013 Q285156_W2K_SP3_x86_en.EXE"].status == MISSING
    assert f["MS01-013 Q285156_W2K_SP3_x86_en.EXE"].reason == (
        "re-released patch: Q285156 from an earlier package is installed, but the revised package is not "
        "(file C:\\WINNT\\system32\\els.dll has version 5.0.2195.3000, less than the expected 5.0.2195.3649)")
    assert f["MS01-007 Q285851_W2K_SP3_x86_en.EXE"].status == INSTALLED
    assert f["MS00-079 Q276471_W2K_SP3_x86_en.EXE"].status == WARNING
    iis = f["MS01-044 q301625_w2k_sp3_x86_en.exe"]
    assert (iis.status, iis.product) == (MISSING, "Internet Information Services 5.0 SP2")
    assert iis.reason == ("file C:\\WINNT\\system32\\inetsrv\\asp.dll has version 5.0.2195.4000, less than the "
                          "expected 5.0.2195.4051")
    for older in ("MS01-033 Q300972_W2K_SP3_x86_en.EXE", "MS01-026 Q293826_W2K_SP3_x86_en.EXE"):
        assert f[older].status == SUPERSEDED and f[older].superseded_by == ["MS01-044 q301625_w2k_sp3_x86_en.exe"]
    assert f["MS01-025 Q296185_W2K_SP3_x86_en.EXE"].reason == (
        "could not confirm: none of the files this patch changes is present and the catalog has no registry "
        "check for it")
    # FixedInSP: MS01-013 is fixed in SP3 (ServicePackID 3); the SP2 machine still needs it
    assert "MS00-079 Q276471_W2K_SP3_x86_en.EXE" in f


def test_site_policy(scan_share, run):
    scan_share.site_ini.write_text(
        "[not_applicable]\nInternet Information Services 5.0 = no web servers on this site\n"
        "[suppress]\nMS01-022 = Rollback tool not used here\nQ299553 = compensating control CC-7\n"
        "[baseline]\npatches = MS01-048, MS01-013\n"
        "[severity]\nMS01-048 = Critical\nMS01-013 = Moderate\n")
    result = run_scan(scan_share, record=False)
    w2k, nt4 = _findings(result, "SCAN-W2K"), _findings(result, "SCAN-NT4")
    iis = w2k["MS01-044 q301625_w2k_sp3_x86_en.exe"]
    assert (iis.status, iis.reason) == ("not-applicable", "site does not run Internet Information Services 5.0: "
                                                          "no web servers on this site")
    assert w2k["MS01-031 Q299553_W2K_SP3_x86_en.EXE"].reason == "suppressed by site policy: compensating control CC-7"
    assert nt4["MS01-022 Rbupdate.exe"].status == "not-applicable"
    assert (nt4["MS01-048 Q305399i.exe"].severity, nt4["MS01-048 Q305399i.exe"].testing) == (
        "Critical", ["Assessing the patch", "Assessing server operations (limited)"])
    assert w2k["MS01-013 Q285156_W2K_SP3_x86_en.EXE"].testing == [
        "Assessing the patch", "Installing the patch in a test environment", "Assessing server operations (full)",
        "Checking the uninstall procedure"]
    code, out, _ = run("scan", scan_share.root, "--baseline")
    assert "MS01-048" in out and "MS01-013" in out and "MS00-077" not in out and "INTERNET INFORMATION" not in out
    code, _, err = run("scan", scan_share.root, "--fail-on", "critical")
    assert code == 1 and "1 finding(s) at or above --fail-on critical (exit 1)" in err
    code, _, err = run("scan", scan_share.root, "--fail-on", "important", "--machine", "SCAN-W2K")
    assert code == 0, err


def test_text_and_tab_layouts_match_golden(scan_share, run):
    code, text, _ = run("scan", scan_share.root)
    assert code == 1  # missing patches are findings
    assert text == (GOLDEN / "scan.txt").read_text()
    code, tab, _ = run("scan", scan_share.root, "--format", "tab")
    assert tab == (GOLDEN / "scan.tab").read_text()
    code, verbose, _ = run("-v", "scan", scan_share.root, "--show-superseded", "--machine", "SCAN-NT4")
    assert "Superseded          MS00-070        Q266433" in verbose and "    contained in MS01-041" in verbose
    assert "Installed           MS01-041        Q299444" in verbose


def test_json_csv_html_and_output_file(scan_share, run, tmp_path):
    code, out, _ = run("scan", scan_share.root, "--format", "json")
    data = json.loads(out)
    assert data["catalog_version"] == "1.0.1.148" and data["summary"]["machines"] == 2
    assert data["summary"]["missing"] == 8 and data["summary"]["compliant"] == 0
    assert {m["machine"]: m["status"] for m in data["machines"]} == {"SCAN-NT4": "needs patches",
                                                                     "SCAN-W2K": "needs patches"}
    code, out, _ = run("scan", scan_share.root, "--format", "csv")
    assert out.splitlines()[0].startswith("machine,machine_status,product,bulletin,patch,qnumber,title,status")
    code, _, err = run("scan", scan_share.root, "--format", "html", "--output", tmp_path / "r.html")
    html = (tmp_path / "r.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "MS01-048" in html and "<script" not in html


def test_two_scans_of_the_same_inputs_agree_and_history_reports(scan_share, run):
    first = run_scan(scan_share)
    second = run_scan(scan_share)
    assert [a.to_dict() for a in first.assessments] == [a.to_dict() for a in second.assessments]
    assert second.scan_id == first.scan_id + 1
    assert (len(first.fresh), len(second.fresh)) == (2, 0)  # nothing changed: nothing assessed again
    code, out, _ = run("report", scan_share.root, "--format", "json")
    data = json.loads(out)
    machines = {r["machine"]: r for r in data["rows"]}
    assert machines["SCAN-NT4"]["missing"] == 1 and machines["SCAN-W2K"]["missing"] == 7
    assert machines["SCAN-W2K"]["missing_by_severity"]["Unrated"] == 7
    (month,) = data["trend"]
    assert month["machines"] == 2 and month["compliant"] == 0
    code, out, _ = run("report", scan_share.root, "--by", "bulletin", "--format", "json")
    assert {r["bulletin"]: r["missing_on"] for r in json.loads(out)["rows"]}["MS01-048"] == ["SCAN-NT4"]


def test_unknown_machine_and_no_catalog(run, share):
    code, _, err = run("scan", share.root)
    assert code == 2 and "no catalog imported yet" in err
    code, _, err = run("report", share.root)
    assert code == 2 and "no full scan recorded" in err


def test_machines_file_and_report_since(scan_share, run, tmp_path):
    listing = tmp_path / "machines.txt"
    listing.write_text("# HFNetChk -fh style\nSCAN-NT4\n\n")
    code, out, _ = run("scan", scan_share.root, "--machines", listing)
    assert code == 1 and "SCAN-NT4" in out and "SCAN-W2K" not in out
    listing.write_text("NOPE\n")
    code, _, err = run("scan", scan_share.root, "--machines", listing)
    assert code == 2 and "no inventory folder for machine nope" in err
    run("scan", scan_share.root)
    code, _, err = run("report", scan_share.root, "--since", "2999-01-01")
    assert code == 2 and "no full scan recorded since 2999-01-01" in err
    code, out, _ = run("report", scan_share.root, "--since", "2000-01-01", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("machine,os,sp,status,missing")
