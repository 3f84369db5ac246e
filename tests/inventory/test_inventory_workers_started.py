"""A month with few machines to read starts one worker, not one per core (issue 20, section 6.2).

A worker is a new interpreter that imports hfstage and unpickles the catalog: 0.33 s of CPU, what
reading some 100 machines costs. A month with 1% of machines changed started one per core (--jobs)
for its handful, and paid the starts many times over what the reading cost. Every machine is still
read in a worker (the memory cap, a death costs one machine); only the number of workers follows the
number of machines. Processes are counted as the standard library starts them.
"""

from __future__ import annotations

import multiprocessing.process
from concurrent.futures import ProcessPoolExecutor

from hfstage.inventory import inventory
from hfstage.inventory.run import workers_for
from hfstage.inventory.workers import chunk_for
from tests.conftest import demo_with_cabinet


def test_a_dozen_machines_are_read_by_one_worker_whatever_jobs_allows(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share")
    started: list[str] = []
    real = multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        lambda self: started.append(self.name) or real(self))
    result = inventory(share, None, jobs=4, progress=False)
    assert result.read == len(result.machines) >= 8  # read in workers (8 or more), not in this process
    assert len(started) == 1


def test_a_worker_more_for_every_hundred_machines_up_to_jobs():
    assert [workers_for(n, 4) for n in (1, 99, 100, 199, 200, 399, 400, 5000)] == [1, 1, 1, 1, 2, 3, 4, 4]
    assert workers_for(5000, 2) == 2


def test_machines_go_to_the_workers_several_a_task(tmp_path, monkeypatch):
    """One machine a task cost the run ~1 ms a machine in round trips and left each worker idle while the run
    walked on (the inventory of 5,000 machines: 27 s, in tasks of 8 with two in flight: 15 s)."""
    share = demo_with_cabinet(tmp_path / "share")
    sizes: list[int] = []
    real = ProcessPoolExecutor.submit
    monkeypatch.setattr(ProcessPoolExecutor, "submit",
                        lambda self, fn, *args, **kw: sizes.append(len(args[1])) or real(self, fn, *args, **kw))
    result = inventory(share, None, progress=False)
    assert sum(sizes) == result.read == len(result.machines) >= 8
    assert max(sizes) == chunk_for(result.read, 1) > 1


def test_a_task_holds_up_to_eight_machines_and_every_worker_gets_four_tasks_or_more():
    assert [chunk_for(n, 2) for n in (1, 7, 8, 16, 40, 64, 200, 5000)] == [1, 1, 1, 2, 5, 8, 8, 8]
