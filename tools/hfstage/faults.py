"""Crash points for the kill tests: a test sets an environment variable and the run dies there,
as a power cut or `kill -9` would. Never set in production; each check is one dictionary look-up.

  HFSTAGE_TEST_KILL_AT=step:N         when step N of `month` begins
  HFSTAGE_TEST_KILL_AT=workers        while a worker pool (hfstage.workers: the inventory's, the scan's) runs
  HFSTAGE_TEST_KILL_AT=machine:M      in the inventory's worker process, as it begins to read machine M
  HFSTAGE_TEST_KILL_AT=assess:M       in the scan's worker process, as it begins to assess machine M
Several points may be given, separated by commas (machine:A,machine:B).
  HFSTAGE_TEST_KILL_AT=write:N        before the rename of the Nth atomic write (mid-write)
  HFSTAGE_TEST_INTERRUPT_AT=write:N   there, a SIGINT instead (what Ctrl-C sends): the run goes on to
                                      its own handling, as an admin's Ctrl-C would make it

Interrupt points for the Ctrl-C tests: the run sends itself SIGINT, as Ctrl-C at a terminal does.
  HFSTAGE_TEST_INTERRUPT_AT=step:N              when step N of `month` begins
  HFSTAGE_TEST_INTERRUPT_AT=progress:DESC:N     when the step DESC (inventory, scan ...) has done N items
"""

from __future__ import annotations

import os
import signal

VARIABLE = "HFSTAGE_TEST_KILL_AT"
INTERRUPT = "HFSTAGE_TEST_INTERRUPT_AT"
_writes = 0


def crash_point(name: str) -> None:
    if name in os.environ.get(VARIABLE, "").split(","):
        os.kill(os.getpid(), signal.SIGKILL)
    interrupt_point(name)


def interrupt_point(name: str) -> None:
    if name in os.environ.get(INTERRUPT, "").split(","):
        os.kill(os.getpid(), signal.SIGINT)


def write_point() -> None:
    global _writes
    kill, interrupt = os.environ.get(VARIABLE, ""), os.environ.get(INTERRUPT, "")
    if kill.startswith("write:") or interrupt.startswith("write:"):
        _writes += 1
        if kill.startswith("write:") and _writes == int(kill[6:]):
            os.kill(os.getpid(), signal.SIGKILL)
        if interrupt.startswith("write:") and _writes == int(interrupt[6:]):
            os.kill(os.getpid(), signal.SIGINT)
