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
