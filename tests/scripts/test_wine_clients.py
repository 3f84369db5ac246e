"""The wine clients the script tests run on (issue 26).

CI once failed two deployment tests that passed alone: every test of a module shared one wine
prefix (markers, the run lock, Hotfix keys and uninstall folders left by one test were there for
the next), the scripts read the wall clock (a lock test failed when midnight fell between
the test's `date /t` and the script's), and a failing batch file said only "returned non-zero
exit status 1". So each test gets a client of its own, copied from one template; its clock is the
test's; and a failure tells what the script did.
"""

from __future__ import annotations

import datetime
import struct
import subprocess

import pytest

from tests.winehelp import (
    STUB,
    WineCouldNotStart,
    WineFailed,
    check_started,
    client,
    clock_of,
    needs_wine,
    reg,
    run_batch,
    windows_dir,
    wine,
)

pytestmark = needs_wine
HOTFIX = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q824146"


def test_a_client_starts_with_nothing_another_left(tmp_path, tmp_path_factory):
    first = client(tmp_path / "first", tmp_path_factory)
    reg(first, "add", HOTFIX, "/v", "Installed", "/t", "REG_DWORD", "/d", "1", "/f")
    (windows_dir(first) / "hfstage" / "run.lock").mkdir(parents=True)
    (windows_dir(first) / "$NtUninstallQ824146$").mkdir()
    wine(first, "reg", "query", HOTFIX)  # there, in the first client
    second = client(tmp_path / "second", tmp_path_factory)
    assert wine(second, "reg", "query", HOTFIX, check=False).returncode != 0
    assert not (windows_dir(second) / "hfstage").exists()
    assert not (windows_dir(second) / "$NtUninstallQ824146$").exists()
    assert (windows_dir(second) / "system32" / "config").is_dir()  # what the scripts' rights check needs


@pytest.mark.parametrize("clock, shown", [("23:59:30", "11:59:3"), ("12:59:30", "12:59:3"), ("00:05:00", "12:05:0")])
def test_the_scripts_clock_is_the_tests(tmp_path, tmp_path_factory, clock, shown):
    """Each wine process starts at the test's time of day (wine writes '11:59:30 PM'), on one day, whatever
    the real clock says."""
    env = client(tmp_path / "prefix", tmp_path_factory, datetime.time.fromisoformat(clock))
    day = clock_of(env)
    for _ in range(2):
        out = wine(env, "cmd", "/c", "date /t & time /t").stdout.decode()
        assert f"Current Date is {day.month}/{day.day}/{day.year}" in out and f"Current Time is {shown}" in out, out


def test_a_failing_batch_file_says_what_it_did(tmp_path, tmp_path_factory):
    env = client(tmp_path / "prefix", tmp_path_factory)
    share = tmp_path / "share"
    (share / "hotfixes").mkdir(parents=True)
    (share / "results").mkdir()
    (share / "hotfixes" / "reboot.exe").write_bytes(STUB.read_bytes())
    (share / "hotfixes" / "reboot.exe.rc").write_text("1")
    script = share / "X.bat"
    hotfixes = "Z:" + str(share / "hotfixes").replace("/", "\\")
    script.write_text(f"@echo off\r\necho installing now\r\n"
                      f"echo HFRESULT;-;-;MS03-039;Q824146;x.exe;0;success >>\"{hotfixes}\\..\\results\\X.log\"\r\n"
                      f"\"{hotfixes}\\reboot.exe\" /r\r\n")
    with pytest.raises(WineFailed) as failed:
        run_batch(script, env, share / "hotfixes" / "calls.log")
    story = str(failed.value)
    assert f"X.bat (started at {clock_of(env):%Y-%m-%d} 10:15:30): exit code 1" in story
    assert "calls: ['reboot.exe /r']" in story
    assert "HFRESULT;-;-;MS03-039;Q824146;x.exe;0;success" in story and "installing now" in story


def _arm64(program: bytes) -> bytes:
    """PROGRAM as a Windows program for ARM64 (its COFF machine field): still a PE image, and one an x86-64
    wine cannot start, so its CreateProcess fails as it did once under load."""
    header = struct.unpack_from("<I", program, 0x3C)[0]
    return program[:header + 4] + struct.pack("<H", 0xAA64) + program[header + 6:]


@pytest.mark.parametrize("what, raises", [("arm64", True), ("missing", False), ("text", False)])
def test_wine_not_starting_a_program_that_is_there_is_the_hosts_fault(tmp_path, tmp_path_factory, what, raises):
    """Once, on a loaded CI host, wine's cmd could not start reboot.exe ("Can't recognize ...") and a script
    test failed on a call the script had made. A Windows program that is there and does not start is told
    apart (WineCouldNotStart, which conftest.py runs once more); a program that is missing, or a file that is
    no program, is the script's business (errorlevel 9009) and the test's verdict stands."""
    env = client(tmp_path / "prefix", tmp_path_factory)
    share = tmp_path / "share"
    (share / "hotfixes").mkdir(parents=True)
    (share / "results").mkdir()
    program = share / "hotfixes" / "Reboot.exe"
    if what == "arm64":
        program.write_bytes(_arm64(STUB.read_bytes()))
    elif what == "text":
        program.write_text("not a program")
    hotfixes = "Z:" + str(share / "hotfixes").replace("/", "\\")
    script = share / "X.bat"
    script.write_text(f"@echo off\r\n\"{hotfixes}\\REBOOT.EXE\" /r\r\necho errorlevel %errorlevel%\r\n")
    with pytest.raises(WineFailed) as failed:  # cmd /c's exit code is not 0 after a program did not start
        run_batch(script, env, share / "hotfixes" / "calls.log")
    assert isinstance(failed.value, WineCouldNotStart) is raises
    assert "Reboot.exe" in str(failed.value) if raises else "errorlevel 9009" in str(failed.value)


@pytest.mark.parametrize("said, raises", [
    (b"Application could not be started, or no application associated with the specified file.\r\n"
     b"ShellExecuteEx failed: Internal error.\r\n", True),  # as wine's start wrote it once under load
    (b"Application could not be started, or no application associated with the specified file.\r\n"
     b"ShellExecuteEx failed: File not found.\r\n", False)])
def test_start_whose_program_died_before_it_started_is_the_hosts_fault(tmp_path, said, raises):
    """A 9x script's `start /w` of a package that is there: once, on a loaded host, wine's start said
    "Internal error" (the new process died before it started), and the test failed on no call made."""
    proc = subprocess.CompletedProcess(["wine", "cmd"], 1, said, b"")
    if raises:
        with pytest.raises(WineCouldNotStart, match="died before it started"):
            check_started({"WINEPREFIX": str(tmp_path)}, ("cmd", "/c", "W98.bat"), proc)
    else:
        check_started({"WINEPREFIX": str(tmp_path)}, ("cmd", "/c", "W98.bat"), proc)
