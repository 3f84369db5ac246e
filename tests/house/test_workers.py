"""The project's one worker pool (hfstage.workers), on jobs of its own.

The inventory's pool became a generic one any stage can give a job and an initializer: what
every item needs goes to each worker once, results come back in the items' order however the
workers finish, a worker killed mid-item (a crash point: SIGKILL, as the OOM killer sends) costs
only the item whose job kills its process again when run alone, each worker's address space is
capped, and the pool never raises BrokenProcessPool.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfstage.workers import Job, each_in_workers, run_alone, run_in_workers

_state: dict = {}


def _load(base: int, pid_file: str) -> None:
    _state.update(base=base, loads=_state.get("loads", 0) + 1)
    with open(pid_file, "a") as fh:
        fh.write(f"{os.getpid()}\n")


def _add(n: int, delay: float = 0.0) -> tuple[int, int]:
    from hfstage.faults import crash_point

    crash_point(f"item:{n}")
    time.sleep(delay)
    return _state["base"] + n, _state["loads"]


def _allocate(mib: int) -> str:
    try:
        block = bytearray(mib * 1024 * 1024)
        return f"got {len(block) // (1024 * 1024)}"
    except MemoryError:
        return "MemoryError"


def _exit(code: int) -> None:
    os._exit(code)


class _Unsendable:
    """A result whose pickling runs out of memory, as a task's results do in a worker left at its cap."""

    def __reduce__(self):
        raise MemoryError


def _unsendable(n: int, culprit: int) -> object:
    return _Unsendable() if n == culprit else n


_held: list = []


def _careful(n: int, heavy: int) -> str:
    """A job that makes a MemoryError its item's row (as the inventory's does) unless the pool says it is not the
    item's own (workers.owns_its_memory); item HEAVY leaves 520 MiB held in its worker, each other item needs
    200 MiB."""
    from hfstage.workers import owns_its_memory

    try:
        if n == heavy:
            _held.append(bytearray(520 * 1024 * 1024))
            return "ok"
        return "ok" if bytearray(200 * 1024 * 1024) else "ok"
    except MemoryError:
        if not owns_its_memory():
            raise
        return "refused"


def _heavy_first(n: int, payload: bytes) -> str:
    """A job as careful as _careful: item 0 needs 560 MiB; each item carries PAYLOAD (200 MiB, its own copy)."""
    from hfstage.workers import owns_its_memory

    try:
        return "ok" if n or bytearray(560 * 1024 * 1024) else "ok"
    except MemoryError:
        if not owns_its_memory():
            raise
        return "refused"


def _starved(n: int, culprit: int) -> int:
    """A job whose item CULPRIT finds no memory where the job does not catch it (as a worker that an earlier item
    left at its cap)."""
    if n == culprit:
        raise MemoryError
    return n


class _Bar:
    def __init__(self):
        self.n = 0

    def update(self, n):
        self.n += n


def test_results_come_in_the_items_order_with_the_initializer_run_once_per_worker(tmp_path):
    pids = tmp_path / "pids"
    job = Job(_add, _load, (1000, str(pids)), memory_mib=1024)
    # early items are slow: they finish after later ones, and must still come first
    items = [(n, 0.3 if n < 2 else 0.0) for n in range(12)]
    bar = _Bar()
    results, deaths = run_in_workers(job, items, 2, bar)
    assert deaths == {}
    assert [r[0] for r in results] == [1000 + n for n in range(12)]
    assert all(loads == 1 for _, loads in results)  # the shared part came once per worker, not per item
    assert len(pids.read_text().split()) == 2
    assert bar.n == 12


@pytest.mark.parametrize("killed", [[3], [0, 1], [2, 5, 9]])
@pytest.mark.parametrize(("ahead", "chunk"), [(1, 1), (2, 3)])
@pytest.mark.parametrize("lazy", [False, True])
def test_a_worker_killed_mid_item_costs_that_item_only(tmp_path, monkeypatch, killed, ahead, chunk, lazy):
    """With several items a task (CHUNK) and several tasks a worker (AHEAD), every item in flight is a suspect:
    they run again one at a time, and only an item that kills a worker again is run alone and dead; also when
    the items come from a generator (LAZY: the pool holds the suspects itself, it cannot index the items)."""
    monkeypatch.setenv("HFSTAGE_TEST_KILL_AT", ",".join(f"item:{n}" for n in killed))
    bar = _Bar()
    items = ((n,) for n in range(12)) if lazy else [(n,) for n in range(12)]
    made = list(each_in_workers(Job(_add, _load, (0, str(tmp_path / "pids")), 1024), items, 2,
                                bar, ahead=ahead, chunk=chunk))
    assert [n for n, (_, death) in enumerate(made) if death is not None] == killed
    assert all(made[n][1].startswith("killed by SIGKILL") for n in killed)
    assert [result and result[0] for result, _ in made] == [None if n in killed else n for n in range(12)]
    assert bar.n == 12  # every item counted once, the dead ones too


@pytest.mark.parametrize(("ahead", "chunk"), [(1, 1), (2, 3)])
@pytest.mark.parametrize("job", [_starved, _unsendable])
def test_a_worker_out_of_memory_outside_its_job_s_care_costs_its_item_only(tmp_path, ahead, chunk, job):
    """A MemoryError that escapes a job (_starved), or strikes as the worker pickles the task's results after it
    (_unsendable), reached the run as the task's result and ended the month as an internal error (exit 70). The
    worker ends (or the task's items wait for the pass to end): every item in flight runs again one at a time,
    the culprit alone, and only its row says it ran out of memory."""
    made = list(each_in_workers(Job(job, _load, (0, str(tmp_path / "pids")), 1024),
                                [(n, 4) for n in range(12)], 2, ahead=ahead, chunk=chunk))
    assert made[4] == (None, "out of memory: [limits] worker_memory_mib is 1024 MiB")
    assert [result for result, _ in made] == [None if n == 4 else n for n in range(12)]


@pytest.mark.parametrize(("ahead", "chunk"), [(1, 1), (2, 3)])
def test_no_item_is_refused_for_the_memory_another_item_left_held(tmp_path, ahead, chunk):
    """A job's own MemoryError was its item's row, remembered as the machine's, though an earlier item of the same
    worker held the memory: in a pool it ends the worker and the items in flight run again; alone, it is the
    item's."""
    made = list(each_in_workers(Job(_careful, _load, (0, str(tmp_path / "pids")), 800),
                                [(n, 3) for n in range(8)], 2, ahead=ahead, chunk=chunk))
    assert made == [("ok", None)] * 8


def test_a_first_item_is_not_refused_for_the_memory_the_rest_of_its_task_holds(tmp_path):
    """A worker's first item owned its MemoryError though the other items of its task were in memory beside it
    (third cold review): item 0 fits its worker alone (a worker starts at some 135 MiB of address space: 135 +
    200 + 560 < 1,000), not beside another item's 200 MiB, and was refused. It owns its MemoryError only in a task
    of its own; in a larger task the worker ends and the items run again."""
    items = [(n, bytes(200 * 1024 * 1024)) for n in range(3)]
    job = Job(_heavy_first, _load, (0, str(tmp_path / "pids")), 1000)
    assert run_alone(job, items[0]) == ("ok", None)
    assert list(each_in_workers(job, items, 2, ahead=1, chunk=2)) == [("ok", None)] * 3


def test_a_result_that_cannot_be_sent_holds_back_no_other_item(tmp_path):
    """Its task's items ran again only once every item had been taken and run (each later result held until then,
    the caller writing nothing): now no item more is taken, and they run again as soon as those in flight end."""
    taken: list[int] = []

    def items():
        for n in range(200):
            taken.append(n)
            yield (n, 2)

    made = each_in_workers(Job(_unsendable, _load, (0, str(tmp_path / "pids")), 1024), items(), 2, ahead=2, chunk=3)
    seen = [len(taken) for _ in itertools.islice(made, 3)]
    assert seen[2] < 100
    assert len(list(made)) == 197


def test_each_worker_s_address_space_is_capped(tmp_path):
    job = Job(_allocate, _load, (0, str(tmp_path / "pids")), memory_mib=400)
    results, deaths = run_in_workers(job, [(50,), (800,)], 2)
    assert (results, deaths) == (["got 50", "MemoryError"], {})


def test_a_job_run_alone_reports_its_result_or_how_its_process_died(tmp_path):
    job = Job(_exit, _load, (0, str(tmp_path / "pids")), memory_mib=512)
    assert run_alone(job, (3,)) == (None, "exit code 3; [limits] worker_memory_mib is 512 MiB")
    assert run_alone(Job(_add, _load, (7, str(tmp_path / "pids"))), (1,)) == ((8, 1), None)


def test_items_are_taken_as_workers_come_free_not_all_before_the_first_result(tmp_path):
    """The report fed the pool a list of every machine's drawing (its stored assessment and page data), so all
    5,000 were alive before the first was drawn (peak RSS 289 -> 371 MiB). The pool now takes a generator's
    items as workers come free: when the first result comes back, not all of them have been taken."""
    taken: list[int] = []

    def items():
        for n in range(200):
            taken.append(n)
            yield (n,)

    made = each_in_workers(Job(_add, _load, (0, str(tmp_path / "pids")), 1024), items(), 2, ahead=2, chunk=3)
    first = next(made)
    assert first == ((0, 1), None)
    # not all taken before the first result (the old pool listed them all first); how many exactly depends on
    # which worker the machine's scheduler ran first (a finished later task frees its place), so no closer bound
    assert len(taken) < 200
    rest = list(made)
    assert [result[0] for result, _ in [first, *rest]] == list(range(200)) and len(taken) == 200


@pytest.mark.parametrize(("ahead", "chunk"), [(1, 1), (2, 3)])
def test_a_pool_a_death_broke_before_the_next_task_was_sent_loses_no_item(tmp_path, monkeypatch, ahead, chunk):
    """A proof run on a loaded host: a worker died after the pool's last look at its tasks and before the next
    was sent, and `submit` raised BrokenProcessPool out of the pool (the month would have stopped). The race is
    made here: the pool's first refill kills a worker and waits until the pool knows it. The task it was sending
    runs with the suspects; every item's result comes back, and nothing died."""
    import signal
    from concurrent.futures import ProcessPoolExecutor

    real, calls = ProcessPoolExecutor.submit, []

    def submit(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2 * ahead + 1:  # the first task sent after a result came back
            os.kill(next(iter(self._processes)), signal.SIGKILL)
            deadline = time.monotonic() + 120
            while not self._broken and time.monotonic() < deadline:
                time.sleep(0.01)  # until the pool has seen the death: what is waited for is that, not a time
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ProcessPoolExecutor, "submit", submit)
    made = list(each_in_workers(Job(_add, _load, (0, str(tmp_path / "pids")), 1024), ((n,) for n in range(30)), 2,
                                ahead=ahead, chunk=chunk))
    assert len(calls) > 2 * ahead
    assert made == [((n, 1), None) for n in range(30)]


def _burn(seconds: float) -> float:
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return seconds


def _seen(name: str) -> tuple[str | None, str]:
    return os.environ.get(name), os.getcwd()


def test_the_workers_cpu_is_counted_though_the_fork_server_is_their_parent(tmp_path):
    """Workers are forked by the fork server, so their CPU is not in this process's children's times (the month's
    per-step CPU missed it): cpu_seconds reads it from the server. Four items of 0.3 s of CPU each."""
    from hfstage.workers import cpu_seconds

    before = cpu_seconds()
    results, deaths = run_in_workers(Job(_burn, _load, (0, str(tmp_path / "pids")), 1024), [(0.3,)] * 4, 2)
    assert (results, deaths) == ([0.3] * 4, {})
    assert cpu_seconds() - before >= 1.1  # 1.2 s burnt in the workers, less a clock tick each


def test_a_worker_takes_the_run_s_environment_and_folder_when_it_starts(tmp_path, monkeypatch):
    """A spawned worker took the run's environment (site settings, the kill tests' crash points) and working
    folder; one forked from a fork server started earlier must too, not the server's."""
    job = Job(_seen, _load, (0, str(tmp_path / "pids")), 1024)
    run_in_workers(job, [("HFSTAGE_TEST_SEEN",)] * 2, 2)  # the fork server runs from here on
    monkeypatch.setenv("HFSTAGE_TEST_SEEN", "now")
    monkeypatch.chdir(tmp_path)
    assert run_in_workers(job, [("HFSTAGE_TEST_SEEN",)] * 2, 2)[0] == [("now", str(tmp_path))] * 2
    assert run_alone(job, ("HFSTAGE_TEST_SEEN",)) == (("now", str(tmp_path)), None)


def test_a_killed_run_leaves_no_worker_behind(tmp_path):
    """A month killed (SIGKILL: nothing of it runs again) leaves no worker and no fork server alive: they would
    hold memory and, as an orphan, keep reading a share the next run reads too."""
    import signal
    import subprocess
    import sys

    pids = tmp_path / "pids"
    script = (f"from hfstage.workers import Job, run_in_workers\n"
              f"from tests.house.test_workers import _load, _add\n"
              f"run_in_workers(Job(_add, _load, (0, {str(pids)!r})), [(n, 600.0) for n in range(2)], 2)\n")
    run = subprocess.Popen([sys.executable, "-c", script], cwd=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    try:
        deadline = time.monotonic() + 300
        while (not pids.exists() or len(pids.read_text().split()) < 2) and time.monotonic() < deadline:
            assert run.poll() is None, "the run ended before its workers started"
            time.sleep(0.05)
        workers = [int(pid) for pid in pids.read_text().split()]
        assert len(workers) == 2
        parents = {int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1]) for pid in workers}
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()
    deadline = time.monotonic() + 120
    alive = [*workers, *parents]
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        time.sleep(0.05)
    assert alive == []


class _Counted:
    """Shared data that counts how often this process pickles it."""

    pickled = 0

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __reduce__(self):
        _Counted.pickled += 1
        return _Counted, (self.folder,)


def _look(shared: _Counted) -> None:
    """In a worker, once: the files in the temporary folder the run shipped its shared data through, and modes."""
    _state["shipped"] = sorted((name, os.stat(os.path.join(shared.folder, name)).st_mode & 0o777)
                               for name in os.listdir(shared.folder))


def _shipped_files(n: int) -> list:
    return _state["shipped"]


def test_the_shared_data_is_pickled_once_into_a_private_file_not_into_each_worker_s_start(tmp_path, monkeypatch):
    """Handed to each worker with its start, the initializer's arguments crossed the fork server's pipe: the parent
    pickled them once per worker and waited for each worker to read them (the inventory's catalog, some 0.5 s)
    before it could start the next. They are pickled once per pool, into a file only this user reads (0600),
    which each worker loads and which is gone when the pool's items are done."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    monkeypatch.setattr(_Counted, "pickled", 0)
    results, deaths = run_in_workers(Job(_shipped_files, _look, (_Counted(str(folder)),)), [(n,) for n in range(8)],
                                     2)
    assert deaths == {} and _Counted.pickled == 1
    shipped = {file for seen in results for file in seen}
    assert len(shipped) == 1 and next(iter(shipped))[1] == 0o600
    assert os.listdir(folder) == []


def test_a_killed_run_s_shared_data_is_removed_by_the_next_pool(tmp_path, monkeypatch):
    """A run killed with SIGKILL runs no finally: its shared-data file stayed in the temporary folder for good,
    one per pool (the catalog, rules, bindings). The next pool removes this account's files whose run is gone, and
    leaves those of a run still alive."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(folder))
    killed = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                            text=True, check=True).stdout.strip()  # a process id that is gone
    left = folder / f"hfstage-pool-{killed}-abc123.pickle"
    alive = folder / f"hfstage-pool-{os.getppid()}-def456.pickle"
    other = folder / "hfstage-pool-notes.txt"
    for path in (left, alive, other):
        path.write_bytes(b"x")
    results, deaths = run_in_workers(Job(_shipped_files, _look, (_Counted(str(folder)),)), [(1,), (2,)], 2)
    assert deaths == {}
    assert sorted(os.listdir(folder)) == sorted([alive.name, other.name])


def _running(pid: int) -> bool:
    """Whether PID is a live process (a zombie, dead but not yet reaped by its parent, is not)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rpartition(")")[2].split()[0] != "Z"
    except FileNotFoundError:
        return False
