"""The share's run lock (state\\hfstage.lock): one hfstage run at a time writes the share.

An advisory lock on an open file: the kernel drops it when the process dies, however it
dies, so a killed run never leaves the share locked. Re-entrant within one process, so
`month` can hold it around steps that take it themselves.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from hfstage.errors import LockedError, os_fault
from hfstage.share.files import open_private

_HELD: dict[str, int] = {}  # lock files this process holds, and how deep
WAIT = {"seconds": 60.0}  # how long a run waits for another to finish (`hfstage --wait`)


@contextlib.contextmanager
def share_lock(path: Path, wait_seconds: float | None = None) -> Iterator[None]:
    """Hold the lock file PATH; wait up to WAIT_SECONDS (default: WAIT), then fail clearly."""
    if wait_seconds is None:
        wait_seconds = WAIT["seconds"]
    key = str(Path(path).resolve())
    if _HELD.get(key):
        _HELD[key] += 1
        try:
            yield
        finally:
            _HELD[key] -= 1
        return
    try:
        fh = open_private(path, "a+")  # held open for the whole block
    except OSError as e:
        raise os_fault(path, e, "open the share lock") from e
    with fh:
        deadline = time.monotonic() + wait_seconds
        while not _try_lock(fh):
            if time.monotonic() >= deadline:
                fh.seek(0)
                holder = fh.read().strip() or "unknown"
                raise LockedError(f"{path}: another hfstage run holds the share lock ({holder}); "
                                  "wait for it to finish and try again")
            time.sleep(0.2)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        _HELD[key] = 1
        try:
            yield
        finally:
            _HELD.pop(key, None)
            fh.seek(0)
            fh.truncate()
            _unlock(fh)


def lock_holder(path: Path) -> str | None:
    """Who holds the lock file PATH now ("pid 123 since ..."), or None: free, or held by this process."""
    if _HELD.get(str(Path(path).resolve())) or not Path(path).is_file():
        return None
    try:
        fh = open_private(path, "a+")
    except OSError:
        return None
    with fh:
        if _try_lock(fh):
            _unlock(fh)
            return None
        fh.seek(0)
        return fh.read().strip() or "another hfstage run"


def _try_lock(fh) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows server
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def set_wait(seconds: float) -> None:
    """How long every later lock waits for another run (the CLI's --wait)."""
    WAIT["seconds"] = max(0.0, float(seconds))
