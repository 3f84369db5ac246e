"""SIGKILL `hfstage month` at random points; run two at once. The share must stay consistent."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

from hfstage.demo import build_demo_share
from tests.conftest import EXAMPLES

RUNS = 50


def _month(share, *extra):
    cab = share.folder("incoming") / "month2.cab"
    return [sys.executable, "-m", "hfstage", "month", str(share.root), "--cab", str(cab), "--as-of", "2003-09-15",
            *extra]


def _scripts(share) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in share.folder("scripts").glob("*.bat")}


def _consistent(share, old, new, i):
    for name, data in _scripts(share).items():
        assert data in (old.get(name), new.get(name)), f"run {i}: {name} is neither old nor new"
    with sqlite3.connect(share.folder("state") / "history.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        machines = db.execute("SELECT scan_id, COUNT(*) FROM machines GROUP BY scan_id").fetchall()
        assert all(n == 12 for _, n in machines), f"run {i}: a scan recorded only part of its machines"
    stored = share.folder("catalogs") / "2.0.0.2"
    if stored.exists():
        assert sorted(p.name for p in stored.iterdir()) == ["catalog.json", "import.json", "mssecure.cab",
                                                           "mssecure.xml"]
    for report in share.folder("reports").iterdir():
        if report.is_dir() and not report.name.startswith("."):
            assert (report / "index.html").is_file() and (report / "scan.json").is_file()


def _prepared(tmp_path, name):
    share = build_demo_share(tmp_path / name)
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "month1.cab")
    subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--as-of", "2003-08-15"],
                   check=True, capture_output=True)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "month2.cab")
    return share


def test_kill_loop(tmp_path):
    share = _prepared(tmp_path, "share")
    reference = _prepared(tmp_path, "reference")
    old = _scripts(share)
    start = time.perf_counter()
    subprocess.run(_month(reference), check=True, capture_output=True)
    duration = time.perf_counter() - start
    new = _scripts(reference)
    assert old != new
    rng = random.Random(11)
    killed = 0
    for i in range(RUNS):
        proc = subprocess.Popen(_month(share), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        _consistent(share, old, new, i)
    assert killed >= RUNS // 3, f"only {killed} of {RUNS} runs were killed before they finished"
    done = subprocess.run(_month(share), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert _scripts(share) == new  # the same result as the run that was never interrupted
    report = subprocess.run([sys.executable, "-m", "hfstage", "report", str(share.root)], capture_output=True)
    assert report.returncode == 0


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
