"""How the month uses Python's cyclic garbage collector, and what it costs.

The month keeps the catalog, its index, the policy and then thousands of assessments alive for the whole
run; with the interpreter's defaults every full collection walks all of them again, and a young collection
runs every 700 allocations (at 1,000 machines a fifth of the scripts and reports steps). So, for the month
only: what is alive at the end of a step is collected once and frozen (later collections do not walk it),
and young collections run less often. Memory stays bounded: a step's garbage is collected before the
freeze, and unfreeze at the end gives everything back to the collector. The process leaves as it came in.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Young collections every 500,000 net allocations, not 700: each step's cycles still go at its end (settle).
# Most of a step's objects die by their reference counts, never by a collection; a collection only walks what is
# still alive, and the scripts step keeps a chunk of 500 assessments alive (some 100,000 objects) while it plans
# them: at 50,000, 14 young collections walked them in 0.85 s of the step's 8 s (5,000 machines), at 500,000 none
# ran before the step's end, and the inventory's six (0.22 s) none either.
MONTH_THRESHOLDS = (500_000, 20, 20)


class CollectorMeter:
    """CPU seconds spent in the collector while it is attached (gc.callbacks), for each step's record: CPU,
    not wall, time, so a busy host's other work is not counted as collecting."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start


class MonthCollector:
    """The month's collector policy; `settle` ends each step."""

    def __init__(self, meter: CollectorMeter, freezes: bool) -> None:
        self.meter, self._freezes = meter, freezes

    def settle(self) -> None:
        """The step's garbage collected; what outlives it frozen, so no later collection walks it again."""
        if self._freezes:
            gc.collect()
            gc.freeze()


@contextmanager
def month_collector() -> Iterator[MonthCollector]:
    """The month's collector policy for the with-block; thresholds and frozen objects as they were after it,
    also when a step raises. Objects someone else froze stay frozen: then the month freezes nothing."""
    saved, meter = gc.get_threshold(), CollectorMeter()
    freezes = gc.get_freeze_count() == 0 and gc.isenabled()
    gc.callbacks.append(meter)
    gc.set_threshold(*MONTH_THRESHOLDS)
    try:
        yield MonthCollector(meter, freezes)
    finally:
        if freezes:
            gc.unfreeze()
        gc.set_threshold(*saved)
        gc.callbacks.remove(meter)
