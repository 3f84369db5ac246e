"""What an admin found trying the demo share as a site would, each now a guard:

statuses that never rest on missing evidence (no IE key on Windows 98, a SOFTWARE hive alone, hives
filed under another machine's folder), the package pins that never silently reset, the _unnamed
spool that never replaces a known machine, one summary shape and one count of missing patches in
every JSON, service packs in the fetch list, names in site.ini that match nothing, and refusals that
say what to do.
"""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from tests.conftest import demo_with_cabinet


@pytest.fixture
def demo(tmp_path, run):
    share = demo_with_cabinet(tmp_path / "demo", "month2", as_name="m.cab")
    assert run("month", share.root)[0] == 1
    return share


def _status(run, share, machine: str) -> dict:
    code, out, _ = run("scan", share.root, "--format", "json", "--machine", machine)
    (found,) = json.loads(out)["machines"]
    return found


def test_windows_98_without_its_internet_explorer_key_is_incomplete_not_compliant(demo, run):
    export = demo.folder("inventory") / "W98" / "hf01.reg"
    text = export.read_text(encoding="cp1252")
    start = text.index("[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Internet Explorer]")
    end = text.index("\n[", start + 1)
    export.write_text(text[:start] + text[end + 1:], encoding="cp1252")
    found = _status(run, demo, "W98")
    assert found["status"] == "incomplete inventory"
    assert ("Internet Explorer, part of every Windows 98: HKLM\\SOFTWARE\\Microsoft\\Internet Explorer\\Version "
            "absent") in found["status_detail"]
    export.write_text(text.replace(text[start:end], "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Internet Explorer]"
                                   '\r\n"Version"="<img src=x>"\r\n'), encoding="cp1252")
    found = _status(run, demo, "W98")
    assert found["status"] == "incomplete inventory" and "'<img src=x>', which no rule knows" in \
        found["status_detail"]


def test_a_software_hive_alone_is_an_incomplete_inventory(demo, run):
    half = demo.folder("inventory") / "HALF"
    half.mkdir()
    shutil.copyfile(demo.folder("inventory") / "XPSP1" / "SOFTWARE", half / "SOFTWARE")
    found = _status(run, demo, "HALF")
    assert found["status"] == "incomplete inventory"
    assert found["status_detail"].startswith("operating system not known: ")
    assert "SYSTEM hive (computer name and product type unknown)" in found["status_detail"]


def test_hives_of_another_computer_are_not_assessed_and_get_no_script(demo, run):
    web = demo.folder("inventory") / "WEB01"
    for hive in ("SOFTWARE", "SYSTEM"):
        shutil.copyfile(demo.folder("inventory") / "W2KSRV" / hive, web / hive)
    code, out, err = run("month", demo.root)
    assert "1 unreadable machine(s)" not in out and "unreadable machine(s): BADTRUNC, WEB01" in out
    found = _status(run, demo, "WEB01")
    assert found["status"] == "unreadable" and "the registry data is of computer 'W2KSRV', not 'WEB01'" in \
        found["status_detail"]
    assert "nothing" in (demo.folder("scripts") / "WEB01.bat").read_text()
    assert "%HF_PKG%" not in (demo.folder("scripts") / "WEB01.bat").read_text()


def test_an_unnamed_export_never_replaces_a_known_machines_inventory(demo, run):
    own = (demo.folder("inventory") / "W95" / "hf01.reg").read_bytes()
    spool = demo.folder("inventory") / "_unnamed" / "alice"
    spool.mkdir(parents=True)
    forged = (demo.folder("inventory") / "W98" / "hf01.reg").read_text(encoding="cp1252")
    (spool / "hf01.reg").write_text(forged.replace('"ComputerName"="W98"', '"ComputerName"="W95"'),
                                      encoding="cp1252")
    code, out, err = run("inventory", demo.root, "--fail-on", "none")
    assert "claim to be W95, which has its own inventory\\W95" in out + err
    assert (demo.folder("inventory") / "W95" / "hf01.reg").read_bytes() == own
    assert (spool / "hf01.reg").is_file()  # left where it is, for the admin to look at


def test_damaged_package_pins_stop_the_run_instead_of_forgetting_every_confirmation(demo, run):
    (demo.state / "packages.json").write_text("{bad")
    code, _, err = run("packages", "verify", demo.root)
    assert code == 7 and f"{demo.state / 'packages.json'}: damaged" in err and "hfstage packages confirm" in err
    code, _, err = run("month", demo.root)
    assert code == 7 and "packages.json: damaged" in err


def test_one_summary_shape_and_one_count_of_missing_patches(demo, run):
    _, out, _ = run("scan", demo.root, "--format", "json")
    scanned = json.loads(out)["summary"]
    written = json.loads((demo.folder("reports") / "scan.json").read_text())["summary"]
    assert scanned == written
    assert scanned["missing"] == sum(scanned["missing_by_severity"].values())
    assert scanned["service_packs_missing"] == 3  # DC01, W2KSRV, WEB01: findings, not missing patches
    index = (demo.folder("reports") / "index.html").read_text()
    assert f'id="missing">{scanned["missing"]}<' in index
    _, report, _ = run("report", demo.root, "--format", "json")
    for row in json.loads(report)["rows"]:
        assert row["missing"] == sum(row["missing_by_severity"].values()), row["machine"]


def test_service_packs_are_in_the_fetch_list_and_named_in_idle_scripts(demo, run):
    ini = demo.site_ini
    ini.write_text(ini.read_text() + "\n[service_packs]\nWindows 2000 Server = w2ksp4_en.exe\n")
    code, out, _ = run("month", demo.root)
    fetch = (demo.folder("reports") / "missing-packages.txt").read_text()
    assert "SP\t-\tw2ksp4_en.exe\tyour service pack media\t3" in fetch
    assert "1 packages not found under hotfixes" in out
    code, out, _ = run("packages", demo.root, "--missing")
    assert "w2ksp4_en.exe" in (demo.folder("reports") / "missing-packages.txt").read_text()


def test_names_in_site_ini_that_match_nothing_are_named(demo, run):
    ini = demo.site_ini
    ini.write_text(ini.read_text() + "\n[service_packs]\nWindows 2000 Srever = w2ksp4_en.exe\n[reboot_machines]\n"
                   "WEBO1 = never\n[switches]\nWindowsXP-KB82414-x86-ENU.exe = -q\n")
    code, out, _ = run("month", demo.root)
    assert "[service_packs] Windows 2000 Srever: the catalog names no such product; did you mean Windows 2000 " \
           "Server?" in out
    assert "[reboot_machines] WEBO1: no machine of that name under inventory\\; did you mean WEB01?" in out
    assert "[switches] WindowsXP-KB82414-x86-ENU.exe: no catalog patch" in out and \
           "did you mean WindowsXP-KB824146-x86-ENU.exe?" in out
    assert "3 server(s) or domain controller(s) will install at their next startup or logon" in out


def test_month_writes_the_collectors_the_dispatcher_calls(demo):
    netlogon = demo.folder("netlogon")
    assert (netlogon / "collect_nt.bat").is_file() and (netlogon / "collect_9x.bat").is_file()
    assert "collect_nt.bat" in (netlogon / "logon.bat").read_text()


def test_not_covered_machines_fail_only_the_any_threshold(demo, run):
    assert run("scan", demo.root, "--machine", "W95", "--fail-on", "critical")[0] == 0
    assert run("scan", demo.root, "--machine", "W95", "--fail-on", "any")[0] == 1
    assert run("scan", demo.root, "--machine", "BADTRUNC", "--fail-on", "critical")[0] == 1


def test_a_tampered_catalog_is_told_to_copy_again_not_to_override(demo, run):
    cab = demo.folder("incoming") / "m.cab"
    data = bytearray(cab.read_bytes())
    data[len(data) // 3] ^= 0x20  # inside the digested content, not the signature
    bad = demo.folder("incoming") / "zz-bad.cab"
    bad.write_bytes(bytes(data))
    code, _, err = run("catalog", "import", demo.root, bad)
    assert code == 5 and "--allow-unsigned" not in err and "(copy it again from the original media)" in err, err


def test_options_are_checked_before_anything_runs(demo, run, tmp_path):
    for args in (("report", demo.root, "--since", "2003-13-01"), ("export", demo.root, tmp_path / "x.hfb",
                                                                   "--month", "2003-13"),
                 ("scan", demo.root, "--output", tmp_path / "no" / "such" / "x.txt")):
        with pytest.raises(SystemExit) as e:
            run(*args)
        assert e.value.code == 2
    assert not (tmp_path / "no").exists()


def test_a_bundle_member_changed_after_signing_is_refused_as_altered(demo, run, tmp_path):
    assert run("site", "keygen", demo.root)[0] == 0
    bundle = tmp_path / "hq.hfb"
    assert run("export", demo.root, bundle)[0] == 0
    central = tmp_path / "central"
    assert run("central", "init", central)[0] == 0
    shutil.copyfile(demo.folder("reports") / "site-key.pub.pem", central / "trust" / "hq.pem")
    with zipfile.ZipFile(bundle) as zf:
        info = zf.getinfo("machines.json")
        start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    data = bytearray(bundle.read_bytes())
    data[start + info.compress_size // 2] ^= 0x01  # inside the stored (compressed) bytes of one member
    bad = tmp_path / "bad.hfb"
    bad.write_bytes(bytes(data))
    code, _, err = run("central", "import", central, bad)
    assert code == 5 and "machines.json was changed or damaged after the site signed the bundle" in err
