"""The scan's assessments, made in this process for a few machines and in the project's worker pool
(hfstage.workers) for many: machines are independent, and assessing them is the scan's CPU.

Each worker gets the catalog index and the site policy once; per machine it assesses, then encodes the
assessment as the history stores it (JSON, zlib, the rows: history.encode), so the process that holds the
history's transaction only writes. Results come back in the machines' order, so what is stored is what a
serial scan stores. A machine whose assessment kills its worker (and then its own process, alone) is one
unreadable row, recorded with no input key: the next scan assesses it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hfstage.assess import UNREADABLE, Assessment, CatalogIndex, SitePolicy, assess_contained
from hfstage.faults import crash_point
from hfstage.history import Encoded, Recorded, encode
from hfstage.inventory import InventoryResult, Limits
from hfstage.workers import Job, each_in_workers, pool_size

# Fewer machines to assess than this are assessed in this process. Measured on the shared 2-core server (load
# 3-6; bench/scan_pool.py's method, a history made anew, every machine assessed): two workers take 1.0-1.5 s
# to the first result (spawn, import hfstage, the catalog index) and 0.5 s to end; per machine this process
# then spends 0.4 ms (it wrote 1.2 ms alone) and each worker 1.2-1.4 ms. 2,000 machines: 4.4-4.8 s in
# workers, 2.8-3.6 s here; 5,000: 10-24 s in workers (parent 1.9-2.6 s CPU, workers 6.8-10 s), 8-11 s here
# (5.8-7.6 s CPU). On a loaded server the pool's extra CPU (imports, pickling) loses; on an idle one its
# CPU split (parent 1.9 s, two workers 3.4 s each at 5,000) models to about 4.3 s against 5.8 s, with the
# break-even near 2,000-2,500 machines. So only a large site's full or new-catalog month uses it, never a
# 1%-changed month's 50; --jobs N asks for it whatever the count. (Measured while the workers still started one
# after the other, see hfstage.workers._shipped: the break-even may now be lower.)
POOL_THRESHOLD = 3000
# Per worker, two tasks of _CHUNK machines in flight: one assessed while the other's result crosses to this
# process; a task per machine cost this process some 1 ms a machine in round trips, one per 32 some 0.4 ms.
_AHEAD, _CHUNK = 2, 32

_worker: dict = {}  # what every machine needs, set once in each worker


@dataclass(frozen=True)
class ToAssess:
    """One machine the scan assesses again, and what its assessment carries besides its facts."""

    machine: str
    input_key: str
    standing: str
    stale_since: str | None
    warnings: list  # what its scripts reported (MachineResults.problems)


def assessments(todo: list[ToAssess], inv: InventoryResult, index: CatalogIndex, policy: SitePolicy,
                limits: Limits, jobs: int | None, keep: bool) -> Iterator[Recorded]:
    """Each of TODO as the history records it, in order: its assessment, or in workers its encoded form (and
    the assessment too when KEEP)."""
    workers = pool_size(len(todo), jobs, POOL_THRESHOLD)
    if not workers:
        for one in todo:
            yield Recorded(assessed(inv.facts_of(one.machine), index, policy, one), one.input_key)
        return
    job = Job(_assess_in_worker, _load, (index, policy, inv.cache), limits.worker_memory_mib)
    items = [(one, inv.fresh.get(one.machine), keep) for one in todo]
    made = each_in_workers(job, items, workers, ahead=_AHEAD, chunk=_CHUNK)
    for one, (result, death) in zip(todo, made, strict=True):
        if death is None:
            yield Recorded(result[0], one.input_key, encoded=result[1])
        else:  # no input key: assessed again next time, never reused
            yield Recorded(_died(one, death), None)


def assessed(facts, index: CatalogIndex, policy: SitePolicy, one: ToAssess) -> Assessment:
    """ONE's assessment from its FACTS, with its standing and its scripts' reports."""
    a = assess_contained(facts, index, policy)
    a.standing, a.stale_since = one.standing, one.stale_since
    a.warnings.extend(one.warnings)
    return a



def _load(index: CatalogIndex, policy: SitePolicy, cache: Path | None) -> None:
    """In a worker, once: the catalog index, the site policy and the facts cache this scan's parent wrote."""
    _worker.update(index=index, policy=policy, inventory=InventoryResult(cache=cache))


def _assess_in_worker(one: ToAssess, facts, keep: bool) -> tuple[Assessment | None, Encoded]:
    """In a worker: ONE assessed from FACTS (None: its cached facts) and encoded; the assessment itself too
    when KEEP (the scan keeps a few in memory for the steps after it)."""
    crash_point(f"assess:{one.machine}")
    facts = facts if facts is not None else _worker["inventory"].facts_of(one.machine)
    a = assessed(facts, _worker["index"], _worker["policy"], one)
    return (a if keep else None), encode(a, one.input_key)


def _died(one: ToAssess, death: str) -> Assessment:
    """The unreadable row of a machine whose assessment killed the process that made it, alone."""
    error = (f"{one.machine}: could not be assessed: the process assessing it died ({death}); nothing of it was "
             "used, the other machines were assessed")
    a = Assessment(one.machine, None, None, error=error, status=UNREADABLE, status_detail=error)
    a.standing, a.stale_since = one.standing, one.stale_since
    a.warnings.extend(one.warnings)
    return a
