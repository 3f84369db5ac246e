"""A refused done.txt is named, never read silently as "no markers".

The story (review lead c): the collector copies the client's install markers to inventory\\<M>\\done.txt;
the rollback and the retry count rest on them. A done.txt that is a symbolic link, a second name of
another file (a hard link) or over the size cap was refused and then read as "no markers at all", with no
word: the machine looked as if its scripts had installed nothing. Now it is named in the machine's facts
(an input that could not be read, as every refused client file is); a missing done.txt stays silent.
"""

from __future__ import annotations

import os
import shutil

import pytest

from hfstage.inventory import gather_facts
from hfstage.inventory.gather import DONE_MAX
from tests.conftest import DATA


@pytest.fixture
def machine(tmp_path):
    folder = tmp_path / "W2KSRV"
    shutil.copytree(DATA / "inventory" / "W2KSRV", folder)
    return folder


def _done_problems(machine) -> list[str]:
    facts = gather_facts(machine)
    assert facts.error is None, facts.error
    return [e for e in facts.refused + facts.parse_errors if "done.txt" in e]  # refused by the listing, or by the read


def test_a_linked_done_txt_is_named(machine, tmp_path):
    (tmp_path / "elsewhere.txt").write_text("[Q1.exe 10]\r\n")
    os.symlink(tmp_path / "elsewhere.txt", machine / "done.txt")
    (problem,) = _done_problems(machine)
    assert problem.startswith(str(machine / "done.txt")) and "refused" in problem and "link" in problem


def test_a_hard_linked_done_txt_is_named(machine, tmp_path):
    (tmp_path / "elsewhere.txt").write_text("[Q1.exe 10]\r\n")
    os.link(tmp_path / "elsewhere.txt", machine / "done.txt")
    (problem,) = _done_problems(machine)
    assert "refused" in problem


def test_a_done_txt_over_the_cap_is_named(machine):
    with open(machine / "done.txt", "wb") as fh:
        fh.truncate(DONE_MAX + 1)  # sparse: costs the client nothing
    (problem,) = _done_problems(machine)
    assert "refused" in problem and "larger than any real install markers" in problem


def test_no_done_txt_is_no_problem(machine):
    assert _done_problems(machine) == []
    (machine / "done.txt").write_text("[Q326830_W2K_SP4_X86_EN.exe 1234]\r\n")
    assert _done_problems(machine) == [] and gather_facts(machine).done_markers == ["Q326830_W2K_SP4_X86_EN.exe 1234"]
