"""The project's one worker pool: independent items run in spawned processes, and a worker's death costs only
the items it had in flight.

When a worker dies (the kernel's out-of-memory killer, a crash deep in a parser, a crash point) the items in
flight are the only suspects: they run again one at a time, and one whose job kills a worker again runs alone,
in a process of its own, and is reported dead, with how it died; the rest go on in a fresh pool. A run never
ends with BrokenProcessPool. Every worker caps its own address space (a job that outgrows it gets MemoryError,
which the job turns into its item's error; one that escapes the job ends the worker, a death like the rest) and
dies with its parent (a killed run leaves no orphans). Results come back in the items' order, whatever order
the workers finish in.

Usage: module-level functions (a spawned worker imports them by name); what every item needs is shipped once
per pool through the initializer (pickled once into a private file each worker loads), the item itself through
its job's arguments:

    _mine: dict = {}

    def _load(index, policy):                       # once in each worker
        _mine.update(index=index, policy=policy)

    def _assess_one(machine: str, facts: dict):     # once per item, in some worker
        crash_point(f"assess:{machine}")            # a test can kill the worker here
        return assess(facts, _mine["index"], _mine["policy"]).to_dict()

    job = Job(_assess_one, _load, (index, policy), memory_mib=limits.worker_memory_mib)
    results, deaths = run_in_workers(job, [(m, f) for m, f in machines], workers=2, bar=bar)
    # results[i]: item i's result, None where deaths[i] says how the process running it died
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import select
import signal
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from hfstage.faults import crash_point

MIB = 1024 * 1024
# Not fork: a worker forked from the run would inherit the share lock's descriptor and keep the lock held after
# a killed run, until the orphan exits. A fork server is a fresh interpreter started once per run with only its
# own pipes (multiprocessing starts it closing every other descriptor), that imports the stages a job runs once
# (PRELOAD) and forks each worker from there: spawn made every worker import hfstage anew, and the run's main
# script with it (some 0.6-0.9 s of CPU a worker, per pool; the parent waited on each worker's start in turn).
# Where the platform has no fork server (Windows), spawn.
_PRELOAD = ["__main__", "hfstage.workers", "hfstage.inventory", "hfstage.assess", "hfstage.history", "hfstage.report",
            "hfstage.scripts", "hfstage.pipeline"]


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def start_server() -> None:
    """Start the fork server now, where a pool will surely follow: it imports the stages (some 1 s), and started by
    the pool's first worker it made the run wait for that with nothing else to do; started here it imports them
    while the caller goes on (the inventory locating machines). Nothing to start where workers are spawned."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@dataclass(frozen=True)
class Job:
    """What a pool runs: RUN(*item) per item, after INITIALIZER(*INITARGS) once per process; each process's
    address space capped at MEMORY_MIB ([limits] worker_memory_mib)."""

    run: Callable[..., Any]
    initializer: Callable[..., None]
    initargs: tuple = ()
    memory_mib: int = 4096


def pool_size(count: int, jobs: int | None, threshold: int) -> int:
    """How many workers run COUNT items (0: this process): --jobs when given, else every CPU from THRESHOLD
    items on (below it a pool's start costs more than it saves), none with one CPU."""
    if jobs is not None:
        return jobs if jobs > 1 and count > 1 else 0
    cpus = os.cpu_count() or 1
    return cpus if cpus > 1 and count >= threshold else 0


def run_in_workers(job: Job, items: Iterable[tuple], workers: int, bar=None) -> tuple[list, dict[int, str]]:
    """(Each item's result, in ITEMS' order; {index: how the process running it died} for the items whose job
    killed its process even alone, whose result is None), run in WORKERS processes; BAR.update(1) per item."""
    out: list = []
    deaths: dict[int, str] = {}
    for index, (result, death) in enumerate(each_in_workers(job, items, workers, bar)):
        out.append(result)
        if death is not None:
            deaths[index] = death
    return out, deaths


def each_in_workers(job: Job, items: Iterable[tuple], workers: int, bar=None, ahead: int = 1,
                    chunk: int = 1) -> Iterator[tuple]:
    """(result, None) or (None, how the process running it died) for each item, in ITEMS' order, as soon as it and
    the items before it are done: a caller can write each away as it comes instead of holding them all.

    ITEMS is taken lazily, as workers come free: only the items in flight (and the suspects of a dead worker) are
    held here, so a generator of items keeps a bounded window of them alive, not all of them. AHEAD: tasks in
    flight per worker (more keeps a worker busy while the caller handles a result); CHUNK: items per task (fewer
    round trips for small jobs). When a worker dies, every item in flight is a suspect: they are run again one at
    a time per worker, and those that kill a worker again, alone."""
    waiting: dict[int, tuple] = {}
    following = 0
    with _shipped(job) as light:
        for index, result, death in _finished(light, enumerate(items), workers, ahead, chunk, bar):
            waiting[index] = (result, death)
            while following in waiting:
                yield waiting.pop(following)
                following += 1


@contextmanager
def _shipped(job: Job) -> Iterator[Job]:
    """JOB as its workers start it: its initializer and arguments pickled once, into a private temporary file
    (mkstemp: 0600) that lives for the with-block and that each worker loads itself. Handed to each worker with
    its start instead, they crossed the fork server's pipe, and the parent could start the next worker only once
    this one had read them (the inventory's catalog: some 0.5 s a worker): the workers started one after the
    other, and each start pickled them again."""
    _sweep_shipped()
    fd, name = tempfile.mkstemp(prefix=f"{_SHIPPED}{os.getpid()}-", suffix=".pickle")
    try:
        with os.fdopen(fd, "wb") as out:
            pickle.dump((job.initializer, job.initargs), out, protocol=pickle.HIGHEST_PROTOCOL)
        yield Job(job.run, _unship, (name,), job.memory_mib)
    finally:
        os.unlink(name)


_SHIPPED = "hfstage-pool-"  # what _shipped names its files with, before the run's process id


def _sweep_shipped() -> None:
    """Remove the files _shipped left when its run was killed (SIGKILL runs no finally): this account's, in the
    temporary folder, whose run's process is gone. Another account's are not ours to remove; a run whose process
    id was taken again is swept once that process is gone too. Not on Windows, where os.kill ends a process."""
    if os.name != "posix":
        return
    folder = tempfile.gettempdir()
    try:
        names = [n for n in os.listdir(folder) if n.startswith(_SHIPPED) and n.endswith(".pickle")]
    except OSError:
        return
    for name in names:
        pid = name[len(_SHIPPED):].split("-", 1)[0]
        path = os.path.join(folder, name)
        try:
            if not pid.isdigit() or os.lstat(path).st_uid != os.geteuid() or _alive(int(pid)):
                continue
            os.unlink(path)
        except OSError:
            continue  # gone meanwhile, or not ours to remove


def _alive(pid: int) -> bool:
    """Whether a process PID exists (one of another account's counts: it may be the run's)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _unship(name: str) -> None:
    """In a worker, once: the job's own initializer, with the arguments the run shipped (_shipped)."""
    with open(name, "rb") as fh:
        initializer, initargs = pickle.load(fh)
    initializer(*initargs)


def _finished(job: Job, todo: Iterator[tuple[int, tuple]], workers: int, ahead: int, chunk: int,
              bar) -> Iterator[tuple[int, Any, str | None]]:
    """(index, result, death) of the (index, item) pairs TODO gives, in the order they finish: a dead worker's
    suspects in a pool one at a time per worker, then (when one kills a worker again) each alone."""
    while (first := next(todo, None)) is not None:
        todo = itertools.chain([first], todo)
        suspects = yield from _pool_pass(job, todo, workers, ahead, chunk, bar)
        if ahead > 1 or chunk > 1:
            yield from _finished(job, iter(suspects), workers, 1, 1, bar)
            continue
        for index, item in suspects:
            result, death = run_alone(job, item)
            if bar is not None:
                bar.update(1)
            yield index, result, death


def _pool_pass(job: Job, todo: Iterator[tuple[int, tuple]], workers: int, ahead: int, chunk: int, bar,
               ) -> Generator[tuple, None, list[tuple[int, tuple]]]:
    """Take (index, item) pairs from TODO until it is exhausted or a worker dies, yielding (index, result, None)
    as each finishes; then return the pairs that were in flight (the suspects), in the items' order."""
    with ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start,
                             initargs=(_Parent.now(), job.memory_mib, job.initializer, job.initargs)) as pool:
        running: dict = {}
        unsent: list = []  # taken from TODO when the pool, broken by a worker's death, refused it: run with suspects
        again: list = []  # tasks whose results could not come back (their worker ran out of memory sending them):
        # no item more is taken; those in flight finish, and these run again at once, the rest in a fresh pool
        more = True
        while more or running:
            while more and not unsent and not again and len(running) < workers * ahead:
                task = list(itertools.islice(todo, chunk))
                more = len(task) == chunk
                if task:
                    try:
                        running[pool.submit(_run_task, job.run, [item for _, item in task])] = task
                    except BrokenProcessPool:  # a worker died since the last wait: its futures will say so
                        unsent = task
            if not running:
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            broken = False
            for future in finished:
                task = running.pop(future)
                try:
                    results = future.result()
                except BrokenProcessPool:
                    broken = True
                    running[future] = task  # suspects, with the others in flight
                    continue
                except MemoryError:  # the worker ran out pickling the task's results: suspects after this pass
                    again.append(task)
                    continue
                for (index, _), result in zip(task, results, strict=True):
                    if bar is not None:
                        bar.update(1)
                    crash_point("workers")
                    yield index, result, None
            if broken:
                return sorted((pair for task in [*running.values(), unsent, *again] for pair in task),
                              key=lambda pair: pair[0])
    return sorted((pair for task in [unsent, *again] for pair in task), key=lambda pair: pair[0])


def _run_task(run: Callable[..., Any], items: list[tuple]) -> list:
    """In a worker: RUN on each of ITEMS, in turn. A worker that ran out of its address space ends itself, as the
    out-of-memory killer would end it: a job catches its own MemoryError, but one item's can leave the worker
    unable to go on with the next of its task, whose MemoryError would reach the run as the task's result; as a
    death, every item in flight is read again one at a time (and alone), and only the culprit is its row."""
    _WORKER[2] = len(items)
    try:
        return [_begun(run, item) for item in items]
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)


def _begun(run: Callable[..., Any], item: tuple) -> Any:
    _WORKER[1] += 1
    return run(*item)


_OUT_OF_MEMORY = 75  # a worker's exit code when it ended itself for want of memory (_run_task)
# this process's part: [a pool worker (set by _start), items it has begun, items in its current task (both
# _run_task)]; a process run alone is no pool worker (_alone), nor is the run's own
_WORKER = [False, 0, 0]


def owns_its_memory() -> bool:
    """Whether a MemoryError met here is the current item's own, to be made its row: in the run's own process, in
    a process running one item alone, and in a pool worker's first item when its task holds it alone (a fresh
    worker is then as a process alone). A later item of a pool worker may meet what earlier items left held, and
    a first item what the rest of its task holds (unpickled with it: 8 machines' inputs in the inventory, 32
    machines' facts in the scan): its job re-raises it instead, the worker ends (_run_task) and every item in
    flight runs again, one at a time, then alone."""
    return not _WORKER[0] or (_WORKER[1] <= 1 and _WORKER[2] <= 1)


def run_alone(job: Job, item: tuple) -> tuple[Any, str | None]:
    """(ITEM's result, None) from a process of its own, or (None, how that process died)."""
    context = _context()
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_alone, args=(_Parent.now(), job, item, send), daemon=True)
    process.start()
    send.close()
    try:
        data = (receive.recv(),)
    except EOFError:
        data = None
    process.join()
    if data is not None:
        return data[0], None
    return None, _death(process.exitcode, job.memory_mib)


def _alone(parent: _Parent, job: Job, item: tuple, conn) -> None:
    _start(parent, job.memory_mib, job.initializer, job.initargs)
    _WORKER[0] = False  # one item alone: its MemoryError is its own
    result = _run_task(job.run, [item])[0]
    try:
        conn.send(result)
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)
    conn.close()


@dataclass(frozen=True)
class _Parent:
    """The run that started a worker, as the worker must know it: a spawned worker took the run's environment
    (site settings, crash points of the kill tests) and working folder, and was the run's child; one forked by
    the fork server (started earlier, maybe by another caller) takes them from here, and is the server's child."""

    environ: dict[str, str]
    cwd: str
    pid: int

    @classmethod
    def now(cls) -> _Parent:
        return cls(dict(os.environ), os.getcwd(), os.getpid())

    def enter(self) -> None:
        if os.environ != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        os.chdir(self.cwd)

    def watch(self) -> None:
        """The worker dies with the run: PR_SET_PDEATHSIG ties a worker to the process that forked it, the fork
        server, which lives as long as any worker does (each holds its end of the server's alive pipe). A
        thread waits on the run's pidfd (Linux 5.3) and kills this process when the run ends."""
        if os.getppid() == self.pid or not hasattr(os, "pidfd_open"):
            return  # spawned: the run's own child, prctl ties it (or a platform with neither)
        try:
            fd = os.pidfd_open(self.pid)
        except ProcessLookupError:  # the run has ended already
            os._exit(1)
        except OSError:  # a kernel before pidfds (5.3): the worker outlives a killed run until its item ends
            return
        threading.Thread(target=_die_after, args=(fd,), daemon=True, name="hfstage-run-watch").start()


def _die_after(fd: int) -> None:
    """Block until the process FD (a pidfd) names ends, then end this one as the kernel would (SIGKILL)."""
    select.select([fd], [], [])
    os.kill(os.getpid(), signal.SIGKILL)


def _start(parent: _Parent, memory_mib: int, initializer: Callable[..., None], initargs: tuple) -> None:
    """A worker's first act: die with the run (its parent, or the fork server and the run), take the run's
    environment, cap the address space, then the job's own initializer."""
    _WORKER[0] = True
    _die_with_parent()
    parent.watch()
    parent.enter()
    _cap_memory(memory_mib)
    initializer(*initargs)


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


def _cap_memory(memory_mib: int) -> None:
    """The worker's address space capped: a job that outgrows it gets MemoryError, not the OOM killer."""
    try:
        import resource
    except ImportError:  # Windows server: no RLIMIT_AS; the jobs' explicit counts still bound each parser
        return
    cap = memory_mib * MIB
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def cpu_seconds() -> float:
    """User + system CPU of this process and of every process it started, ended or not: a worker forked by the
    fork server is the server's child, not this process's, so its CPU is in the server's children's times
    (read from /proc on Linux; elsewhere the workers are spawned, this process's own children)."""
    t = os.times()
    total = t.user + t.system + t.children_user + t.children_system
    return total + sum(_proc_cpu(pid) for pid in _live_children())


def _live_children() -> list[int]:
    """This process's children still running (the fork server among them), from /proc (none elsewhere)."""
    pids: list[int] = []
    try:
        tasks = os.listdir("/proc/self/task")
    except OSError:
        return pids
    for task in tasks:
        try:
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                pids += [int(pid) for pid in fh.read().split()]
        except (OSError, ValueError):
            continue
    return pids


def _proc_cpu(pid: int) -> float:
    """A live process's CPU and its ended children's (utime, stime, cutime, cstime of /proc/PID/stat), seconds."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def _death(code: int | None, memory_mib: int) -> str:
    """How a process died, in words for an error row."""
    if code is not None and code < 0:
        name = signal.Signals(-code).name if -code in signal.valid_signals() else f"signal {-code}"
        why = " (the kernel's out-of-memory killer, or a crash in a parser)" if -code == signal.SIGKILL else ""
        return f"killed by {name}{why}"
    if code == _OUT_OF_MEMORY:
        return f"out of memory: [limits] worker_memory_mib is {memory_mib} MiB"
    return f"exit code {code}; [limits] worker_memory_mib is {memory_mib} MiB"
