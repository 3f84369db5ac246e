"""Verdicts that never overstate, on real inputs and on later catalogs; partial scans; the month's notices.

- The real SYSTEM hive (../shared/fixtures/real/SYSTEM_2) alone gives name, role, service pack
  and pending renames.
- Each machine has one status in the same words in every format and in the report.
- A later-schema catalog (tests/data/catalogs/later-schema.xml) imports; Microsoft's severity,
  CVE and Bugtraq IDs reach the outputs; its current and minimum service packs drive the
  "service pack missing" finding.
"""

from __future__ import annotations

import csv
import io
import json
import shutil

import pytest

from hfstage.inventory import gather_facts
from hfstage.pipeline import build_demo_share
from tests.conftest import DATA, EXAMPLES, SHARED

SYSTEM_2 = SHARED / "fixtures" / "real" / "SYSTEM_2"
LATER = DATA / "catalogs" / "later-schema.xml"


def test_a_real_system_hive_alone_says_what_it_can(tmp_path):
    if not SYSTEM_2.is_file():
        pytest.skip(f"{SYSTEM_2} not present (../shared is not beside the project)")
    machine = tmp_path / "SENSEI"
    machine.mkdir()
    shutil.copyfile(SYSTEM_2, machine / "SYSTEM")
    f = gather_facts(machine)
    assert f.error is None
    assert (f.computer_name, f.os_family, f.product_type, f.role) == ("SENSEI", "NT", "WinNT", "workstation")
    assert f.product_suite == ["Terminal Server"] and f.architecture == "AMD64"
    assert (f.service_pack, f.service_pack_label) == (0, "0")  # Control\Windows\CSDVersion = 0
    assert f.pending_renames is True  # Session Manager\PendingFileRenameOperations is set
    assert f.evidence["product_type"] == "HKLM\\SYSTEM\\ControlSet001\\Control\\ProductOptions\\ProductType = 'WinNT'"
    assert f.missing[0].startswith("SOFTWARE hive")


@pytest.fixture
def demo(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    (share.folder("inventory") / "NEWPC").mkdir()  # made by an admin for a machine not yet collected
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m.cab")
    code, out, _ = run("month", share.root)
    assert code == 1, out  # findings
    return share


def test_each_machine_has_one_status_that_never_overstates(demo, run):
    code, out, _ = run("scan", demo.root, "--format", "json")
    machines = {m["machine"]: m for m in json.loads(out)["machines"]}
    status = {name: m["status"] for name, m in machines.items()}
    assert status["BADTRUNC"] == "unreadable"
    assert status["NEWPC"] == "waiting for first collection"
    assert status["W95"] == "not covered by the catalog"  # the example catalog has no Windows 95
    assert machines["W95"]["status_detail"] == "the catalog does not cover Windows 95"
    assert status["W2KSRV"] == "service pack missing"
    assert "Windows 2000 Server is at service pack 2, below the catalog's current Windows 2000 Service Pack 4" in \
        machines["W2KSRV"]["status_detail"]
    # BADREG's export has two lines that cannot be read: whatever else it is, it is not compliant, and says so
    assert status["BADREG"] != "compliant" and "could not read: " in machines["BADREG"]["status_detail"]
    assert "compliant" not in status.values()


def test_the_same_words_in_every_format(demo, run):
    _, text, _ = run("scan", demo.root)
    _, tab, _ = run("scan", demo.root, "--format", "tab")
    _, csv_text, _ = run("scan", demo.root, "--format", "csv")
    _, html, _ = run("scan", demo.root, "--format", "html")
    _, report, _ = run("report", demo.root, "--format", "json")
    rows = {r["machine"]: r["status"] for r in json.loads(report)["rows"]}
    csv_rows = {r["machine"]: r["machine_status"] for r in csv.DictReader(io.StringIO(csv_text))}
    tab_rows = {line.split("\t")[0]: line.split("\t")[1] for line in tab.splitlines()[1:]}
    page = (demo.folder("reports") / "machines" / "W2KSRV.html").read_text()
    for machine, status in rows.items():
        assert csv_rows[machine] == status and tab_rows[machine] == status
        assert f"{machine} (" in text and f"Status: {status}" in text
    assert "Status: service pack missing" in html and ">service pack missing<" in page
    assert "All necessary hotfixes have been applied" not in text  # nothing here is compliant


def test_tiles_and_trend_agree(demo, run):
    _, report, _ = run("report", demo.root, "--format", "json")
    point = json.loads(report)["trend"][-1]
    index = (demo.folder("reports") / "index.html").read_text()
    assert f'id="compliant">{point["percent_compliant"]}%<' in index
    assert f'id="machines">{point["machines"]}<' in index


def test_a_scan_of_some_machines_is_not_the_sites_record(demo, run):
    _, before, _ = run("report", demo.root, "--format", "json")
    code, out, err = run("scan", demo.root, "--machine", "DC01")
    assert "DC01 (Windows 2000 Server SP3)" in out
    assert ("not recorded scan of 1 machine(s): the site's record is unchanged (use --record to keep it as a "
            "partial scan)") in err
    _, after, _ = run("report", demo.root, "--format", "json")
    assert json.loads(after) == json.loads(before)
    code, _, err = run("scan", demo.root, "--machine", "DC01", "--record")
    assert "partial scan of 1 machine(s): the site's record is unchanged" in err
    _, after, _ = run("report", demo.root, "--format", "json")
    data = json.loads(after)
    assert len(data["rows"]) == 13 and data["trend"] == json.loads(before)["trend"]


def _nt4(folder, name: str, sp: str, hotfixes: tuple[str, ...] = ()) -> None:
    """An NT 4.0 workstation as the collector's regedit /e fallback exports it."""
    lines = ["REGEDIT4", "", "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]",
             '"CurrentVersion"="4.0"', '"CurrentBuildNumber"="1381"', f'"CSDVersion"="Service Pack {sp[0]}"',
             '"SystemRoot"="C:\\\\WINNT"', ""]
    for q in hotfixes + (("Q246009",) if sp == "6a" else ()):
        lines += [f"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\{q}]",
                  '"Installed"=dword:00000001', ""]
    lines += ["[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName]",
              f'"ComputerName"="{name}"', "",
              "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions]", '"ProductType"="WinNT"', ""]
    (folder / name).mkdir()
    (folder / name / "hf01.reg").write_text("\r\n".join(lines), encoding="cp1252")


@pytest.fixture
def later(share, run):
    assert run("catalog", "import", share.root, "--xml", LATER, "--allow-unsigned")[0] == 0
    inventory = share.folder("inventory")
    _nt4(inventory, "NT4SP6A", "6a")
    _nt4(inventory, "NT4SP5", "5")
    _nt4(inventory, "NT4SP3", "3")
    return share


def test_later_schema_severity_cve_bugtraq_and_service_packs(later, run):
    code, out, _ = run("scan", later.root, "--format", "json")
    machines = {m["machine"]: m for m in json.loads(out)["machines"]}
    (rpc,) = [f for f in machines["NT4SP6A"]["findings"] if f["bulletin"] == "MS03-026"]
    assert rpc["status"] == "missing" and rpc["severity"] == "Critical"  # Microsoft's rating, from MSSeverityID
    assert rpc["cve_ids"] == ["CAN-2003-0352"] and rpc["bugtraq_ids"] == ["8205"]
    assert machines["NT4SP6A"]["status"] == "needs patches"
    assert machines["NT4SP5"]["status"] == "service pack missing"
    assert machines["NT4SP5"]["status_detail"] == ("Windows NT Workstation 4.0 is at service pack 5, below the "
                                                   "catalog's current Windows NT4 Service Pack 6a")
    (sp3,) = [f for f in machines["NT4SP3"]["findings"] if f["kind"] == "service pack"]
    assert (sp3["severity"], sp3["patch"]) == ("Critical", "Windows NT4 Service Pack 4")
    assert "below the catalog's minimum supported Windows NT4 Service Pack 4" in sp3["reason"]
    _, csv_text, _ = run("scan", later.root, "--format", "csv")
    (row,) = [r for r in csv.DictReader(io.StringIO(csv_text)) if r["bulletin"] == "MS03-026"]
    assert (row["cve"], row["bugtraq"], row["severity"]) == ("CAN-2003-0352", "8205", "Critical")
    assert run("month", later.root, "--fail-on", "none")[0] == 2  # [share] unc is not set: refused first
    later.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    assert run("month", later.root, "--fail-on", "none")[0] == 0
    page = (later.folder("reports") / "machines" / "NT4SP6A.html").read_text()
    assert "CAN-2003-0352" in page and "Bugtraq 8205" in page
    bulletin = (later.folder("reports") / "bulletins" / "MS03-026.html").read_text()
    assert "Severity Critical" in bulletin
    code, out, _ = run("catalog", "show", later.root, "--bulletin", "MS03-026")
    assert "CVE CAN-2003-0352" in out and "Bugtraq 8205" in out and "note: Also install on NT 4.0" in out
