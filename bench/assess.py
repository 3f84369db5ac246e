"""Benchmark: assess 2,000 machines against the real 2001 catalog, facts already cached
(target: 5 ms or less per machine on one core, and at most 10x decoding its cached facts).

Facts come from the scan and inventory fixtures (NT 4.0, 2000 with IIS, XP, 9x), copied
under 2,000 names. The reference measured in the same run is decoding the same facts
from their JSON cache form, which every scan also pays.
Usage: python bench/assess.py [N]
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path

from hfstage.assess import SitePolicy, assess_all
from hfstage.catalog import parse_catalog_file
from hfstage.inventory import MachineFacts, gather_facts

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml"
SOURCES = [REPO / "tests" / "data" / "scan-inventory" / m for m in ("SCAN-NT4", "SCAN-W2K")] + [
    REPO / "tests" / "data" / "inventory" / m for m in ("NT4WKS", "W2KSRV", "XPSP1", "DC01", "W98", "WME")]


class _Collections:
    """CPU seconds Python's cyclic garbage collector has spent since this was made (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds, self._start = 0.0, 0.0
        gc.callbacks.append(self._tick)

    def _tick(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.seconds += time.process_time() - self._start


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not CATALOG.is_file():
        print(f"skipped: {CATALOG} not found (../shared is not beside the project)")
        return 0
    catalog = parse_catalog_file(CATALOG)
    templates = [gather_facts(p, catalog).to_dict() for p in SOURCES]
    blobs = []
    for i in range(n):
        d = dict(templates[i % len(templates)])
        d["machine"] = f"PC{i:05d}"
        blobs.append(json.dumps(d))
    # best of five for both, measured in turn, in CPU seconds: on a shared machine the minimum of the process's
    # own time is the least disturbed
    decode = elapsed = float("inf")
    collector = _Collections()
    for _ in range(5):
        start = time.process_time()
        facts = [MachineFacts.from_dict(json.loads(b)) for b in blobs]
        decode = min(decode, time.process_time() - start)
        start, collected = time.process_time(), collector.seconds
        assessments = assess_all(facts, catalog, SitePolicy())
        if time.process_time() - start < elapsed:
            elapsed, in_gc = time.process_time() - start, collector.seconds - collected
    findings = sum(len(a.findings) for a in assessments)
    print(f"assessed {n} machines ({findings} findings) against catalog {catalog.data_version} on one core")
    print(f"total {elapsed:.2f} s CPU, {elapsed / n * 1000:.2f} ms per machine (target 5 ms); of it Python's cyclic "
          f"garbage collector {in_gc:.2f} s (the findings' objects it traverses, not the assessment's own work)")
    print(f"reference: decoding the cached facts took {decode / n * 1000:.2f} ms per machine; "
          f"assessment / decode = {elapsed / decode:.1f}x (target 10x; CPU time, best of 5 each)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
