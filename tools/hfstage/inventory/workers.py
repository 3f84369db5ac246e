"""Machines read in worker processes, each within an address-space cap; a worker's death costs one machine.

The pool is the project's one (hfstage.workers): when a worker dies (killed for memory, a crash
deep in a parser) the machines in flight are the only suspects: they are read again one at a time,
and the one whose reading kills a process alone becomes an error row naming how it died. The rest
go on in a fresh pool. The month never ends with BrokenProcessPool. This module holds what is the
inventory's own: the job, its per-worker state, how machines are handed out, and the error rows.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path

from hfstage.errors import HfstageError
from hfstage.faults import crash_point
from hfstage.inventory.binding import Accounts
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.encoded import Encoded, FactsFiles, decode, encode, encode_parts
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.files import SEEN
from hfstage.inventory.gather import MachineInputs, read_raw
from hfstage.inventory.limits import Limits
from hfstage.inventory.raw import project
from hfstage.inventory.survey import ToMake
from hfstage.workers import Job, each_in_workers, owns_its_memory, run_alone

_worker: dict = {}  # what every machine needs, set once in each worker (the pool: hfstage.workers)

# Per worker, two tasks of up to _CHUNK machines in flight: one read while this process takes the other's result
# back and walks on to the machines of the next. One machine a task, one in flight (as before), cost this process
# ~1 ms a machine in round trips, and each worker waited idle while this process walked on: the inventory of
# 5,000 machines took 27.1-27.3 s (parent 11.2-11.4 s of CPU), in tasks of 8, two in flight, 14.5-15.8 s (parent
# 5.9-6.4 s). A worker's death makes at most 2 x 2 x 8 machines suspects, read again one at a time.
_AHEAD, _CHUNK = 2, 8


def chunk_for(machines: int, workers: int) -> int:
    """Machines a task when WORKERS read MACHINES (or more): _CHUNK, fewer when each worker would get fewer than
    four tasks, so a small site's machines still spread over every worker."""
    return max(1, min(_CHUNK, machines // (4 * workers)))


def safe_gather(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None) -> MachineFacts:
    """Facts, or an error row naming the machine: one bad machine never stops the rest."""
    return safe_read(folder, catalog, rules, limits, accounts)[0]


def safe_read(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None,
              asks: CatalogAsks | None = None, inputs: MachineInputs | None = None) -> tuple[MachineFacts, dict | None]:
    """(facts or an error row, what is remembered of the machine's raw facts for the next catalog or None);
    ASKS: CatalogAsks.of(CATALOG), worked out once for many machines; INPUTS: the folder as the run found it
    (locate_inputs, the listing its key was made from), not found again. A MemoryError is the machine's row
    only where it is the machine's own (workers.owns_its_memory), else raised: the worker ends."""
    try:
        raw = read_raw(folder, rules, inputs=inputs, limits=limits, on_share=True, accounts=accounts)
        return project(raw, catalog, rules, asks), _remembered(raw, catalog, asks)
    except HfstageError as e:
        return MachineFacts(machine=folder.name, error=str(e)), None
    except MemoryError:
        if not owns_its_memory():
            raise
        return MachineFacts(machine=folder.name, error=f"{folder}: refused: reading it needed more memory than a "
                            f"worker may use ({limits.worker_memory_mib} MiB; [limits] worker_memory_mib in "
                            "site.ini)"), None
    except Exception as e:  # noqa: BLE001 - any failure becomes this machine's error row
        return MachineFacts(machine=folder.name, error=f"{folder}: unexpected {type(e).__name__}: {e}"), None


def _remembered(raw, catalog, asks: CatalogAsks | None) -> dict | None:
    """What is kept of RAW; nothing when keeping it fails (the machine is only read again next time)."""
    try:
        return raw.remember(catalog, asks)
    except Exception:  # noqa: BLE001 - a capture is an optimisation: never the machine's error
        return None


def _init_worker(catalog, rules: dict, limits: Limits, accounts: Accounts | None = None,
                 files: FactsFiles | None = None) -> None:
    _worker.update(catalog=catalog, rules=rules, limits=limits, accounts=accounts, files=files,
                   asks=CatalogAsks.of(catalog) if catalog is not None else None)
    SEEN.fit(limits.worker_memory_mib)


def _facts_in_worker(folder: str, inputs: MachineInputs | None = None,
                     key: str | None = None) -> tuple[tuple[dict, str, str, bytes | None], bool]:
    """In a worker: the machine read, its facts and raw facts encoded (encoded.encode_parts) and, with the facts
    memo's KEY, written (FactsFiles), in parallel, not in the parent; and whether they were written."""
    crash_point(f"machine:{Path(folder).name}")
    facts, raw = safe_read(Path(folder), _worker["catalog"], _worker["rules"], _worker["limits"], _worker["accounts"],
                           _worker["asks"], inputs)
    parts = encode_parts(facts, raw)
    if key is None or _worker["files"] is None:
        return parts, False
    _worker["files"].write(Path(folder).name, key, Encoded(facts, parts[1], parts[2], parts[3]))
    return parts, True


def _job(catalog, rules: dict, limits: Limits, accounts: Accounts | None, files: FactsFiles | None = None) -> Job:
    return Job(_facts_in_worker, _init_worker, (catalog, rules, limits, accounts, files), limits.worker_memory_mib)


def gather_in_workers(reads: Iterable[ToMake], shared: tuple, workers: int, bar, chunk: int = 1,
                      ) -> Iterator[tuple[ToMake, Encoded, bool]]:
    """(each of READS, its facts and remembered raw facts encoded, whether its reading killed its process: its
    error row is then not cached, the next run tries it again), in READS' order, read in WORKERS processes as
    READS hands them out, CHUNK a task (chunk_for). SHARED: what every machine needs (the catalog, rules,
    limits, accounts, FactsFiles)."""
    handed: deque[ToMake] = deque()  # handed out, not yet back: results come in the order they were handed out

    def items() -> Iterator[tuple]:
        for one in reads:
            handed.append(one)
            yield str(one.folder), one.inputs, one.key

    for result, death in each_in_workers(_job(*shared), items(), workers, bar, _AHEAD, chunk):
        one = handed.popleft()
        yield (one, encode(_died(one.folder, death)), True) if death is not None else (one, decode(*result), False)


def read_alone(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None,
               inputs: MachineInputs | None = None) -> tuple[Encoded, bool]:
    """One machine in a process of its own: its facts and remembered raw facts (encoded), or an error row saying
    how the process died (and True)."""
    data, death = run_alone(_job(catalog, rules, limits, accounts), (str(folder), inputs))
    if death is None:
        return decode(*data), False
    return encode(_died(folder, death)), True


def _died(folder: Path, death: str) -> MachineFacts:
    """The error row of a machine whose reading killed the process that read it, alone."""
    return MachineFacts(machine=folder.name, error=f"{folder}: the process reading this machine died ({death}); "
                        "nothing of it was used, the other machines were read")
