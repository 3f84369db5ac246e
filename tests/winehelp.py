"""Running generated batch files in wine's cmd: a client of each test's own, a clock the test sets, and
failures that say what the script did.

Packages, qchain.exe and the reboot command are tests/data/stubs/hotfix_stub.exe (mingw-w64):
each call is appended to calls.log beside the stub, and the exit code comes from
<package>.rc beside it.

A client is a copy of one template prefix per session (wine's first start takes ~10 s, a copy
a fraction of one), so no test sees the markers, lock, registry keys or uninstall folders
another left. The scripts read `date /t` and `time /t` (the lock is per day, the maintenance
window by the hour), so a verdict must not change at 23:59 or 12:59: each wine process starts
at the time of day the test chose, by way of the time zone (TZ) it is given.
"""

from __future__ import annotations

import datetime
import os
import re
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DATA

WINE = Path("/usr/lib/wine/wine64")
WINESERVER = Path("/usr/lib/wine/wineserver64")
STUB = DATA / "stubs" / "hotfix_stub.exe"
PACKAGES = DATA / "packages"  # the stub in each installer engine's shape (make_packages.sh)
needs_wine = pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed (Debian package wine64)")
CLOCK = datetime.time(10, 15, 30)  # an ordinary morning; tests of the clock pass their own
_CLOCK_VAR = "HFSTAGE_TEST_CLOCK"  # the client's local time, read by wine() to set TZ for each process
_LINKED = 256 * 1024  # template files at least this big (PE images, NLS tables) are hard links in a client


def wine_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def make_prefix(prefix: Path, user_env: dict | None = None, run_as: list[str] | None = None) -> dict:
    """A wine prefix made ready, with the system32\\config folder a real Windows has (the scripts'
    rights check writes there). Returns the environment to run wine with, on the real clock: a prefix
    made under libfaketime's shifted file times would look out of date to every later run."""
    env = _real_clock({**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", **(user_env or {})})
    if WINE.exists():
        subprocess.run([*(run_as or []), str(WINE), "cmd", "/c", "echo ready"], env=env, capture_output=True,
                       timeout=300)
        config = prefix / "drive_c" / "windows" / "system32" / "config"
        config.mkdir(exist_ok=True)
        if run_as:
            shutil.chown(config, *_owner(prefix))
    return env


def _owner(path: Path) -> tuple[int, int]:
    st = path.stat()
    return st.st_uid, st.st_gid


def client(prefix: Path, factory: pytest.TempPathFactory, clock: datetime.time | None = CLOCK) -> dict:
    """A fresh client for one test at PREFIX whose wine processes start at CLOCK (None: the real clock).
    Returns the environment to run wine with."""
    _copy_prefix(_template(factory), prefix)
    return at_clock({**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all"}, clock)


def _template(factory: pytest.TempPathFactory) -> Path:
    """The session's template prefix, made once; copied only after its wineserver has saved the registry."""
    template = factory.getbasetemp() / "wine-template"
    if not (template / "ready").exists():
        shutil.rmtree(template, ignore_errors=True)
        env = make_prefix(template)
        subprocess.run([str(WINESERVER), "-w"], env=env, capture_output=True, timeout=300)
        (template / "ready").touch()
    return template


def _copy_prefix(template: Path, prefix: Path) -> None:
    """Small files (the registry, ini files) are copied; big ones, which wine only reads, are linked.
    Debian's wine keeps the name of its server's folder in the file `wineserver`: a copy starts its own."""
    def copy(src: str, dst: str) -> None:
        if Path(src).suffix != ".reg" and os.stat(src).st_size >= _LINKED:
            try:
                return os.link(src, dst)
            except OSError:  # another file system, or links refused: a copy will do
                pass
        shutil.copy2(src, dst)

    shutil.copytree(template, prefix, symlinks=True, copy_function=copy,
                    ignore=shutil.ignore_patterns("wineserver", "ready"))


def at_clock(env: dict, clock: datetime.time | None) -> dict:
    """ENV whose wine processes read CLOCK as the local time when they start, on the day nearest to now.

    Wine takes local time from TZ, to the second, up to 24:59:59 either side of UTC: the offset is measured
    again for each process (wine()), so every run of a test starts at CLOCK on the same day."""
    env = _real_clock(env)
    if clock is None:
        return env
    now = _utc_now()
    local = min((datetime.datetime.combine(now.date() + datetime.timedelta(days=d), clock) for d in (-1, 0, 1)),
                key=lambda t: abs(t - now))
    return _with_tz({**env, _CLOCK_VAR: local.isoformat()})


def clock_of(env: dict) -> datetime.datetime | None:
    """The local time ENV's wine processes start at (None: the real clock)."""
    return datetime.datetime.fromisoformat(env[_CLOCK_VAR]) if _CLOCK_VAR in env else None


def _with_tz(env: dict) -> dict:
    """ENV with TZ set so that local time is the client's clock now (POSIX: local = UTC - offset)."""
    local = clock_of(env)
    if local is None:
        return env
    seconds = round((_utc_now() - local).total_seconds())
    sign, seconds = ("+" if seconds >= 0 else "-"), abs(seconds)
    return {**env, "TZ": f"HFT{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"}


def _real_clock(env: dict) -> dict:
    """ENV without libfaketime (a test of the tests may run pytest under it) and without a clock of ours."""
    ours = (_CLOCK_VAR, "TZ") if _CLOCK_VAR in env else ()
    env = {k: v for k, v in env.items() if not k.startswith("FAKETIME") and k not in ours}
    preload = [p for p in env.pop("LD_PRELOAD", "").split() if "faketime" not in p]
    return {**env, "LD_PRELOAD": " ".join(preload)} if preload else env


def _utc_now() -> datetime.datetime:
    """The real time (naive UTC), which wine reads: asked of date(1) when this process runs under libfaketime."""
    if "faketime" not in os.environ.get("LD_PRELOAD", ""):
        return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    out = subprocess.run(["date", "-u", "+%s.%N"], env=_real_clock(dict(os.environ)), capture_output=True,
                         check=True, text=True).stdout
    return datetime.datetime.fromtimestamp(float(out), datetime.timezone.utc).replace(tzinfo=None)


def windows_dir(env: dict) -> Path:
    return Path(env["WINEPREFIX"]) / "drive_c" / "windows"


def reset_client(env: dict) -> None:
    """Forget what earlier scripts left on the client (markers, lock, local copies)."""
    shutil.rmtree(windows_dir(env) / "hfstage", ignore_errors=True)


class WineFailed(AssertionError):
    """A wine program or batch file exited non-zero; the message tells what it printed and did."""


class WineCouldNotStart(WineFailed):
    """Wine could not start a Windows program that is there: the host's fault, not the script's. On a loaded
    host, now and then (once in several thousand starts), wine's new process dies before it has started and
    CreateProcess fails with ERROR_INTERNAL_ERROR: cmd then says it cannot recognize the program (and a .bat file
    goes on without it), `start` says "ShellExecuteEx failed: Internal error". conftest.py runs such a test once
    more, from the start, on a new client and share; any other failure is the test's verdict."""


# cmd's words when CreateProcess fails, for a missing program and for one that would not start alike
_UNRECOGNIZED = re.compile(r"Can't recognize '(\"[^\"]*\"|\S+)")
# start's words when the program's process died before it started (a missing one is "File not found")
_START_DIED = "ShellExecuteEx failed: Internal error"


@dataclass
class BatchRun:
    """What one batch file did: its exit code and output, the stub calls, the results lines it wrote."""

    script: str
    code: int
    clock: datetime.datetime | None  # the local time it started at (None: the real clock)
    stdout: str
    stderr: str
    calls: list[str]
    results: list[str]

    def story(self) -> str:
        started = f"started at {self.clock:%Y-%m-%d %H:%M:%S}" if self.clock else "on the real clock"
        lines = [f"{self.script} ({started}): exit code {self.code}", f"  calls: {self.calls}", "  results written:"]
        lines += [f"    {ln}" for ln in self.results[-12:]] or ["    (none)"]
        for name, text in (("stdout", self.stdout), ("stderr", self.stderr)):
            tail = text.strip().splitlines()[-15:]
            lines += [f"  {name}:"] + [f"    {ln}" for ln in tail] if tail else [f"  {name}: (empty)"]
        return "\n".join(lines)


_RUNS: list[BatchRun] = []  # this test's batch runs, shown with any failure (conftest.py)


def forget_runs() -> None:
    _RUNS.clear()


def runs_story() -> str:
    return "\n".join(run.story() for run in _RUNS)


def wine(env: dict, *args: str, run_as: list[str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([*(run_as or []), str(WINE), *args], env=_with_tz(env), capture_output=True, timeout=300)
    check_started(env, args, proc)
    if check and proc.returncode != 0:
        raise WineFailed(f"wine {' '.join(args)}: exit code {proc.returncode}\n"
                         f"stdout: {_text(proc.stdout)[-2000:]}\nstderr: {_text(proc.stderr)[-2000:]}")
    return proc


def run_batch(path: Path, env: dict, calls_log: Path, run_as: list[str] | None = None,
              extra_env: dict | None = None, results: Path | None = None) -> list[str]:
    """Run a batch file in wine; return the stub calls it made (lines added to CALLS_LOG).

    RESULTS is where the script writes its HFRESULT lines (a folder of logs or one log; by default
    results\\ of the share whose hotfixes\\ holds CALLS_LOG): a failure quotes what it wrote there."""
    results = results if results is not None else calls_log.parent.parent / "results"
    before_calls, before_logs = _lines(calls_log), {log: len(_lines(log)) for log in _logs(results)}
    proc = wine({**env, **(extra_env or {})}, "cmd", "/c", wine_path(path), run_as=run_as, check=False)
    written = [ln for log in _logs(results) for ln in _lines(log)[before_logs.get(log, 0):]]
    run = BatchRun(path.name, proc.returncode, clock_of(env), _text(proc.stdout), _text(proc.stderr),
                   _lines(calls_log)[len(before_calls):], written)
    _RUNS.append(run)
    if proc.returncode != 0:
        raise WineFailed(run.story())
    return run.calls


def check_started(env: dict, args: tuple[str, ...], proc: subprocess.CompletedProcess) -> None:
    """Raise WineCouldNotStart when cmd says it could not recognize a program that exists and is a PE image, or
    start that the program's process died before it started."""
    said = _text(proc.stdout) + _text(proc.stderr)
    programs = [unix_path(env, m.group(1).strip('"')) for m in _UNRECOGNIZED.finditer(said)]
    started = [str(p) for p in programs if p is not None and is_windows_program(p)]
    if started or _START_DIED in said:
        what = f"could not start {', '.join(started)}, a Windows program that is there" if started else \
            "start: a program's process died before it started"
        raise WineCouldNotStart(f"wine {' '.join(args)}: {what}\nstdout: {_text(proc.stdout)[-2000:]}\n"
                                f"stderr: {_text(proc.stderr)[-2000:]}")


def unix_path(env: dict, path: str) -> Path | None:
    """Where a client's Z: or C: path is on this host (wine's names are case-insensitive), or None."""
    drive, _, rest = path.partition(":")
    roots = {"z": Path("/"), "c": Path(env["WINEPREFIX"]) / "drive_c"}
    here = roots.get(drive.lower()) if len(drive) == 1 else None
    for part in filter(None, rest.split("\\")):
        if here is None or not here.is_dir():
            return None
        exact = here / part
        here = exact if exact.exists() else next((p for p in here.iterdir() if p.name.lower() == part.lower()), None)
    return here


def is_windows_program(path: Path) -> bool:
    """An MZ header whose e_lfanew points at a PE signature."""
    try:
        with path.open("rb") as f:
            head = f.read(64)
            if len(head) < 64 or head[:2] != b"MZ":
                return False
            f.seek(struct.unpack_from("<I", head, 0x3C)[0])
            return f.read(4) == b"PE\0\0"
    except OSError:
        return False


def _logs(results: Path) -> list[Path]:
    return sorted(results.glob("*.log")) if results.is_dir() else [results]


def _lines(path: Path) -> list[str]:
    return _text(path.read_bytes()).splitlines() if path.is_file() else []


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")


def reg(env: dict, *args: str, check: bool = True) -> None:
    wine(env, "reg", *args, check=check)


def runnable_like(package: Path) -> Path:
    """The runnable stub with the engine shape of PACKAGE (an example package that only exits 0)."""
    from hfstage.packages import detect_engine, inspect_package

    engine = detect_engine(inspect_package(package.name, package.read_bytes(), None))
    return PACKAGES / f"{engine.name}.exe" if engine is not None else STUB
