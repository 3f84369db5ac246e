"""The collector scripts rendered into netlogon/, and the batch lint rules."""

from __future__ import annotations

import shutil

import pytest

from hfstage.scripts.lint import lint_text
from tests.conftest import DATA, EXAMPLES
from tests.published import published


def _set_unc(share, unc):
    share.site_ini.write_text(f"[share]\nunc = {unc}\n")


@pytest.fixture
def share_with_machines(trusted_share):
    for name in ("NT4WKS", "W98"):
        shutil.copytree(DATA / "inventory" / name, trusted_share.folder("inventory") / name)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", trusted_share.folder("incoming") / "m.cab")
    from hfstage.catalog import import_catalog

    import_catalog(trusted_share)
    return trusted_share


def test_collectors_render_lint_clean_and_idempotent(run, share_with_machines):
    _set_unc(share_with_machines, "\\\\DC1\\hfstage")
    code, out, _ = run("scripts", "collectors", share_with_machines.root)
    assert code == 0 and "8 written, 0 unchanged" in out
    netlogon = share_with_machines.folder("netlogon")
    nt = (published(share_with_machines) / "collect_nt.bat").read_bytes()
    assert b"\r\n" in nt and b"\n" not in nt.replace(b"\r\n", b"")
    assert b"set HF_SHARE=\\\\DC1\\hfstage\r\n" in nt
    assert b'regedit /e "%HF_DIR%\\hf01.tmp"' in nt and b" save HKLM" not in nt  # keys mode, the default
    # the catalog's files are copied below the system drive's root, as `facts` expects them
    assert b'copy "%SystemRoot%\\system32\\rpcss.exe" "%HF_DIR%\\files%HF_SR%\\system32\\" >nul' in nt
    # what the 9x collector joins with DATE's first line to set HFDAY: no line end, or the line would not join
    assert (published(share_with_machines) / "hfday.pre").read_bytes() == b"@set HFDAY="
    nine = (published(share_with_machines) / "collect_9x.bat").read_bytes().decode()
    # (the hfNN number follows the sorted keys: SOFTWARE\\Classes comes first since MSXML's CLSIDs are read)
    assert '.reg "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Active Setup\\Installed Components"' in nine
    assert (netlogon / "W98.bat").read_bytes() == (
        b"@echo off\r\nrem hfstage per-machine logon script for W98 (command.com safe).\r\n"
        b"rem For Samba: logon script = %m.bat runs this file for machine W98.\r\nset HFM=W98\r\n"
        b"call \\\\DC1\\hfstage\\netlogon\\logon.bat\r\n")
    code, out, _ = run("scripts", "collectors", share_with_machines.root)
    assert "0 written, 8 unchanged" in out
    code, out, _ = run("scripts", "lint", *sorted(netlogon.glob("*.bat")), *published(share_with_machines).glob("*"))
    assert code == 0 and "9 file(s), 0 problem(s)" in out  # with the set's generation.txt


def test_a_share_path_too_long_for_command_com_is_refused(run, share_with_machines):
    _set_unc(share_with_machines, "\\\\DC1\\" + "x" * 40)
    code, _, err = run("scripts", "collectors", share_with_machines.root)
    assert code == 3 and "characters after substitution; command.com cuts lines at 127" in err
    assert "nothing was written" in err
    assert not list(share_with_machines.folder("netlogon").glob("*.bat"))


@pytest.mark.parametrize("unc", ["\\\\DC1\\share&del", "\\\\DC1\\100%", "C:share", '\\\\DC1\\"x"'])
def test_unsafe_share_paths_are_refused(run, share_with_machines, unc):
    _set_unc(share_with_machines, unc)
    code, _, err = run("scripts", "collectors", share_with_machines.root)
    assert code == 2 and f"{share_with_machines.site_ini}:2: [share]: unc = " in err and "is not a UNC path" in err
    assert len(err.splitlines()) == 1


def test_unset_share_path_refuses_scripts(run, share_with_machines):
    code, _, err = run("scripts", "collectors", share_with_machines.root)
    assert code == 2 and "[share] unc is not set: logon scripts must name the share" in err
    _set_unc(share_with_machines, "\\\\SERVER\\hfstage")  # the placeholder the default site.ini shows
    code, _, err = run("scripts", "collectors", share_with_machines.root)
    assert code == 2 and "[share] unc is not set" in err


def test_unsafe_machine_folder_is_skipped_not_fatal(run, share_with_machines):
    _set_unc(share_with_machines, "\\\\DC1\\hfstage")
    (share_with_machines.folder("inventory") / "BAD&NAME").mkdir()
    code, out, _ = run("scripts", "collectors", share_with_machines.root)
    assert code == 0 and "8 written" in out
    assert not (share_with_machines.folder("netlogon") / "BAD&NAME.bat").exists()


NINE = "@echo off\r\nrem for command.com\r\n"


@pytest.mark.parametrize("body, problem", [
    ("echo " + "x" * 130 + "\r\n", "line is 135 characters"),
    (":install01\r\n:install02\r\n", "same as the label on line 3 in its first 8 characters"),
    ("setlocal\r\n", "setlocal/endlocal needs cmd extensions"),
    ("if /i a==b echo x\r\n", "if /i needs cmd extensions"),
    ("echo %COMPUTERNAME%\r\n", "%COMPUTERNAME% (not set on Windows 9x)"),
    ("if errorlevel 1 goto a\r\nif errorlevel 3010 goto b\r\n", "test the highest code first"),
    ("if exist x (\r\n", "( ) blocks"),
])
def test_lint_9x_rules(body, problem):
    problems = lint_text((NINE + body).encode(), "x.bat")
    assert len(problems) == 1 and problem in problems[0].message


def test_lint_substitution_and_crlf():
    assert lint_text((NINE + "echo %HFD%\r\n").encode(), "x.bat", substitutions={"HFD": 125})
    assert not lint_text((NINE + "if errorlevel 3010 goto b\r\nif errorlevel 1 goto a\r\n").encode(), "x.bat")
    (problem,) = lint_text(b"@echo off\nrem nt script\n", "nt.bat")
    assert problem.line == 1 and "LF only" in problem.message
