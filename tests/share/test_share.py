"""`hfstage init`, the share lock, and atomic writes."""

from __future__ import annotations

import multiprocessing
import os
import re

import pytest

from hfstage.errors import LockedError
from hfstage.share import FOLDERS, Share, atomic_write_bytes, init_share, staged_dir, write_if_changed


def test_init_creates_layout_and_is_idempotent(run, tmp_path):
    code, out, _ = run("init", tmp_path / "s")
    assert code == 0 and "files created" in out
    for name in FOLDERS:
        assert (tmp_path / "s" / name).is_dir()
    ini = tmp_path / "s" / "site.ini"
    assert ini.read_text().startswith("; hfstage site policy")
    ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    code, out, _ = run("init", tmp_path / "s")
    assert code == 0 and "0 files created" in out and "kept your site.ini" in out
    assert ini.read_text() == "[share]\nunc = \\\\DC1\\hfstage\n"


def test_check_names_the_fix(tmp_path):
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "incoming").mkdir()
    from hfstage.errors import UsageError

    with pytest.raises(UsageError, match="not an hfstage share .*run `hfstage init"):
        Share(tmp_path / "half").check()


def _hold_lock(root, ready, release):
    with Share(root).lock():
        ready.set()
        release.wait(10)


def test_second_run_fails_clearly_while_locked(tmp_path):
    init_share(tmp_path / "s")
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(tmp_path / "s", ready, release))
    holder.start()
    try:
        assert ready.wait(10)
        with pytest.raises(LockedError, match=r"another hfstage run holds the share lock \(pid"), \
                Share(tmp_path / "s").lock(wait_seconds=0.3):
            pass
    finally:
        release.set()
        holder.join(10)
    with Share(tmp_path / "s").lock():
        pass


def test_bad_site_ini_is_one_line_error(tmp_path):
    init_share(tmp_path / "s")
    (tmp_path / "s" / "site.ini").write_text("[catalog]\nmax_extract_bytes = lots\n")
    from hfstage.errors import UsageError

    with pytest.raises(UsageError, match=r"site.ini:2: \[catalog\]: max_extract_bytes = 'lots' is not a whole number"):
        Share(tmp_path / "s").config()


@pytest.mark.parametrize("value, problem", [("400", "interval = 400: use 0 to 365"),
                                            ("weekly", "interval = 'weekly' is not a whole number"),
                                            ("-1", "interval = -1: use 0 to 365")])
def test_collect_interval_is_a_whole_number_of_days(tmp_path, value, problem):
    """[collect] interval = N collects at most once per N days: 0 (every logon) to 365, else site.ini:line says why."""
    from hfstage.errors import UsageError

    init_share(tmp_path / "s")
    ini = tmp_path / "s" / "site.ini"
    ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n[collect]\ninterval = 7\n")
    assert Share(tmp_path / "s").config().get("collect", "interval") == 7
    ini.write_text(f"[collect]\n\ninterval = {value}\n")
    with pytest.raises(UsageError, match=rf"/site.ini:3: \[collect\]: {re.escape(problem)}$"):
        Share(tmp_path / "s").config()


def test_atomic_writes(tmp_path):
    target = tmp_path / "a.bat"
    atomic_write_bytes(target, b"old")
    assert write_if_changed(target, b"old") is False
    mtime = os.stat(target).st_mtime_ns
    assert write_if_changed(target, b"new") is True and target.read_bytes() == b"new"
    assert os.stat(target).st_mtime_ns >= mtime
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.bat"]  # no temp files left


def test_staged_dir_leaves_nothing_on_failure(tmp_path):
    with pytest.raises(RuntimeError), staged_dir(tmp_path / "final") as tmp:
        (tmp / "x").write_text("partial")
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_scratch_lives_in_state_and_a_killed_runs_is_swept(tmp_path):
    """Extraction and dry-run copies go to state/, never the server's /tmp; one a SIGKILLed run
    left behind (no finally ran) is removed by the next run under the lock."""
    init_share(tmp_path / "s")
    share = Share(tmp_path / "s")
    with share.scratch("cab-extract") as tmp:
        assert tmp.parent == share.state and oct(tmp.stat().st_mode & 0o777) == "0o700"
        (tmp / "x").mkdir()
        (tmp / "x" / "mssecure.xml").write_bytes(b"<x/>")
    assert not tmp.exists()
    left = share.state / ".cab-extract.killed.tmp"  # what mkdtemp made before a kill -9
    (left / "x").mkdir(parents=True)
    (left / "x" / "mssecure.xml").write_bytes(b"<x/>")
    with share.lock():
        assert share.remove_stale_temps() >= 1
    assert not left.exists()
