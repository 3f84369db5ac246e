"""Timing helpers the benchmarks share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def runs(fn: Callable[[], object], count: int) -> list[float]:
    """Wall seconds of COUNT calls of FN."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def median(fn: Callable[[], object], count: int) -> float:
    return statistics.median(runs(fn, count))


def best(fn: Callable[[], object], count: int) -> float:
    return min(runs(fn, count))


def reference_loop(count: int = 3) -> float:
    """The best of COUNT runs of one fixed pure-Python loop (ten million additions), in wall seconds: how fast
    the host runs Python right now, printed beside a benchmark's seconds so that two days or two hosts compare
    (the same code measured 0.9 s on an idle host and 2.0 s on the same host busy elsewhere)."""
    def loop() -> int:
        total = 0
        for i in range(10_000_000):
            total += i
        return total
    return best(loop, count)
