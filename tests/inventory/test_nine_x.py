"""Windows 9x made real: detection supplements against the real 2001 catalog, files collected under
files\\_windir\\, the 9x install line (`start /w`), Windows 95's reboot, names with spaces refused."""

from __future__ import annotations

import shutil

from hfstage.assess import SitePolicy, assess_all
from hfstage.catalog import apply_supplements, load_supplements, parse_catalog_file
from hfstage.inventory import gather_facts
from hfstage.scripts.lint import lint_text, spaced_variables
from tests.conftest import DATA, accept_machines

FILES = DATA / "files9x"


def _w98(tmp_path, vip: str | None):
    machine = tmp_path / "W98"
    shutil.copytree(DATA / "inventory" / "W98", machine)
    if vip:
        system = machine / "files" / "_windir" / "system"
        system.mkdir(parents=True)
        shutil.copyfile(FILES / vip, system / "VIP.386")
    return machine


def _finding(tmp_path, real_catalog_path, vip, supplements=True):
    catalog = parse_catalog_file(real_catalog_path)
    if supplements:
        assert apply_supplements(catalog, load_supplements()) == 4  # all four KB-sourced entries find their patch
    facts = gather_facts(_w98(tmp_path, vip), catalog)
    (a,) = assess_all([facts], catalog, SitePolicy())
    return next(f for f in a.findings if f.patch == "238453US8.EXE")


def test_without_supplements_the_9x_patch_is_only_a_note(tmp_path, real_catalog_path):
    f = _finding(tmp_path, real_catalog_path, "vip-4.10.1998.386", supplements=False)
    assert f.status == "note" and "no file or registry details" in f.reason


def test_a_9x_patch_is_found_missing_from_the_kb_file_version(tmp_path, real_catalog_path):
    f = _finding(tmp_path, real_catalog_path, "vip-4.10.1998.386")
    assert f.status == "missing" and "vip.386 has version 4.10.1998.0, less than the expected 4.10.2000" in f.reason


def test_a_9x_patch_is_found_installed_and_names_its_source(tmp_path, real_catalog_path):
    f = _finding(tmp_path, real_catalog_path, "vip-4.10.2000.386")
    assert f.status == "installed" and "checks from KB Q238453" in " ".join(f.evidence)
    # the Windows 98 SE entry (4.10.2224) is not applied to Windows 98
    assert not any("4.10.2224" in e for e in f.evidence if e.startswith("file"))


def test_files_not_collected_leave_a_note_not_a_verdict(tmp_path, real_catalog_path):
    f = _finding(tmp_path, real_catalog_path, None)
    assert f.status == "note"


def test_a_site_entry_replaces_hfstages(tmp_path):
    site = tmp_path / "detection.json"
    site.write_text('{"patches": [{"bulletin": "MS99-034", "patch": "238453us8.exe", "source": "our own test", '
                    '"files": [{"location": "%windir%\\\\system", "file": "vip.386", "version": "4.10.2001"}]}]}')
    entries = {(e["bulletin"], e["patch"].casefold()): e for e in load_supplements(site)}
    assert entries[("MS99-034", "238453us8.exe")]["source"] == "our own test"
    assert len(entries) == 4


def test_the_linter_refuses_share_paths_and_user_names_with_spaces():
    script = b"@echo off\r\nrem command.com\r\nset HFD=\\\\srv\\sp ace\\inventory\r\ndel %HFD%\\hf01.reg\r\n" \
             b"for %%a in (%USERNAME%) do set HFU=%%a\r\nif exist \"%HFD%\\x\" echo ok\r\n"
    problems = lint_text(script, "x.bat", spaced=spaced_variables("\\\\srv\\sp ace"))
    assert [p.line for p in problems] == [4]
    assert "%HFD% can hold a space and is used unquoted" in problems[0].message
    assert lint_text(script, "x.bat", spaced=spaced_variables("\\\\srv\\space")) == []


# --- under wine: the 9x install line and the 9x collector's file copies -------------------

import subprocess  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from tests.scripts.test_logon_scripts import NINE_X_CATALOG  # noqa: E402
from tests.winehelp import PACKAGES, client, needs_wine, run_batch, windows_dir, wine_path  # noqa: E402


@pytest.fixture
def nine_x(share, run, tmp_path):
    xml = tmp_path / "mssecure.xml"
    xml.write_text(NINE_X_CATALOG)
    assert run("catalog", "import", share.root, "--xml", xml, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    accept_machines(share)
    shutil.copyfile(PACKAGES / "iexpress.exe", share.folder("hotfixes") / "q321232.exe")
    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp"))
    (short / "s").symlink_to(share.root)
    share.site_ini.write_text(f"[share]\nunc = {wine_path(short / 's')}\n"
                              "[reboot]\n9x = {share}\\hotfixes\\reboot.exe /r\n")
    shutil.copyfile(PACKAGES / "plain.exe", share.folder("hotfixes") / "reboot.exe")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    yield share
    shutil.rmtree(short, ignore_errors=True)


@needs_wine
@pytest.mark.parametrize("code, meaning", [(0, "success-reboot"), (1603, "unknown-exit")])  # 9x: 0 or not 0
def test_the_9x_script_waits_for_the_install_and_reads_its_exit_code(nine_x, run, tmp_path, tmp_path_factory,
                                                                       code, meaning):
    code_, out, err = run("scripts", "generate", nine_x.root)
    assert code_ == 0, err
    text = (nine_x.folder("scripts") / "W98.bat").read_text()
    assert "start /w %HFS%\\hotfixes\\q321232.exe /Q:A /R:N" in text.splitlines()
    env = client(tmp_path / "prefix", tmp_path_factory)
    (nine_x.folder("hotfixes") / "q321232.exe.rc").write_text(str(code))
    calls = run_batch(nine_x.folder("scripts") / "W98.bat", env, nine_x.folder("hotfixes") / "calls.log")
    assert calls[0] == "q321232.exe /Q:A /R:N"
    log = (nine_x.folder("results") / "W98.log").read_text()
    shown = "0" if code == 0 else "1+"
    assert log.splitlines()[1].rstrip().endswith(f";MS02-023;Q321232;q321232.exe;{shown};{meaning}")


def test_windows_95_reboots_with_its_own_command(share, run):
    from hfstage.packages import load_installers

    assert load_installers()["reboot"]["95"] is None  # no documented command: the user is asked (issue 23)
    assert load_installers()["reboot"]["9x"] == "rundll32.exe shell32.dll,SHExitWindowsEx 2"


@needs_wine
def test_the_9x_collector_copies_catalog_files_under_windir(nine_x, run, tmp_path, tmp_path_factory,
                                                             real_catalog_path):
    assert run("catalog", "import", nine_x.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    code, _, err = run("catalog", "use", nine_x.root, "1.0.1.148")
    assert code == 0, err
    code, _, err = run("scripts", "collectors", nine_x.root)
    assert code == 0, err
    text = (nine_x.folder("netlogon") / "collect_9x.bat").read_text()
    assert "copy %windir%\\system\\vip.386 %HFF%\\system >nul" in text
    env = client(tmp_path / "prefix", tmp_path_factory)
    system = windows_dir(env) / "system"
    system.mkdir(exist_ok=True)
    shutil.copyfile(FILES / "vip-4.10.2000.386", system / "vip.386")
    collector = wine_path(nine_x.folder("netlogon") / "collect_9x.bat")
    subprocess.run(["/usr/lib/wine/wine64", "cmd", "/c", f"set OS=&& set HFM=W98&& call {collector}"], env=env,
                   capture_output=True, timeout=300)
    copied = nine_x.folder("inventory") / "W98" / "files" / "_windir" / "system" / "vip.386"
    assert copied.read_bytes() == (FILES / "vip-4.10.2000.386").read_bytes()


def test_without_samba_the_9x_collector_finds_its_name_among_known_9x_machines(nine_x, run):
    """A Windows NT domain has no %m: the collector exports ComputerName and looks for each 9x machine the
    last scan knows (wine's regedit writes UTF-16 exports, so only the lines and the linter are checked here)."""
    assert run("scripts", "collectors", nine_x.root)[0] == 0
    text = (nine_x.folder("netlogon") / "collect_9x.bat").read_text()
    assert 'regedit /e %HFT%\\hfname.reg "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\Control\\ComputerName\\' \
           'ComputerName"' in text
    assert 'find /i "=""W98""" %HFT%\\hfname.reg >nul\nif not errorlevel 1 set HFM=W98' in text
    assert "for %%a in (%USERNAME%) do set HFU=%%a" in text and "_unnamed\\%HFU%" in text
    code, out, _ = run("scripts", "lint", nine_x.folder("netlogon") / "collect_9x.bat")
    assert code == 0, out
