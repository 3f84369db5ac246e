"""Many files written at once (share.write_many): the scripts, the collectors and the report pages.

The story: a month wrote 5,000 scripts, 5,000 stubs and 5,000 pages each with its own fsync, one journal
commit per file. Now each batch writes every temp file, makes them durable together, then renames each
into place. What must not change: a client reads the old file or the new one, never half; only changed
files are written; a run killed between two renames leaves old and new files and temp files the next run
sweeps; a failure names the file and leaves no temp file behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from hfstage.errors import HfstageError
from hfstage.share import PUBLIC, Share, init_share, write_many


def test_only_changed_files_are_written_with_the_shares_mode(tmp_path):
    same, other, new = tmp_path / "same.bat", tmp_path / "other.bat", tmp_path / "sub" / "new.bat"
    same.write_bytes(b"old\r\n")
    other.write_bytes(b"old\r\n")
    written = write_many({same: b"old\r\n", other: b"changed\r\n", new: b"new\r\n"}, PUBLIC)
    assert sorted(written) == sorted([other, new])
    assert other.read_bytes() == b"changed\r\n" and new.read_bytes() == b"new\r\n"
    assert oct(new.stat().st_mode & 0o777) == oct(PUBLIC)
    assert not list(tmp_path.rglob(".*.tmp"))


_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hfstage.share import write_many
    folder = Path(sys.argv[1])
    write_many({folder / f"PC{i}.bat": f"new {i}".encode() for i in range(5)})
""")


@pytest.mark.parametrize("n", [1, 3, 5])
def test_killed_between_renames_leaves_old_or_new_and_temps_the_next_run_sweeps(tmp_path, n):
    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    scripts = share.folder("scripts")
    for i in range(5):
        (scripts / f"PC{i}.bat").write_bytes(f"old {i}".encode())
    env = {**os.environ, "HFSTAGE_TEST_KILL_AT": f"write:{n}"}
    done = subprocess.run([sys.executable, "-c", _RUN, str(scripts)], env=env, capture_output=True)
    assert done.returncode == -9
    contents = [(scripts / f"PC{i}.bat").read_bytes() for i in range(5)]
    assert contents == [f"new {i}".encode() for i in range(n - 1)] + [f"old {i}".encode() for i in range(n - 1, 5)]
    assert len(list(scripts.glob(".*.tmp"))) == 5 - (n - 1)  # every file was whole before any rename
    assert share.remove_stale_temps() == 5 - (n - 1)
    assert not list(scripts.glob(".*.tmp"))


def test_a_failure_names_the_path_and_writes_nothing_half(tmp_path):
    (tmp_path / "scripts").write_text("a file where a folder should be")
    good = tmp_path / "ok.bat"
    with pytest.raises(HfstageError) as caught:
        write_many({good: b"fine", tmp_path / "scripts" / "PC1.bat": b"nowhere to go"})
    assert str(tmp_path / "scripts") in str(caught.value)
    assert not list(tmp_path.rglob(".*.tmp")) and not good.exists()
