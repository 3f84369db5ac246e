"""Kill `hfstage month` at chosen points (the start of each step, inside the inventory's worker pool,
and between the write and the rename of the Nth file it writes); run two at once. The share must
stay consistent, a clean run afterwards must give the same result as one never interrupted, and a
killed run must leave no process behind.

The kill points are test hooks (hfstage.faults), so no verdict depends on how busy the machine is.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

from hfstage.share import Share
from tests.conftest import EXAMPLES, demo_with_cabinet
from tests.published import published

MACHINES = 12


def _month(share, *extra):
    cab = share.folder("incoming") / "month2.cab"
    return [sys.executable, "-m", "hfstage", "month", str(share.root), "--cab", str(cab), "--as-of", "2003-09-15",
            "--fail-on", "none", "--jobs", "2", *extra]


def _scripts(share) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in published(share).glob("*.bat")}


def _consistent(share, old, new, point):
    # the whole set clients run: last month's or this month's, never a mix (issue 21)
    assert _scripts(share) in (old, new), f"{point}: the published scripts mix last month's and this month's"
    with sqlite3.connect(share.folder("state") / "history.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        machines = db.execute("SELECT scan_id, COUNT(*) FROM machines GROUP BY scan_id").fetchall()
        assert all(n == MACHINES for _, n in machines), f"{point}: a scan recorded only part of its machines"
    stored = share.folder("catalogs") / "2.0.0.2"
    if stored.exists():
        assert sorted(p.name for p in stored.iterdir()) == ["catalog.json", "import.json", "mssecure.cab",
                                                           "mssecure.xml"]
    for page in share.folder("reports").rglob("*.html"):
        text = page.read_text()
        assert text.startswith("<!DOCTYPE html>") and text.rstrip().endswith("</html>"), f"{point}: {page} is half"


def _prepared(tmp_path, name):
    share = demo_with_cabinet(tmp_path / name, "month1", as_name="month1.cab")
    subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--as-of", "2003-08-15",
                    "--fail-on", "none"], check=True, capture_output=True)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "month2.cab")
    later = time.time() + 60  # the clients collected again: month 2 reads them, in the workers (a new catalog alone
    for path in share.folder("inventory").rglob("*"):  # reads no machine: its facts are projected)
        if path.is_file():
            os.utime(path, (later, later))
    return share


def _survivors(marker: str) -> list[str]:
    """Processes still running with MARKER in their environment (children of a killed run)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if marker.encode() in (proc / "environ").read_bytes():
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name}: {command[:80]}")
        except OSError:
            continue
    return found


def _killed_at(share, point: str) -> int:
    """Run month with the crash point set; return its exit status; check it left no process behind."""
    marker = f"HFSTAGE_KILL_TEST_RUN={uuid.uuid4().hex}"
    env = {**os.environ, "HFSTAGE_TEST_KILL_AT": point, marker.split("=")[0]: marker.split("=")[1]}
    proc = subprocess.run(_month(share), env=env, capture_output=True)
    deadline = time.monotonic() + 60  # a dead parent's children exit at once; this only bounds a hang
    while _survivors(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _survivors(marker) == [], f"{point}: processes outlived the killed run"
    return proc.returncode


def test_kill_inside_the_workers_and_at_every_step(tmp_path):
    """One share, killed at each point in turn (each run gets further), then a clean run."""
    share = _prepared(tmp_path, "share")
    reference = _prepared(tmp_path, "reference")
    old = _scripts(share)
    subprocess.run(_month(reference), check=True, capture_output=True)
    new = _scripts(reference)
    assert old != new
    for point in ["workers"] + [f"step:{n}" for n in range(1, 8)]:
        assert _killed_at(share, point) == -9, point
        _consistent(share, old, new, point)
    done = subprocess.run(_month(share), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _scripts(share) == new  # the same result as the run that was never interrupted
    assert not [p for p in share.root.rglob(".*.tmp")], "temp files left after a clean run"


def test_kill_between_each_write_and_its_rename(tmp_path):
    """A fresh copy of the share, killed mid-write at the 1st, 3rd, 5th ... file, until a run completes;
    every fourth killed copy then runs clean and must give the uninterrupted result."""
    prepared = _prepared(tmp_path, "prepared")
    old = _scripts(prepared)
    reference = tmp_path / "reference"
    shutil.copytree(prepared.root, reference, symlinks=True)
    subprocess.run(_month(Share(reference)), check=True, capture_output=True)
    new = _scripts(Share(reference))
    killed = 0
    for n in range(1, 400, 2):
        copy = Share(tmp_path / f"w{n}")
        shutil.copytree(prepared.root, copy.root, symlinks=True)
        code = _killed_at(copy, f"write:{n}")
        assert code in (-9, 0), f"write {n}: exit {code}"
        _consistent(copy, old, new, f"write {n}")
        if code == 0:
            break  # past the last write: the run completed
        killed += 1
        if killed % 4 == 0:
            done = subprocess.run(_month(copy), capture_output=True, text=True)
            assert done.returncode == 0 and _scripts(copy) == new, f"write {n}: {done.stderr}"
        shutil.rmtree(copy.root)
    assert killed >= 20, f"only {killed} writes were interrupted"


def test_two_months_at_once(tmp_path):
    share = _prepared(tmp_path, "share")
    first = subprocess.Popen(_month(share), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(_month(share), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [p.communicate(timeout=300) + (p.returncode,) for p in (first, second)]
    for _, err, code in results:
        assert code == 0 or (code == 4 and "another hfstage run holds the share lock" in err), err
    assert any(code == 0 for *_, code in results)
    reference = _prepared(tmp_path, "reference")
    subprocess.run(_month(reference), check=True, capture_output=True)
    assert _scripts(share) == _scripts(reference)
    with sqlite3.connect(share.folder("state") / "history.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
