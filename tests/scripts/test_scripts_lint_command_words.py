"""Lint's word rules read commands, not text (issue: a Windows 9x machine named PC-SETLOCAL).

The story: a 9x machine named PC-SETLOCAL (a legal NetBIOS name) made its install script's line
`set HFL=%HFS%\\results\\PC-SETLOCAL.log` match lint's `\\bsetlocal\\b`, and a lint problem stops the whole
scripts step: no machine got its scripts. command.com runs setlocal only as a command (the first word of a
line, of a pipe's command, of what an `if` or a `for` runs), never as part of a path or a quoted argument.
Each word rule is checked both ways here, then a month is run with 9x machines named after every rule word.
"""

from __future__ import annotations

import shutil

import pytest

from hfstage.pipeline import Site, month
from hfstage.scripts.lint import lint_text
from tests.conftest import EXAMPLES, accept_machines, demo_with_cabinet
from tests.published import published

NINE = "@echo off\r\nrem for command.com\r\n"
# each word rule: lines where command.com runs it (a problem), and lines where the same word is only text
RULES = {
    "setlocal/endlocal": (["setlocal", "@endlocal", "if errorlevel 1 setlocal", "for %%f in (x) do setlocal",
                           "echo x|setlocal"],
                          ["set HFL=%HFS%\\results\\PC-SETLOCAL.log", "echo setlocal", 'find "setlocal" x',
                           "call %HFS%\\scripts\\ENDLOCAL.bat", "set HFM=SETLOCAL", ":setlocal"]),
    "if /i": (["if /i a==b echo x", "if /I not a==b echo x"], ["find /i x y", "echo if /i"]),
    "call :label": (["call :sub", "if exist x call :sub"], ["echo call :x", "call %HFS%\\PC-CALL.bat"]),
    "exit /b": (["exit /b 1", "exit/b", "if errorlevel 1 exit /b"], ["echo exit /b", "set X=EXIT"]),
    "for /f, /d, /r, /l": (["for /f %%a in (x) do echo", "for /l %%a in (1,1,2) do echo"],
                           ["echo for /f", "set X=FOR"]),
    "if defined": (["if defined X echo x", "if not defined X echo x"], ["echo if defined", "set X=DEFINED"]),
    "set /a, set /p": (["set /a x=1", "if exist y set /p x=<y", "if %N% LSS 12 set /a N=N+12"],
                       ["echo set /a", "find /a x"]),
    "( ) blocks": (["if exist x (", ")", ") else (", "for %%f in (x) do (", "for %%f in (x) do(echo"],
                   ["for %%f in (a b) do echo %%f", 'if "%1"=="(" goto x', "echo (x)", "echo (a) else b"]),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_word_rule_matches_a_command_and_not_the_word_as_text(rule):
    used, text = RULES[rule]
    for line in used:
        problems = lint_text(f"{NINE}{line}\r\n".encode(), "x.bat")
        assert [p.message for p in problems] == [f"{rule} needs cmd extensions; command.com lacks them"], line
    for line in text:
        assert lint_text(f"{NINE}{line}\r\n".encode(), "x.bat") == [], line


# 9x machines named after every word a rule reads, alone and inside a name (NetBIOS: at most 15 characters)
NAMES = ["PC-SETLOCAL", "SETLOCAL", "ENDLOCAL", "PC-ENDLOCAL", "IF", "PC-IF", "CALL", "EXIT", "FOR", "DEFINED",
         "SET", "DO", "ELSE", "NOT", "IN", "EXIST", "ERRORLEVEL"]


def test_a_month_scripts_9x_machines_named_after_every_rule_word(tmp_path):
    """Every template that carries a 9x machine's name (its install and rollback scripts, its netlogon stub,
    the 9x collector's list of names) lints clean for these names, and the month writes them all."""
    share = demo_with_cabinet(tmp_path / "share")
    source = EXAMPLES / "inventory" / "W98" / "hf01.reg"
    for name in NAMES:  # W98's collection, as a machine of that name's collector writes it
        folder = share.folder("inventory") / name
        folder.mkdir()
        data = source.read_bytes().replace(b'"ComputerName"="W98"', f'"ComputerName"="{name}"'.encode())
        (folder / "hf01.reg").write_bytes(data)
    shutil.rmtree(share.folder("inventory") / "W98")
    accept_machines(share)
    month(Site.open(share.root), say=lambda _: None)  # a lint problem raises: no script written
    scripts, netlogon = published(share), share.folder("netlogon")
    collector = (scripts / "collect_9x.bat").read_bytes().decode()
    for name in NAMES:
        assert (scripts / f"{name}.bat").is_file() and (scripts / f"{name}-rollback.bat").is_file(), name
        assert f"set HFM={name}\r\n" in (netlogon / f"{name}.bat").read_bytes().decode(), name
        assert f'"=""{name}"""' in collector, name
    for path in [*scripts.iterdir(), *netlogon.glob("*.bat")]:
        assert lint_text(path.read_bytes(), str(path)) == [], path
