"""Machines go to the workers as the walk finds them, each forgotten by both memos first (issue 20).

The inventory located and keyed every machine folder (some 3 s of one core at 5,000 machines) before the first
worker read one. It now starts the pool once it has found as many machines to read as the most workers read,
and goes on locating while they read. The memos' contract stays: a machine handed to a worker is vouched for by
neither record on disk any more (begun), so a run killed while reading leaves none vouched for. Both are seen
as the pool is handed its tasks; the numbers of machines per worker are made small so the demo's dozen shows it.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from hfstage.inventory import Limits, inventory
from hfstage.inventory import survey as walk
from hfstage.inventory.rawstore import RawStore
from hfstage.share import FACTS
from tests.conftest import build_demo_share


@pytest.fixture
def small_batches(monkeypatch):
    """Two machines found start the pool (the demo has a dozen)."""
    monkeypatch.setattr("hfstage.inventory.run._MACHINES_PER_WORKER", 1)
    monkeypatch.setattr("hfstage.inventory.run._PARALLEL_THRESHOLD", 2)


def _handed(monkeypatch, seen) -> list[str]:
    """The machines of the pool's tasks, in the order they are handed out; SEEN(machine) called as each is."""
    handed: list[str] = []
    real = ProcessPoolExecutor.submit

    def submit(self, fn, *args, **kwargs):
        for item in args[1]:
            handed.append(Path(item[0]).name)
            seen(handed[-1])
        return real(self, fn, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    return handed


def test_the_first_machines_are_read_before_the_last_folders_are_located(tmp_path, monkeypatch, small_batches):
    share = build_demo_share(tmp_path / "share")
    located: list[str] = []
    real = walk.locate_inputs
    monkeypatch.setattr(walk, "locate_inputs", lambda folder, *a, **k: located.append(folder.name) or real(folder,
                                                                                                          *a, **k))
    at_first: list[int] = []
    handed = _handed(monkeypatch, lambda machine: at_first or at_first.append(len(located)))
    result = inventory(share, None, jobs=2, progress=False)
    assert result.read == len(handed) == len(result.machines) == len(located) >= 8
    assert at_first[0] < len(located)


def test_a_machine_handed_to_a_worker_is_no_longer_vouched_for_on_disk(tmp_path, monkeypatch, small_batches):
    share = build_demo_share(tmp_path / "share")
    inventory(share, None, jobs=2, progress=False)
    for folder in share.folder("inventory").iterdir():  # every collection written again: every machine read again
        for path in folder.rglob("*"):
            os.utime(path, ns=(os.stat(path).st_mtime_ns + 10**9,) * 2, follow_symlinks=False)
    records = [share.record(FACTS).path, RawStore(share, Limits()).path]
    vouched: list[str] = []

    def seen(machine: str) -> None:
        vouched.extend(machine for path in records if machine in json.loads(path.read_bytes())["entries"])

    handed = _handed(monkeypatch, seen)
    result = inventory(share, None, jobs=2, progress=False)
    assert result.read == len(handed) > 2 and vouched == []  # more than the batch begun before the pool started
    assert json.loads(records[0].read_bytes())["entries"].keys() >= set(handed)  # vouched for again once read
