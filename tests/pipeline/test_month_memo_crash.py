"""`hfstage month` killed at the memos' own crash points (hfstage.faults: `memo:<name>:begun` right after a
memo forgot what it is about to make again, `memo:<name>:commit` right before it vouches for what it made),
then the admin goes back to last month's catalog.

The danger a memo must never create: a key from last month still vouching for a file the killed run had
already replaced with this month's. Going back to last month's catalog makes last month's keys again, so a
key left behind would keep this month's file where last month's belongs. After each kill and the return,
every script, netlogon file and report page must be exactly what an uninterrupted run of the same
sequence makes. No timing: each kill is a test hook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from hfstage.share import Share
from tests.conftest import EXAMPLES, demo_with_cabinet

POINTS = ["memo:facts:begun", "memo:facts:commit", "memo:scripts:begun", "memo:scripts:commit",
          "memo:collectors:begun", "memo:report:begun", "memo:report:commit", "memo:package-facts:commit"]


def _hfstage(*args, kill: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "HFSTAGE_TEST_KILL_AT"}
    if kill:
        env["HFSTAGE_TEST_KILL_AT"] = kill
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args)], env=env, capture_output=True, text=True)


def _outputs(share: Share) -> dict[str, bytes]:
    """Every script, netlogon file and report page, with the share's own path (messages name files) made neutral."""
    out = {}
    for folder, pattern in (("scripts", "*.bat"), ("netlogon", "*.bat"), ("reports/machines", "*.html"),
                            ("reports/bulletins", "*.html")):
        out.update({f"{folder}/{p.name}": p.read_bytes().replace(str(share.root).encode(), b"SHARE")
                    for p in share.root.joinpath(folder).glob(pattern)})
    return out


def _month2(share: Share, kill: str | None = None) -> int:
    return _hfstage("month", share.root, "--cab", share.folder("incoming") / "month2.cab", "--as-of", "2003-09-15",
                    "--fail-on", "none", "--jobs", "2", kill=kill).returncode


def _back_to_month1(share: Share) -> dict[str, bytes]:
    """Last month's catalog made current again, and a clean month with it."""
    (share.folder("incoming") / "month2.cab").unlink()
    assert _hfstage("catalog", "use", share.root, "2.0.0.1").returncode == 0
    done = _hfstage("month", share.root, "--as-of", "2003-10-15", "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    return _outputs(share)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """The demo share after month 1, month 2's catalog in incoming; and what the uninterrupted sequence
    (month 2, back to month 1's catalog) leaves."""
    root = tmp_path_factory.mktemp("memo-crash")
    share = demo_with_cabinet(root / "prepared", "month1", as_name="month1.cab")
    assert _hfstage("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none").returncode == 0
    (share.folder("incoming") / "month1.cab").unlink()
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "month2.cab")
    first = _outputs(share)
    reference = Share(root / "reference")
    shutil.copytree(share.root, reference.root, symlinks=True)
    assert _month2(reference) == 0
    assert _outputs(reference) != first  # month 2 changes scripts and pages: a stale key would show
    return share, _back_to_month1(reference), root


@pytest.mark.parametrize("point", POINTS)
def test_killed_at_a_memo_point_then_back_to_last_month(prepared, point):
    share, expected, root = prepared
    copy = Share(root / point.replace(":", "-"))
    shutil.copytree(share.root, copy.root, symlinks=True)
    assert _month2(copy, kill=point) == -9, f"{point} was never reached"
    assert _back_to_month1(copy) == expected
