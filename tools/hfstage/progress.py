"""Progress of the steps that take long on a large site, for whoever is watching.

On a terminal, a tqdm bar. Anywhere else (a scheduled job writing to a log) one line every few seconds,
"inventory: 1,200/5,000 machines (24%)", so a log shows a run that is working and how far it got, and a
step that is over before the first interval writes nothing at all. HFSTAGE_PROGRESS_SECONDS sets the
interval (0: a line at every item, for tests and for following a run closely).

The step running now is remembered, so an interrupted run can say where it was (`interrupted`).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

from hfstage.faults import INTERRUPT, interrupt_point

INTERVAL = 5.0  # seconds between two lines when not on a terminal
VARIABLE = "HFSTAGE_PROGRESS_SECONDS"
_running: list[Progress] = []
_stopped: list[str] = []  # where the step an interrupt (Ctrl-C) stopped was


def interval() -> float:
    """Seconds between two progress lines off a terminal: HFSTAGE_PROGRESS_SECONDS, else INTERVAL."""
    try:
        return max(0.0, float(os.environ.get(VARIABLE, INTERVAL)))
    except ValueError:
        return INTERVAL


class Progress:
    """TOTAL items (UNIT, e.g. "machine") of the step DESC: a bar on a terminal, a line every EVERY seconds of
    CLOCK otherwise. A context manager; update() after each item or batch of items."""

    def __init__(self, desc: str, total: int, unit: str, *, stream: TextIO | None = None, tty: bool | None = None,
                 every: float | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.desc, self.total, self.unit, self.done = desc, total, unit, 0
        self.stream = stream if stream is not None else sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.every = interval() if every is None else every
        self.clock = clock
        self.last = clock()
        self.faults = os.environ.get(INTERRUPT, "")  # the Ctrl-C tests' interrupt points
        self.bar = None
        if self.tty and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, desc=desc, file=self.stream, leave=False)

    def __enter__(self) -> Progress:
        _running.append(self)
        return self

    def __exit__(self, kind, *exc) -> None:
        if kind is not None and issubclass(kind, KeyboardInterrupt) and not _stopped:
            _stopped.append(self.line())  # the innermost step: the one that was working
        self.close()

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.faults:
            interrupt_point(f"progress:{self.desc}:{self.done}")
        if self.bar is not None:
            self.bar.update(n)
            return
        now = self.clock()
        if self.total and now - self.last >= self.every:
            self.last = now
            self.stream.write(self.line() + "\n")
            self.stream.flush()

    def line(self) -> str:
        share = f" ({100 * self.done // self.total}%)" if self.total else ""
        return f"{self.desc}: {self.done:,}/{self.total:,} {self.unit}s{share}"

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        if self in _running:
            _running.remove(self)


def interrupted() -> str | None:
    """Where the step an interrupt stopped was, "inventory: 1,200/5,000 machines (24%)", or None."""
    if _stopped:
        return _stopped[0]
    return _running[-1].line() if _running else None
