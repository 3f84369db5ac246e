"""Lint once per shared text (scripts.lint_shared, issue 20 section 6.2).

The story: the scripts step of a full month linted every machine's two scripts, though most machines' scripts
are one placeholder text (write.ByPlan) with the name put in: 4,500 lints at 1,500 machines, 13% of the step.
Now a placeholder text that lints clean is linted once, and a machine's copy of it counts as clean only when
its name cannot change what a rule sees. Checked here against lint_text on each machine's own text, on texts
that put the name where each rule looks (long lines, labels, keywords, switches, errorlevel numbers, %VAR%,
command.com in the first lines) and names that do trigger the rules: too long, holding a keyword, starting
with a digit, completing "command.com" or a variable's name. A sharing that skipped any of those checks
would report a machine's script clean when its own lint finds a problem.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfstage.scripts.lint import is_9x_script, lint_text
from hfstage.scripts.lint_shared import SharedLint, _decoded, head
from hfstage.scripts.write import ANONYMOUS, _widths

P = ANONYMOUS
HEAD = "@echo off\r\nrem hfstage install script for Windows 9x (command.com)\r\n"
PAD = "x" * (127 - len("copy a.txt c:\\") - len(P) - len("\\.txt"))
LINES = [  # where a template may put the machine's name; after each, a name its rule sees
    "call %HFS%\\scripts\\{P}.bat",  # ordinary places
    "set HFM={P}",
    "echo done> %HFR%\\{P}.done",
    "copy a.txt c:\\" + PAD + "\\{P}.txt",  # 127 characters with the placeholder: a longer name
    ":PCSTUFF1\r\n:{P}",  # a label: PCSTUFF12 is PCSTUFF1 in 8 characters
    "start /w {P}.exe",  # PC 1: a stray word
    "if /{P} x==y goto end",  # I: if /i
    "if errorlevel 0 goto end\r\nif errorlevel {P} goto end",  # 1PC: a higher code after a lower one
    "echo %{P}% " + "y" * 90,  # HFX: a variable, wider than the placeholder
    "echo {P}",  # PC-SETLOCAL, PC-ENDLOCAL
    "setlocal\r\necho {P}",  # any name: a problem of the placeholder's text is every machine's
    "echo {P} /i x",  # PC-IF
    "echo {P} :x",  # PC-CALL
    "echo {P} /b",  # PC-EXIT
    "echo {P} /f",  # PC-FOR
    "echo {P} /a",  # PC-SET
    "if {P} x goto end",  # DEFINED
    "{P} x y",  # START
    "if errorlevel 1 goto end\r\nif {P} 5 goto end",  # ERRORLEVEL
    "if errorlevel 1 goto end\r\nif {P} errorlevel 5 goto end",  # NOT
    "echo {P} (",  # PC-DO
    "echo ) {P}",  # ELSE
    'for %%f {P} ("x) do echo %USERNAME%"',  # IN
    # where command.com reads the name as a command or a command's word (lint reads commands, not text)
    "@{P} x",  # SETLOCAL, ENDLOCAL
    "if exist x {P} y",  # SETLOCAL: the command an if runs
    "for %%f in (x) do {P} y",  # SETLOCAL: the command a for runs
    "echo x|{P} y",  # SETLOCAL: a command a pipe joins
    "{P}/b",  # EXIT: exit /b
    "{P} :x",  # CALL
    "if {P} defined x goto end",  # NOT
    "if {P} x y setlocal",  # NOT: the if's condition is then two words further, and its command setlocal
    "for %%f in (x) {P} setlocal",  # DO
    "if {P} x setlocal y",  # EXIST, ERRORLEVEL, DEFINED: the condition's length
    "if a {P} b setlocal",  # LSS, EQU: cmd's comparison, a condition of three words
    "call {P} x",  # SETLOCAL: call runs its command
    "{P} setlocal",  # CALL: the same
    ">nul {P} x",  # SETLOCAL: a redirection before the command
    "2>nul @{P}>nul",  # SETLOCAL: a handle's redirection, an @ and one after
    "echo x>{P} setlocal",  # any name: a redirection's file is no command
    "if exist x @{P}",  # ENDLOCAL: an @ after an if's condition
    "for %%f in (x)do {P} x",  # SETLOCAL: a for's )do
    "for %%f in (x {P} y) do setlocal",  # any name: a do in a for's list
    "if exist a=={P} setlocal",  # any name: exist a==b read both ways
    "if exist {P}==b setlocal",
    ") {P} setlocal",  # ELSE: a block's else
]
NAMES = ["PC000123", "WS-ACCT-04", "ABCDEFGHIJKLMNO", "ABCDEFGHIJKLMNOP", "PCSTUFF12", "PC 1", 'PC"1', "I", "1PC",
         "HFX", "PC-SETLOCAL", "PC-ENDLOCAL", "PC-IF", "PC-CALL", "PC-EXIT", "PC-FOR", "PC-SET", "DEFINED", "START",
         "ERRORLEVEL", "NOT", "PC-DO", "ELSE", "IN", "COM", "COMMAND", "X_Y", "PC.1", "PC$", "A%HFX%B",
         "SETLOCAL", "ENDLOCAL", "SETLOCAL-PC", "EXIT", "CALL", "DO", "EXIST", "FOR", "SET", "IF", "IF-X", "DO-1",
         "EXIT-2", "PC-NOT", "DEFINED-PC", "LSS", "EQU", "PC-GTR"]
UNC = "\\\\DC\\hfstage"


def _texts() -> list[str]:
    """Each risky line alone in a 9x script; the same in an NT script; the name in the first lines (where
    command.com is looked for); and the name twice on one line."""
    out = [HEAD + line + "\r\n:end\r\n" for line in LINES]
    out += ["@echo off\r\n" + line + "\r\n" for line in LINES]
    out += ["@echo off\r\nrem command.{P}\r\necho x&& echo y\r\n", "@echo off\r\nrem {P}.com\r\necho x&& echo y\r\n",
            HEAD + "copy {P}.bat %HFS%\\results\\{P}.log\r\n"]
    return out


@pytest.mark.parametrize("template", _texts())
def test_shared_lint_is_each_machines_own_lint(template):
    widths, spaced = _widths(UNC), {"USERNAME"}
    shared = SharedLint(P, widths, spaced)
    placeholder_text = template.replace("{P}", P).encode("ascii")
    for name in NAMES:
        data = template.replace("{P}", name).encode("ascii")
        own = lint_text(data, f"{name}.bat", substitutions=widths, spaced=spaced)
        assert shared.lint(data, f"{name}.bat", name, placeholder_text) == own, (name, template)


def test_the_sharing_is_used_where_it_is_proved():
    """Not only a fallback: a plain name in a clean text is answered from the placeholder's lint (a text that
    would fail lint_text shows whether the machine's own text was linted)."""
    shared = SharedLint(P, _widths(UNC), {"USERNAME"})
    placeholder_text = (HEAD + "call %HFS%\\scripts\\" + P + ".bat\r\n").encode()
    assert shared.lint(b"rem command.com\nnot linted: LF only\nsetlocal\n", "PC1.bat", "PC1", placeholder_text) == []
    assert shared.lint(b"linted: LF only\n", "PC1.bat", "PC1", None)  # not shared: its own lint
    assert shared.lint(b"linted: LF only\n", "1PC.bat", "1PC", placeholder_text)  # name not neutral


def test_a_name_holding_a_rule_word_is_neutral_and_one_that_is_a_rule_word_is_not():
    """Lint reads commands' whole words, so PC-SETLOCAL cannot change what a rule sees (its scripts are answered
    from the placeholder's lint, as PC1's); SETLOCAL alone still could (at a command's place), and is linted."""
    shared = SharedLint(P, _widths(UNC), {"USERNAME"})
    placeholder_text = (HEAD + "set HFL=%HFS%\\results\\" + P + ".log\r\n").encode()
    for name in ("PC-SETLOCAL", "ENDLOCAL-2", "PC-IF", "DEFINED-PC"):
        assert shared.lint(b"rem command.com\nnot linted: LF only\n", f"{name}.bat", name, placeholder_text) == [], name
    for name in ("SETLOCAL", "IF", "NOT", "DO"):
        assert shared.lint(b"linted: LF only\n", f"{name}.bat", name, placeholder_text), name


@given(st.lists(st.sampled_from(["\r\n", "\n", "\r", "\x0b", "\x1c", "\x85", "command.com", "COMMAND", ".com",
                                 "rem ", "x", "\xff"]), max_size=40))
def test_the_head_of_a_script_says_what_the_whole_says_of_command_com(parts):
    """SharedLint reads whether a machine's copy is a 9x script from its first lines only (lint_shared.head): on
    any text, those must say what the whole text says, whatever line ends and bytes it holds."""
    data = "".join(parts).encode("latin-1")
    assert is_9x_script(_decoded(head(data))) == is_9x_script(_decoded(data))
