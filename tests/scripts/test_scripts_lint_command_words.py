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
                           "call %HFS%\\scripts\\ENDLOCAL.bat", "set HFM=SETLOCAL", ":setlocal", "echo x>setlocal",
                           "echo x > SETLOCAL y", "if exist a==b echo setlocal", "for %%a in (setlocal) do echo %%a",
                           "echo done>%HFR%\\PC-SETLOCAL.done", "echo x 2>nul setlocal"]),
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


# where cmd or command.com runs a command that the first command reading missed (a cold review compared it with
# the text rules before it): an @ after an if's condition or a for's do, a redirection before or after the
# command's name, a for's )do or a do in its list, call's command, a switch cmd reads as a prefix, exist a==b
MISSED = [
    ("for %%a in (x) do @setlocal", "setlocal/endlocal"),
    ("if exist x @setlocal", "setlocal/endlocal"),
    ("if errorlevel 1 @exit /b", "exit /b"),
    ("setlocal>nul", "setlocal/endlocal"),
    ("exit /b>nul", "exit /b"),
    ("if exist x endlocal>nul", "setlocal/endlocal"),
    (">nul setlocal", "setlocal/endlocal"),
    ("2>nul setlocal", "setlocal/endlocal"),
    ("> nul setlocal", "setlocal/endlocal"),
    ("<x set /p X=", "set /a, set /p"),
    ("for %%a in (x)do setlocal", "setlocal/endlocal"),
    ("for %%a in (a do b) do endlocal", "setlocal/endlocal"),
    ("call setlocal", "setlocal/endlocal"),
    ("if exist x call endlocal", "setlocal/endlocal"),
    ('set /p"X=go"', "set /a, set /p"),
    ("exit /b%E%", "exit /b"),
    ("if exist a==b setlocal", "setlocal/endlocal"),
]


@pytest.mark.parametrize(("line", "rule"), MISSED)
def test_a_command_is_found_past_at_signs_redirections_and_lists(line, rule):
    """Each of these runs the rule's construct under cmd (and would be misread by command.com): lint says so."""
    problems = lint_text(f"{NINE}{line}\r\n".encode(), "x.bat")
    assert [p.message for p in problems] == [f"{rule} needs cmd extensions; command.com lacks them"], line


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
