"""Generated logon scripts, run by wine's cmd against a share on disk.

The hotfix packages, qchain.exe and the reboot command are tests/data/stubs/hotfix_stub.exe
(mingw-w64): each call is appended to hotfixes\\calls.log and the exit code comes from
<package>.rc beside it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from hfstage.scripts.lint import lint_file
from hfstage.scripts.results import collect_results
from tests.conftest import DATA, EXAMPLES, accept_machines
from tests.winehelp import client, run_batch

WINE = Path("/usr/lib/wine/wine64")
STUB = DATA / "stubs" / "hotfix_stub.exe"
W2K_PACKAGES = ["Q299796_W2k_SP3_x86_en.exe", "Q285156_W2K_SP3_x86_en.EXE", "Q299553_W2K_SP3_x86_en.EXE",
                "Q302755_W2k_SP3_x86_en.exe", "q292435_w2k_sp3_x86_en.exe", "q301625_w2k_sp3_x86_en.exe"]
needs_wine = pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed (Debian package wine64)")


def _wine_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


@pytest.fixture
def wineprefix(tmp_path, tmp_path_factory):
    """A client of the test's own, its clock fixed (tests/winehelp.py)."""
    return client(tmp_path / "wineprefix", tmp_path_factory)


@pytest.fixture
def w2k_share(share, run, real_catalog_path):
    """SCAN-W2K (7 missing patches) scanned against the real catalog; packages are stubs."""
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "scan-inventory" / "SCAN-W2K", share.folder("inventory") / "SCAN-W2K")
    accept_machines(share)
    # SCAN-W2K is a server: servers reboot on their own only when site.ini says so
    share.site_ini.write_text(f"[share]\nunc = {_wine_path(share.root)}\n"
                              "[reboot]\nw2k = \"{share}\\hotfixes\\reboot.exe\" /r\n"
                              "[reboot_policy]\nserver = auto\n")
    for name in W2K_PACKAGES:  # Windows 2000 SP2-era Q packages: Hotfix.exe
        shutil.copyfile(DATA / "packages" / "hotfix.exe", share.folder("hotfixes") / name)
    shutil.copyfile(DATA / "packages" / "qchain-2003.exe", share.folder("hotfixes") / "qchain.exe")  # KB 815062's fix
    shutil.copyfile(STUB, share.folder("hotfixes") / "reboot.exe")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    return share


def _run_script(share, env, machine="SCAN-W2K") -> list[str]:
    """Run the machine's script in wine; return the calls it made."""
    return run_batch(share.folder("scripts") / f"{machine}.bat", env, share.folder("hotfixes") / "calls.log")


def _reset_client(env):
    shutil.rmtree(Path(env["WINEPREFIX"]) / "drive_c" / "windows" / "hfstage", ignore_errors=True)


@needs_wine
def test_install_order_switches_one_reboot_and_no_second_reboot(w2k_share, run, wineprefix):
    _reset_client(wineprefix)
    code, out, err = run("scripts", "generate", w2k_share.root)
    assert code == 0, err
    assert "MS01-046 Q252795_W2K_SP3_x86_en.EXE: package not found under hotfixes" in err
    calls = _run_script(w2k_share, wineprefix)
    # oldest bulletin first (MS00-077 .. MS01-044), hotfix.exe switches, QChain, then one reboot
    assert calls == [f"{p} -z -m" for p in W2K_PACKAGES] + ["qchain.exe C:\\windows\\hfstage\\qchain.log",
                                                            "reboot.exe /r"]
    assert _run_script(w2k_share, wineprefix) == []  # after the reboot: nothing to do, no reboot
    lines = [ln.rstrip() for ln in (w2k_share.folder("results") / "SCAN-W2K.log").read_text().splitlines()]
    assert lines[0].startswith("HFRESULT;") and lines[0].endswith(
        ";MS00-077;Q299796;Q299796_W2k_SP3_x86_en.exe;0;success-reboot")
    assert lines[2].endswith(";MS01-031;Q299553;Q299553_W2K_SP3_x86_en.EXE;0;success")  # NoReboot=1 in the catalog
    assert sum(1 for ln in lines if ln.endswith(";reboot")) == 1


@needs_wine
def test_a_package_whose_hotfix_key_exists_is_skipped(w2k_share, run, wineprefix):
    _reset_client(wineprefix)
    key = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q299796"
    subprocess.run([str(WINE), "reg", "add", key, "/v", "Installed", "/t", "REG_DWORD", "/d", "1", "/f"],
                   env=wineprefix, check=True, capture_output=True, timeout=120)
    try:
        run("scripts", "generate", w2k_share.root)
        calls = _run_script(w2k_share, wineprefix)
    finally:
        subprocess.run([str(WINE), "reg", "delete", key, "/f"], env=wineprefix, capture_output=True, timeout=120)
    assert "Q299796_W2k_SP3_x86_en.exe -z -m" not in calls and len(calls) == 7
    log = (w2k_share.folder("results") / "SCAN-W2K.log").read_text()
    assert ";MS00-077;Q299796;Q299796_W2k_SP3_x86_en.exe;-;already-installed" in log


@needs_wine
def test_failing_package_is_tried_twice_then_given_up(w2k_share, run, wineprefix):
    _reset_client(wineprefix)
    (w2k_share.folder("hotfixes") / "Q299553_W2K_SP3_x86_en.EXE.rc").write_text("1603")
    (w2k_share.folder("hotfixes") / "Q302755_W2k_SP3_x86_en.exe.rc").write_text("3010")
    run("scripts", "generate", w2k_share.root)
    first = _run_script(w2k_share, wineprefix)
    assert "Q299553_W2K_SP3_x86_en.EXE -z -m" in first and first[-1] == "reboot.exe /r"
    second = _run_script(w2k_share, wineprefix)
    assert second == ["Q299553_W2K_SP3_x86_en.EXE -z -m"]  # retried once; nothing new installed: no reboot
    assert _run_script(w2k_share, wineprefix) == []  # given up
    log = (w2k_share.folder("results") / "SCAN-W2K.log").read_text()
    assert log.count(";Q299553_W2K_SP3_x86_en.EXE;1603;failed") == 2 and ";-;gave-up" in log
    assert ";Q302755_W2k_SP3_x86_en.exe;3010;success-reboot" in log
    (machine,), refused = collect_results(w2k_share)
    assert refused == []
    (gave_up,) = [p for p in machine.patches if p.gave_up]
    assert (gave_up.bulletin, gave_up.attempts, gave_up.last_code) == ("MS01-031", 2, "1603")
    assert [p.text for p in machine.problems()] == [
        "install: MS01-031 Q299553_W2K_SP3_x86_en.EXE gave up after 2 failed attempt(s) (last exit code 1603)"]
    code, out, _ = run("scan", w2k_share.root)
    assert "(install: MS01-031 Q299553_W2K_SP3_x86_en.EXE gave up after 2 failed attempt(s)" in out
    code, out, _ = run("results", w2k_share.root)
    assert code == 1 and "gave up" in out  # a package given up on is a finding


def test_regeneration_is_idempotent_and_idle_machines_keep_a_harmless_script(w2k_share, run):
    assert run("scripts", "generate", w2k_share.root)[0] == 0
    code, out, _ = run("scripts", "generate", w2k_share.root)
    assert "1 unchanged; 0 file(s) written, 4 unchanged" in out  # not rendered again
    stale = w2k_share.folder("scripts") / "GONE.bat"
    stale.write_bytes(b"@echo off\r\ncall something-old\r\n")
    run("scripts", "generate", w2k_share.root)
    assert stale.read_bytes().startswith(b"@echo off\r\nrem hfstage: GONE misses nothing")
    code, out, _ = run("scripts", "generate", w2k_share.root, "--dry-run")
    assert "0 file(s) to change" in out
    for path in w2k_share.folder("scripts").glob("*.bat"):
        assert lint_file(path) == [], path


def test_rollback_reverses_and_names_manual_steps(w2k_share, run):
    """The rollback removes what a scan confirmed the scripts installed, newest first (issue 19: its order,
    kinds and manual steps are tested in tests/test_rollback_history.py): here nothing is installed yet."""
    run("scripts", "generate", w2k_share.root)
    text = (w2k_share.folder("scripts") / "SCAN-W2K-rollback.bat").read_text()
    assert not any(p in text for p in W2K_PACKAGES) and "nothing to remove" in text


NINE_X_CATALOG = """<?xml version="1.0"?>
<BulletinDatastore DataVersion="9.0.0.1" LastDataUpdate="2002/05/01" SchemaVersion="1.0.1.0" ToolVersion="3.1">
 <Bulletins>
  <Bulletin BulletinID="MS02-023" Title="Cumulative Patch for Internet Explorer" DatePosted="2002/05/15"
   DateRevised="2002/05/15" Supported="Yes" Summary="" Issue="">
   <QNumbers><QNumber QNumber="Q321232"/></QNumbers>
   <Patches><Patch PatchName="q321232.exe" SBID="0" SQNumber="Q321232" NoReboot="0">
    <AffectedProduct ProductID="10" FixedInSP="0"><AffectedServicePack ServicePackID="87"/></AffectedProduct>
    <RegChgs><RegChg RegChangeID="1"/></RegChgs></Patch></Patches>
  </Bulletin>
 </Bulletins>
 <Products><Product ProductID="10" Name="Windows 98"><AvailableSPs><AvailableSP ServicePackID="87"/></AvailableSPs>
 </Product></Products>
 <ServicePacks><ServicePack ServicePackID="87" Name="Windows 98 Gold" URL="" ReleaseDate="1998/06/25"/></ServicePacks>
 <RegKeys><RegKey RegKeyID="1" Name="Installed" Type="0x10001"><RegChanges>
  <RegChange RegChangeID="1" RegChangeValue="1" CommandID="r" LocationID="1"/></RegChanges></RegKey></RegKeys>
 <Locations><Location LocationID="1"
  Path="HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\Updates\\Q321232" AbsolutePath="False"/></Locations>
</BulletinDatastore>
"""


@pytest.fixture
def nine_x_share(share, run, tmp_path):
    xml = tmp_path / "mssecure.xml"
    xml.write_text(NINE_X_CATALOG)
    assert run("catalog", "import", share.root, "--xml", xml, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    accept_machines(share)
    shutil.copyfile(DATA / "packages" / "iexpress.exe", share.folder("hotfixes") / "q321232.exe")
    return share


def test_9x_script_keeps_command_com_limits(nine_x_share, run):
    nine_x_share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    run("scan", nine_x_share.root)
    code, out, err = run("scripts", "generate", nine_x_share.root)
    assert code == 0, err
    data = (nine_x_share.folder("scripts") / "W98.bat").read_bytes()
    assert b"%COMPUTERNAME%" not in data and b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert b"\r\nstart /w %HFS%\\hotfixes\\q321232.exe /Q:A /R:N\r\n" in data
    assert b"rundll32.exe shell32.dll,SHExitWindowsEx 2" in data
    assert lint_file(nine_x_share.folder("scripts") / "W98.bat") == []


def test_a_share_path_that_breaks_127_characters_is_refused(nine_x_share, run):
    nine_x_share.site_ini.write_text("[share]\nunc = \\\\DC1\\" + "a" * 60 + "\n")
    run("scan", nine_x_share.root)
    code, _, err = run("scripts", "generate", nine_x_share.root)
    assert code == 3 and "W98.bat:" in err and "command.com cuts lines at 127" in err
    assert not (nine_x_share.folder("scripts") / "W98.bat").exists()


def test_unsafe_values_never_reach_a_script(w2k_share, run):
    (w2k_share.folder("hotfixes") / "Q299796_W2k_SP3_x86_en.exe").rename(
        w2k_share.folder("hotfixes") / "x")
    sub = w2k_share.folder("hotfixes") / "a&b"
    sub.mkdir()
    shutil.copyfile(DATA / "packages" / "hotfix.exe", sub / "Q299796_W2k_SP3_x86_en.exe")
    code, _, err = run("scripts", "generate", w2k_share.root)
    assert code == 2 and "hotfix path 'a&b\\Q299796_W2k_SP3_x86_en.exe' contains '&'" in err
    assert not (w2k_share.folder("scripts") / "SCAN-W2K.bat").exists()


@needs_wine
def test_service_pack_first_then_stop_for_a_rescan(share, run, wineprefix):
    """W2KSRV is at SP2; the example catalog's current Windows 2000 SP is SP4."""
    _reset_client(wineprefix)
    xml = EXAMPLES / "catalog" / "month2.xml"
    assert run("catalog", "import", share.root, "--xml", xml, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W2KSRV", share.folder("inventory") / "W2KSRV")
    accept_machines(share)
    share.site_ini.write_text(f"[share]\nunc = {_wine_path(share.root)}\n"
                              "[reboot]\nw2k = \"{share}\\hotfixes\\reboot.exe\" /r\n"
                              "[reboot_machines]\nW2KSRV = auto\n"
                              "[service_packs]\nWindows 2000 Server = w2ksp4_en.exe\n")
    for name in ("w2ksp4_en.exe", "Q326830_W2K_SP4_X86_EN.exe", "Q300972_W2K_SP3_x86_en.EXE", "qchain.exe",
                 "reboot.exe"):
        shutil.copyfile(STUB, share.folder("hotfixes") / name)
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    assert _run_script(share, wineprefix, "W2KSRV") == ["w2ksp4_en.exe -u -z", "reboot.exe /r"]
    assert _run_script(share, wineprefix, "W2KSRV") == []  # waits for a rescan: no hotfix, no second reboot
    log = (share.folder("results") / "W2KSRV.log").read_text()
    assert ";SP;-;w2ksp4_en.exe;-;rescan-required" in log and ";rescan-pending" in log


def test_results_flag_reboot_loops_and_9x_dates():
    from hfstage.scripts.results import parse_log

    looping = parse_log("PC1", "\n".join([
        "HFRESULT;d;t;MS01-001;Q1;a.exe;1603;failed ",
        "HFRESULT;d;t;-;-;reboot;-;reboot ",
        "HFRESULT;d;t;MS01-001;Q1;a.exe;1603;failed ",
        "HFRESULT;d;t;-;-;reboot;-;reboot ",
        "not a result line",
        "HFRESULT;too;few;fields",
    ]))
    assert looping.loop and looping.reboots == 2 and looping.malformed == 1
    assert looping.problems()[-1].text == "install: 2 reboots without a successful install between them: reboot loop?"
    nine = parse_log("W98", "Current date is Tue 09-16-2003\nHFRESULT;-;-;MS02-023;Q321232;q321232.exe;0+;"
                            "success-reboot\nHFRESULT;-;-;-;-;reboot;-;reboot\n")
    (patch,) = nine.patches
    assert (patch.last_when, patch.ok, nine.loop) == ("Tue 09-16-2003", True, False)
