"""Running generated batch files in wine's cmd: one prefix per test module, scripts run by path.

Packages, qchain.exe and the reboot command are tests/data/stubs/hotfix_stub.exe (mingw-w64):
each call is appended to calls.log beside the stub, and the exit code comes from
<package>.rc beside it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA

WINE = Path("/usr/lib/wine/wine64")
STUB = DATA / "stubs" / "hotfix_stub.exe"
PACKAGES = DATA / "packages"  # the stub in each installer engine's shape (make_packages.sh)
needs_wine = pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed (Debian package wine64)")


def wine_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def make_prefix(prefix: Path, user_env: dict | None = None, run_as: list[str] | None = None) -> dict:
    """A wine prefix made ready, with the system32\\config folder a real Windows has (the scripts'
    rights check writes there). Returns the environment to run wine with."""
    env = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all", **(user_env or {})}
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


def windows_dir(env: dict) -> Path:
    return Path(env["WINEPREFIX"]) / "drive_c" / "windows"


def reset_client(env: dict) -> None:
    """Forget what earlier scripts left on the client (markers, lock, local copies)."""
    shutil.rmtree(windows_dir(env) / "hfstage", ignore_errors=True)


def wine(env: dict, *args: str, run_as: list[str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*(run_as or []), str(WINE), *args], env=env, check=check, capture_output=True,
                          timeout=300)


def run_batch(path: Path, env: dict, calls_log: Path, run_as: list[str] | None = None,
              extra_env: dict | None = None) -> list[str]:
    """Run a batch file in wine; return the stub calls it made (lines added to CALLS_LOG)."""
    before = calls_log.read_text().splitlines() if calls_log.exists() else []
    wine({**env, **(extra_env or {})}, "cmd", "/c", wine_path(path), run_as=run_as)
    after = calls_log.read_text().splitlines() if calls_log.exists() else []
    return after[len(before):]


def reg(env: dict, *args: str, check: bool = True) -> None:
    wine(env, "reg", *args, check=check)


def runnable_like(package: Path) -> Path:
    """The runnable stub with the engine shape of PACKAGE (an example package that only exits 0)."""
    from hfstage.packages import detect_engine, inspect_package

    engine = detect_engine(inspect_package(package.name, package.read_bytes(), None))
    return PACKAGES / f"{engine.name}.exe" if engine is not None else STUB
