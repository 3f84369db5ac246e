"""A month with few machines to read starts one worker, not one per core (issue 20, section 6.2).

A worker is a new interpreter that imports hfstage and unpickles the catalog: 0.33 s of CPU, what
reading some 100 machines costs. A month with 1% of machines changed started one per core (--jobs)
for its handful, and paid the starts many times over what the reading cost. Every machine is still
read in a worker (the memory cap, a death costs one machine); only the number of workers follows the
number of machines. Processes are counted as the standard library starts them.
"""

from __future__ import annotations

import multiprocessing.process

from hfstage.inventory import inventory
from hfstage.inventory.run import workers_for
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
