"""Running generated batch files in wine's cmd: a client of each test's own, a fixed clock, and failures
that say what the script did.

Packages, qchain.exe and the reboot command are tests/data/stubs/hotfix_stub.exe (mingw-w64):
each call is appended to calls.log beside the stub, and the exit code comes from
<package>.rc beside it.

A client is a copy of one template prefix per session (wine's first start takes ~10 s, a copy
a fraction of one), so no test sees the markers, lock, registry keys or uninstall folders
another left. Its clock is fixed with libfaketime (Debian package faketime): the scripts read
`date /t` and `time /t` (the lock is per day, the maintenance window by the hour), and a
verdict must not change at 23:59 or 12:59.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DATA

WINE = Path("/usr/lib/wine/wine64")
WINESERVER = Path("/usr/lib/wine/wineserver64")
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")
STUB = DATA / "stubs" / "hotfix_stub.exe"
PACKAGES = DATA / "packages"  # the stub in each installer engine's shape (make_packages.sh)
needs_wine = pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed (Debian package wine64)")
needs_clock = pytest.mark.skipif(not FAKETIME.exists(), reason="libfaketime not installed (Debian package faketime)")
# an ordinary weekday morning; tests of the clock itself pass their own
CLOCK = datetime.datetime(2026, 3, 4, 10, 15, 30)
_LINKED = 256 * 1024  # template files at least this big (PE images, NLS tables) are hard links in a client


def wine_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def make_prefix(prefix: Path, user_env: dict | None = None, run_as: list[str] | None = None) -> dict:
    """A wine prefix made ready, with the system32\\config folder a real Windows has (the scripts'
    rights check writes there). Returns the environment to run wine with, on the wall clock: a prefix
    made under libfaketime's shifted file times would look out of date to every later run."""
    env = at_clock({**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", **(user_env or {})}, None)
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


def client(prefix: Path, factory: pytest.TempPathFactory, clock: datetime.datetime | None = CLOCK) -> dict:
    """A fresh client for one test at PREFIX, its clock stopped at CLOCK when each wine process starts
    (None: the wall clock). Returns the environment to run wine with."""
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
        if Path(src).suffix == ".reg" or os.stat(src).st_size < _LINKED:
            shutil.copy2(src, dst)
        else:
            os.link(src, dst)

    shutil.copytree(template, prefix, symlinks=True, copy_function=copy,
                    ignore=shutil.ignore_patterns("wineserver", "ready"))


def at_clock(env: dict, clock: datetime.datetime | None) -> dict:
    """ENV with wine's clock set to CLOCK by libfaketime at each process start (timers keep the real
    monotonic clock; file times are not shifted, or wine would think its prefix out of date)."""
    env = {k: v for k, v in env.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.pop("LD_PRELOAD", "").split() if "faketime" not in p]
    if clock is None:
        return {**env, "LD_PRELOAD": " ".join(preload)} if preload else env
    if not FAKETIME.exists():
        pytest.skip("libfaketime not installed (Debian package faketime): the scripts' clock cannot be fixed")
    return {**env, "LD_PRELOAD": " ".join([str(FAKETIME), *preload]), "FAKETIME": f"@{clock:%Y-%m-%d %H:%M:%S}",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1", "NO_FAKE_STAT": "1"}


def windows_dir(env: dict) -> Path:
    return Path(env["WINEPREFIX"]) / "drive_c" / "windows"


def reset_client(env: dict) -> None:
    """Forget what earlier scripts left on the client (markers, lock, local copies)."""
    shutil.rmtree(windows_dir(env) / "hfstage", ignore_errors=True)


class WineFailed(AssertionError):
    """A wine program or batch file exited non-zero; the message tells what it printed and did."""


@dataclass
class BatchRun:
    """What one batch file did: its exit code and output, the stub calls, the results lines it wrote."""

    script: str
    code: int
    stdout: str
    stderr: str
    calls: list[str]
    results: list[str]

    def story(self) -> str:
        lines = [f"{self.script}: exit code {self.code}", f"  calls: {self.calls}", "  results written:"]
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
    proc = subprocess.run([*(run_as or []), str(WINE), *args], env=env, capture_output=True, timeout=300)
    if check and proc.returncode != 0:
        raise WineFailed(f"wine {' '.join(args)}: exit code {proc.returncode}\n"
                         f"stdout: {_text(proc.stdout)[-2000:]}\nstderr: {_text(proc.stderr)[-2000:]}")
    return proc


def run_batch(path: Path, env: dict, calls_log: Path, run_as: list[str] | None = None,
              extra_env: dict | None = None, results: Path | None = None) -> list[str]:
    """Run a batch file in wine; return the stub calls it made (lines added to CALLS_LOG).

    RESULTS is where the script writes its HFRESULT lines (a folder of logs or one log; by default
    results\\ of the share whose hotfixes\\ holds CALLS_LOG): a failure quotes what it wrote there."""
    logs = _logs(results if results is not None else calls_log.parent.parent / "results")
    before_calls, before_logs = _lines(calls_log), {log: len(_lines(log)) for log in logs}
    proc = wine({**env, **(extra_env or {})}, "cmd", "/c", wine_path(path), run_as=run_as, check=False)
    written = [ln for log in _logs(results if results is not None else calls_log.parent.parent / "results")
               for ln in _lines(log)[before_logs.get(log, 0):]]
    run = BatchRun(path.name, proc.returncode, _text(proc.stdout), _text(proc.stderr),
                   _lines(calls_log)[len(before_calls):], written)
    _RUNS.append(run)
    if proc.returncode != 0:
        raise WineFailed(run.story())
    return run.calls


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
