"""Benchmark: the scan step with its assessments made in this process (--jobs 1) and in the worker pool (two
workers), by the number of machines it assesses: where the pool's start (spawning the workers, importing hfstage
in each, shipping the catalog index) is paid back, which sets pipeline/assessing.py's POOL_THRESHOLD.

A bench site (bench/site.py's machines) of the largest N is built and inventoried once; each scan then assesses
the first N machines into a history made anew, so every machine is assessed (as in a full month). Wall seconds,
and CPU seconds of this process and of its workers (hfstage.workers.cpu_seconds: the fork server's children),
each run's split shown as parent + workers, best of REPEAT runs.
  python bench/scan_pool.py [N ...] [--repeat R] [--dir FOLDER]     (default: 50 100 200 400 800, R = 3)
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hfstage.catalog import import_catalog
from hfstage.history import db_path
from hfstage.inventory import inventory
from hfstage.pipeline import Site, scan
from hfstage.workers import cpu_seconds


def _bench_site():
    """bench/site.py, loaded by its path (its name is the standard library's `site`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_site", Path(__file__).resolve().parent / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _timed(site: Site, inv, jobs: int) -> tuple[float, float, float, float]:
    """(wall, CPU, this process's CPU, its workers' CPU) of one scan of INV's machines that assesses every one of
    them."""
    path = db_path(site.share)
    if path.exists():
        path.unlink()
    before, start = (_own(), cpu_seconds()), time.perf_counter()
    result = scan(site, inventoried=inv, jobs=jobs)
    wall, after = time.perf_counter() - start, (_own(), cpu_seconds())
    assert result.assessed == len(inv.machines), result.assessed
    parent, total = after[0] - before[0], after[1] - before[1]
    return wall, total, parent, total - parent


def _own() -> float:
    t = os.times()
    return t.user + t.system


def main() -> int:
    args = sys.argv[1:]
    repeat = int(args.pop(args.index("--repeat") + 1)) if "--repeat" in args else 3
    if "--repeat" in args:
        args.remove("--repeat")
    where = args.pop(args.index("--dir") + 1) if "--dir" in args else None
    if "--dir" in args:
        args.remove("--dir")
    sizes = [int(a) for a in args] or [50, 100, 200, 400, 800]
    bench = _bench_site()
    if not bench.CATALOG.is_file():
        print(f"skipped: {bench.CATALOG} not found (../shared is not beside the project)")
        return 0
    tmp = tempfile.mkdtemp(prefix="hfstage-scan-pool-", dir=where)
    try:
        share = bench.build_site(Path(tmp) / "share", max(sizes))
        import_catalog(share, xml=bench.CATALOG, allow_unsigned=True)
        site = Site(share)
        full = inventory(share, site.catalog, rules=site.rules, limits=site.limits, accounts=site.accounts,
                         progress=False)
        print(f"{'machines':>8} {'serial wall':>11} {'cpu':>6} {'pool wall':>9} {'cpu':>6} {'= parent + workers':>18}")
        for n in sizes:
            inv = dataclasses.replace(full, machines=full.machines[:n])
            serial = min(_timed(Site(share), inv, 1) for _ in range(repeat))
            pooled = min(_timed(Site(share), inv, 2) for _ in range(repeat))
            print(f"{n:>8} {serial[0]:>11.2f} {serial[1]:>6.2f} {pooled[0]:>9.2f} {pooled[1]:>6.2f} "
                  f"{pooled[2]:>9.2f} + {pooled[3]:>5.2f}", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
