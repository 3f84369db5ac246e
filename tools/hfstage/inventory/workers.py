"""Machines read in worker processes, each within an address-space cap; a worker's death costs one machine.

A worker reads one machine at a time (at most one in flight per worker), so when a worker
dies (killed for memory, a crash deep in a parser) the machines in flight are the only
suspects: each is read again alone, in a process of its own, and the one whose reading
kills that process too becomes an error row naming how it died. The rest go on in a fresh
pool. The month never ends with BrokenProcessPool.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from hfstage.errors import HfstageError
from hfstage.faults import crash_point
from hfstage.inventory.binding import Accounts
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.gather import MachineInputs, read_raw
from hfstage.inventory.limits import MIB, Limits
from hfstage.inventory.raw import project

_worker: dict = {}
# spawn, not fork: a forked worker would inherit the share lock's descriptor and keep
# the lock held after a killed run, until the orphan exits.
_CONTEXT = "spawn"


def safe_gather(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None) -> MachineFacts:
    """Facts, or an error row naming the machine: one bad machine never stops the rest."""
    return safe_read(folder, catalog, rules, limits, accounts)[0]


def safe_read(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None,
              asks: CatalogAsks | None = None, inputs: MachineInputs | None = None) -> tuple[MachineFacts, dict | None]:
    """(facts or an error row, what is remembered of the machine's raw facts for the next catalog or None);
    ASKS: CatalogAsks.of(CATALOG), worked out once for many machines; INPUTS: the folder as the run found it
    (locate_inputs, the listing its key was made from), not found again."""
    try:
        raw = read_raw(folder, rules, inputs=inputs, limits=limits, on_share=True, accounts=accounts)
        return project(raw, catalog, rules, asks), _remembered(raw, catalog, asks)
    except HfstageError as e:
        return MachineFacts(machine=folder.name, error=str(e)), None
    except MemoryError:
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


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the run that started it dies (a killed month leaves no orphans)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _cap_memory(limits: Limits) -> None:
    """The worker's address space capped: a machine whose parsing outgrows it gets MemoryError, not the OOM killer."""
    try:
        import resource
    except ImportError:  # Windows server: no RLIMIT_AS; the explicit counts still bound each parser
        return
    cap = limits.worker_memory_mib * MIB
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def _init_worker(catalog, rules: dict, limits: Limits, accounts: Accounts | None = None) -> None:
    _die_with_parent()
    _cap_memory(limits)
    _worker.update(catalog=catalog, rules=rules, limits=limits, accounts=accounts,
                   asks=CatalogAsks.of(catalog) if catalog is not None else None)


def _facts_in_worker(folder: str, inputs: MachineInputs | None = None) -> tuple[dict, dict | None]:
    crash_point(f"machine:{Path(folder).name}")
    facts, raw = safe_read(Path(folder), _worker["catalog"], _worker["rules"], _worker["limits"], _worker["accounts"],
                           _worker["asks"], inputs)
    return facts.to_dict(), raw


def _alone(folder: str, catalog, rules: dict, limits: Limits, accounts: Accounts | None, conn,
           inputs: MachineInputs | None = None) -> None:
    _init_worker(catalog, rules, limits, accounts)
    conn.send(_facts_in_worker(folder, inputs))
    conn.close()


def gather_in_workers(folders: list[Path], catalog, rules: dict, limits: Limits, workers: int, bar,
                      accounts: Accounts | None = None, inputs: list[MachineInputs | None] | None = None,
                      ) -> tuple[list[tuple[MachineFacts, dict | None]], set[str]]:
    """(Facts, remembered raw facts) of every folder (INPUTS: each as locate_inputs found it, or None), in WORKERS
    processes, and the machines whose reading killed its process (their error rows are not cached: the next run
    tries them again)."""
    out: list[tuple[MachineFacts, dict | None] | None] = [None] * len(folders)
    died: set[str] = set()
    todo = deque(range(len(folders)))
    found = inputs or [None] * len(folders)
    while todo:
        for index in _pool_pass(folders, found, todo, out, (catalog, rules, limits, accounts), workers, bar):
            facts, death = read_alone(folders[index], catalog, rules, limits, accounts, found[index])
            out[index] = facts if not death else (facts[0], None)
            if death:
                died.add(folders[index].name)
            bar.update(1)
    return [facts for facts in out if facts is not None], died


def _pool_pass(folders, found: list, todo: deque, out: list, initargs: tuple, workers: int, bar) -> list[int]:
    """Take machines from the queue `todo` until it is empty or a worker dies; then the machines that were in
    flight (the suspects)."""
    context = multiprocessing.get_context(_CONTEXT)
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=initargs) as pool:
        running: dict = {}
        while todo or running:
            while todo and len(running) < workers:
                index = todo.popleft()
                running[pool.submit(_facts_in_worker, str(folders[index]), found[index])] = index
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                index = running.pop(future)
                try:
                    facts, raw = future.result()
                    out[index] = MachineFacts.from_dict(facts), raw
                except BrokenProcessPool:
                    broken = True
                    running[future] = index  # a suspect, with the others in flight
                    continue
                bar.update(1)
                crash_point("workers")
            if broken:
                return sorted(running.values())
    return []


def read_alone(folder: Path, catalog, rules: dict, limits: Limits, accounts: Accounts | None = None,
               inputs: MachineInputs | None = None) -> tuple[tuple[MachineFacts, dict | None], bool]:
    """One machine in a process of its own: its facts and remembered raw facts, or an error row saying how the
    process died (and True)."""
    context = multiprocessing.get_context(_CONTEXT)
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_alone, args=(str(folder), catalog, rules, limits, accounts, send, inputs),
                              daemon=True)
    process.start()
    send.close()
    try:
        data = receive.recv()
    except EOFError:
        data = None
    process.join()
    if data is not None:
        return (MachineFacts.from_dict(data[0]), data[1]), False
    return (MachineFacts(machine=folder.name, error=f"{folder}: the process reading this machine died "
                         f"({_death(process.exitcode, limits)}); nothing of it was used, the other machines were "
                         "read"), None), True


def _death(code: int | None, limits: Limits) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
        why = " (the kernel's out-of-memory killer, or a crash in a parser)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{why}"
    return f"exit code {code}; [limits] worker_memory_mib is {limits.worker_memory_mib} MiB"
