"""A Windows 9x package whose path holds a comma, semicolon or = is a note, not a split `start` line.

The story (review lead a): command.com splits a command's words at a space, a comma, a semicolon and an
equals sign alike, and its `start` cannot take a quoted path; the 9x script runs packages with an unquoted
`start /w %HFS%\\hotfixes\\...`. A folder with a space was refused; one named `w,98` or `w=98` passed
generation and `scripts lint`, and command.com would run `%HFS%\\hotfixes\\w` with `98\\q321232.exe` as an
argument. Now every separator is refused the same way, by generation and by the linter.
"""

from __future__ import annotations

import pytest

from hfstage.scripts import lint_text
from tests.catalog import test_bounds_values as bv

nine_x = bv.nine_x


@pytest.mark.parametrize("place, said", [("w,98\\q321232.exe", "a comma"), ("w;98\\q321232.exe", "a semicolon"),
                                         ("w=98\\q321232.exe", "an equals sign")])
def test_a_9x_package_in_a_folder_command_com_splits_is_a_note(nine_x, run, place, said):
    script = bv._w98_script(nine_x, run, place)
    assert f"its package is hotfixes\\{place}, a path with {said}" in script
    assert not [ln for ln in script.splitlines() if ln.lower().startswith("start ")]


@pytest.mark.parametrize("line", ["start /w %HFS%\\hotfixes\\w,98\\q.exe /Q:A /R:N",
                                  "start /w %HFS%\\hotfixes\\w;98\\q.exe /Q:A", "start /w C:\\a=b\\q.exe"])
def test_lint_names_a_start_path_command_com_would_split(line):
    text = f"@echo off\r\nif \"%OS%\"==\"Windows_NT\" goto end\r\n{line}\r\n:end\r\n".encode()
    problems = lint_text(text, "x.bat", for_9x=True)
    assert any("where command.com splits" in str(p) for p in problems), problems
