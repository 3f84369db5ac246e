"""Nothing a client wrote becomes a path, a name or a command that runs with privilege (issue 19, item 1).

A user of an NT 4.0 machine edited SystemRoot in the SOFTWARE hive his collector drops (to a folder he
can write); schedule_nt4.bat, which a domain administrator runs, then scheduled `cmd /c
"<that folder>\\hfstage\\run.bat"` as LocalSystem. Here every client-written field that reaches the
scripts stage carries a marker (HFEVIL plus batch metacharacters where the field's own parsing still
lets the machine be scripted): hive values merged with hivexregedit, a Windows 98 .reg export,
done.txt, the results logs and a scheduled run's local-results.log. The whole generation runs
(scan, install and rollback scripts twice, so the rollback history sees the results, the
dispatchers, the collectors, schedule_nt4.bat and hfstage_run.bat); no generated batch file may
carry a marker on any line, and no comment line may carry a redirection or a pipe (command.com
acts on them even in `rem`). Then, in wine, schedule_nt4.bat runs against a machine whose ADMIN$
is its Windows folder, with `at` a stub that records its command line: the job's command names
%SystemRoot% literally, and the Schedule service's `cmd /c` runs the copy in the real Windows
folder, never the user's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hfstage.scripts.lint import lint_file
from hfstage.share import Share, init_share
from tests.conftest import DATA, EXAMPLES, accept_machines
from tests.published import published
from tests.winehelp import STUB, client, needs_wine, runnable_like, windows_dir, wine, wine_path

MARK = "HFEVIL"
NT4_SOFTWARE = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]
"SystemRoot"="C:\\\\HFEVIL1"
"CSDVersion"="Service Pack 6 HFEVIL2 & echo x>C:\\\\x"
"ProductName"="HFEVIL3 | echo"
"RegisteredOwner"="HFEVIL4 %COMSPEC%"

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion]
"ProgramFilesDir"="C:\\\\HFEVIL5 & x"
"CommonFilesDir"="C:\\\\HFEVIL6"
"""
NT4_SYSTEM = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\ProductOptions]
"ProductSuite"=hex(7):48,00,46,00,45,00,56,00,49,00,4c,00,37,00,00,00,00,00

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager]

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Session Manager\\Environment]
"PROCESSOR_ARCHITECTURE"="HFEVIL8 ^ x"
"""
XP_SOFTWARE = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]
"CSDVersion"="Service Pack 1 HFEVIL9 & x"
"ProductName"="HFEVIL10"
"""
DC_SYSTEM = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\ProductOptions]
"ProductType"="LanmanNT HFEVIL11 & x"
"""
W2K_INSTALLED = """Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix]

[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q326830]
"Installed"=dword:00000001
"""
W98_VALUES = {"SubVersionNumber": '"HFEVIL12 & x"', "SystemRoot": '"C:\\\\HFEVIL13"',
              "RegisteredOwner": '"HFEVIL14 | x"'}
# the fields of a results line that the scripts' own checks still accept
HOSTILE_RESULTS = ["USERNAME=HFEVIL15",
                   "HFRESULT;HFEVIL16;-;MS03-039;Q824146;HFEVIL17 (x).exe;0;success",
                   "HFRESULT;-;-;HFEVIL18;Q824146;WindowsXP-KB824146-x86-ENU.exe;0;success",
                   "HFRESULT;-;-;MS03-039;HFEVIL19;WindowsNT4Workstation-KB824146-x86-ENU.exe;0;success",
                   "HFRESULT;-;-;MS03-039;Q824146;HFEVIL20,=.exe;0;uninstalled",
                   "HFRESULT;HFEVIL24 x;HFEVIL25;MS02-045;HFEVIL26;Q326830_W2K_SP4_X86_EN.exe;0;success"]
HOSTILE_DONE = ["[HFEVIL21 (x)=;]", "[HFEVIL22 1]", "[WindowsXP-KB824146-x86-ENU.exe 1 rHFEVIL23]"]
MACHINES = ("NT4WKS", "XPSP1", "W2KSRV", "DC01", "W98")
ODD_NAME = "X$1.A-B_C"  # a legal NetBIOS name with every character the safe-name rule allows
_SHORT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _forget_short_paths():
    yield
    for folder in _SHORT:
        shutil.rmtree(folder, ignore_errors=True)


def _merge(hive: Path, key: str, text: str) -> None:
    path = hive.parent / f"{hive.name}.merge.reg"
    path.write_text(text)
    subprocess.run(["hivexregedit", "--merge", str(hive), "--prefix", f"HKEY_LOCAL_MACHINE\\{key}", str(path)],
                   check=True, capture_output=True)
    path.unlink()


def _w98_export(folder: Path) -> None:
    export = folder / "hf01.reg"
    text = export.read_bytes().decode("cp1252")
    for name, value in W98_VALUES.items():
        text, count = re.subn(rf'^"{name}"=.*$', f'"{name}"={value}', text, flags=re.M)
        assert count == 1, name
    export.write_bytes(text.encode("cp1252"))


def _short(share: Share) -> str:
    """The share as a short wine path: the 9x collector's lines must fit command.com's 127 characters."""
    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp"))
    short.chmod(0o755)
    _SHORT.append(short)
    (short / "s").symlink_to(share.root)
    return wine_path(short / "s")


def _plant(share: Share) -> None:
    inventory = share.folder("inventory")
    for machine in MACHINES:
        shutil.copytree(DATA / "inventory" / machine, inventory / machine)
    nt4 = inventory / "NT4WKS"
    _merge(nt4 / "SOFTWARE", "SOFTWARE", NT4_SOFTWARE)
    _merge(nt4 / "SYSTEM", "SYSTEM", NT4_SYSTEM)
    (nt4 / "files" / "WINNT").rename(nt4 / "files" / "HFEVIL1")  # as consistent as a careful forger makes it
    _merge(inventory / "XPSP1" / "SOFTWARE", "SOFTWARE", XP_SOFTWARE)
    _merge(inventory / "DC01" / "SYSTEM", "SYSTEM", DC_SYSTEM)
    _w98_export(inventory / "W98")
    odd = inventory / ODD_NAME
    shutil.copytree(DATA / "inventory" / "XPSP1", odd)
    _merge(odd / "SYSTEM", "SYSTEM", "Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SYSTEM\\"
           f"ControlSet001\\Control\\ComputerName\\ComputerName]\n\"ComputerName\"=\"{ODD_NAME}\"\n")
    for machine in (*MACHINES, ODD_NAME):
        (inventory / machine / "done.txt").write_text("\r\n".join(HOSTILE_DONE) + "\r\n", encoding="latin-1")
        (share.folder("results") / f"{machine}.log").write_text("\r\n".join(HOSTILE_RESULTS) + "\r\n")
    accept_machines(share)  # forged, and accepted: what a client wrote still runs nothing with privilege
    (nt4 / "local-results.log").write_text("\r\n".join(HOSTILE_RESULTS) + "\r\n")


@pytest.fixture
def hostile(tmp_path, run) -> Share:
    """The example catalog, runnable packages, and machines whose every client-written field is hostile."""
    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    assert run("catalog", "import", share.root, "--xml", EXAMPLES / "catalog" / "month2.xml",
               "--allow-unsigned")[0] == 0
    for example in (EXAMPLES / "hotfixes").iterdir():
        shutil.copyfile(runnable_like(example), share.folder("hotfixes") / example.name)
    shutil.copyfile(STUB, share.folder("hotfixes") / "reboot.exe")
    share.site_ini.write_text(f"[share]\nunc = {_short(share)}\n[reboot]\n"
                              "nt4 = \"{packages}\\reboot.exe\" /r\nw2k = \"{packages}\\reboot.exe\" /r\n"
                              "xp = \"{packages}\\reboot.exe\" /r\n")
    _plant(share)
    for second in (False, True):  # the second round reads what the first scripted against the results
        if second:  # and finds MS02-045 installed on W2KSRV: it enters W2KSRV's rollback
            _merge(share.folder("inventory") / "W2KSRV" / "SOFTWARE", "SOFTWARE", W2K_INSTALLED)
        assert run("scan", share.root, "--fail-on", "none")[0] == 0
        code, _, err = run("scripts", "generate", share.root)
        assert code == 0, err
    code, _, err = run("scripts", "collectors", share.root)
    assert code == 0, err
    return share


def _generated(share: Share) -> list[Path]:
    return sorted([*published(share).glob("*.bat"), *share.folder("netlogon").glob("*.bat")])


def test_no_client_written_value_reaches_a_generated_batch_file(hostile):
    files = _generated(hostile)
    names = {p.name for p in files}
    assert {"NT4WKS.bat", "NT4WKS-rollback.bat", "XPSP1.bat", "W98.bat", f"{ODD_NAME}.bat", "logon.bat",
            "startup.bat", "collect_nt.bat", "collect_9x.bat", "schedule_nt4.bat", "hfstage_run.bat"} <= names
    schedule = (published(hostile) / "schedule_nt4.bat").read_text()
    assert "at \\\\NT4WKS " in schedule  # the hostile NT 4.0 machine is still scheduled
    # the rollback names what hfstage recorded, not the client's words for it
    assert "rem MS02-045 Q326830 Q326830_W2K_SP4_X86_EN.exe (update)" in \
        (published(hostile) / "W2KSRV-rollback.bat").read_text()
    leaks = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="ascii").splitlines(), 1):
            if MARK in line.upper():
                leaks.append(f"{path.name}:{number}: {line}")
            if re.match(r"\s*(@?rem\b|::)", line, re.I) and set(line) & set("<>|"):
                leaks.append(f"{path.name}:{number}: redirection or pipe in a comment: {line}")
        assert lint_file(path) == [], path.name
    assert leaks == []


def test_the_odd_but_legal_machine_name_is_the_only_client_name_in_its_scripts(hostile):
    """A machine's name is its identity (one safe-name rule, no batch metacharacters): it names the
    machine's own log and script, and nothing else of what the machine wrote comes with it."""
    text = (published(hostile) / f"{ODD_NAME}.bat").read_text()
    assert f"\\results\\{ODD_NAME}.log" in text
    assert not set(ODD_NAME) & set("%&|<>^\"'()")


@needs_wine
def test_the_scheduled_job_runs_the_copy_in_the_machines_own_windows_folder(hostile, tmp_path, tmp_path_factory):
    env = client(tmp_path / "prefix", tmp_path_factory)
    windows = windows_dir(env)
    # NT4WKS is this wine machine: its ADMIN$ share is its Windows folder
    unc = Path(env["WINEPREFIX"]) / "dosdevices" / "unc" / "NT4WKS"
    unc.mkdir(parents=True)
    (unc / "ADMIN$").symlink_to(windows)
    # what the user planted: his own run.bat where his hive points, and one in the job's folder
    planted = Path(env["WINEPREFIX"]) / "drive_c" / "HFEVIL1" / "hfstage"
    planted.mkdir(parents=True)
    (planted / "run.bat").write_text("@echo off\r\necho pwned>C:\\pwned.txt\r\n")
    (windows / "hfjob").mkdir()
    (windows / "hfjob" / "run.bat").write_text("@echo off\r\necho pwned>C:\\pwned.txt\r\n")
    tools = tmp_path / "tools"
    tools.mkdir()
    shutil.copyfile(STUB, tools / "at.exe")  # records its command line in calls.log beside it
    schedule = published(hostile) / "schedule_nt4.bat"
    # wine's cmd cannot test a UNC share with \nul (Windows can): the one line changed for wine
    text = schedule.read_text().replace('"\\\\NT4WKS\\ADMIN$\\nul"', '"\\\\NT4WKS\\ADMIN$\\system32\\."')
    text = f"@set HFG={published(hostile).name}\r\n{text}"  # what netlogon\schedule_nt4.bat sets first
    runnable = tmp_path / "schedule.bat"
    runnable.write_text(text)
    out = wine({**env, "WINEPATH": wine_path(tools)}, "cmd", "/c", wine_path(runnable)).stdout.decode()
    assert "NT4WKS: scheduled at 03:00" in out, out
    (job,) = (tools / "calls.log").read_text().splitlines()
    assert job == "at.exe \\\\NT4WKS 03:00 cmd /c %SystemRoot%\\hfjob\\run.bat"  # literal: the job expands it
    assert (windows / "hfjob" / "run.bat").read_bytes() == (published(hostile) / "hfstage_run.bat").read_bytes()
    # the Schedule service hands the stored command line to CreateProcess; cmd expands %SystemRoot% there
    command = job.split(" ", 3)[3]
    wine(env, *command.split(" "), check=False)
    assert not (Path(env["WINEPREFIX"]) / "drive_c" / "pwned.txt").exists()
    calls = (windows / "hfjob" / "pkg" / "calls.log").read_text().splitlines()
    # a scheduled job: no one is logged on, so Hotfix.exe runs with no user interface (-q, KB 184305)
    assert any(c.startswith("WindowsNT4Workstation-KB824146-x86-ENU.exe -z -q") for c in calls), calls
    assert os.path.isfile(windows / "hfstage" / "results.log")
    # the job names the set it was copied from (hfg.bat, written by schedule_nt4.bat): each result traces to it
    assert f";-;-;{published(hostile).name};-;generation" in (windows / "hfstage" / "results.log").read_text()
