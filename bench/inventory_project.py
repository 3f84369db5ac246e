"""Benchmark: a new catalog's projection of N remembered machines, in this process and in the worker pool.

A month with a new catalog and no inventory change projects every machine's remembered raw facts
(inventory.raw `project`) instead of reading it again. This measures where the project's worker pool
(hfstage.workers, 2 workers) would pay for that: each size's wall and CPU seconds both ways, the parent's
CPU in the pool being what it spends receiving and rebuilding the facts. The facts must come out equal.
Machines are bench/site.py's (hives written by hivex; the real 2001 catalog, then site.py's next one).
  python bench/inventory_project.py [N,N,...]      (default 500,1000,2000,3000)
"""

from __future__ import annotations

import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.raw import RawFacts, project
from hfstage.workers import Job, run_in_workers

REPO = Path(__file__).resolve().parents[1]
_worker: dict = {}  # the catalog and what it asks, once per worker


def _load(catalog, rules: dict, limits) -> None:
    _worker.update(catalog=catalog, rules=rules, limits=limits, asks=CatalogAsks.of(catalog))


def _project_one(path: str) -> dict:
    raw = RawFacts.recall(json.loads(Path(path).read_bytes()), _worker["limits"])
    return project(raw, _worker["catalog"], _worker["rules"], _worker["asks"]).to_dict()


def _site_module():
    spec = importlib.util.spec_from_file_location("bench_site", REPO / "bench" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _both_ways(files: list[str], catalog, rules: dict, limits) -> str:
    """One line: the projection of FILES in this process, then in 2 workers (checked equal)."""
    from hfstage.inventory.facts import MachineFacts

    wall, cpu = time.perf_counter(), time.process_time()
    asks = CatalogAsks.of(catalog)
    here = [project(RawFacts.recall(json.loads(Path(f).read_bytes()), limits), catalog, rules, asks).to_dict()
            for f in files]
    serial = time.perf_counter() - wall, time.process_time() - cpu
    wall, cpu = time.perf_counter(), time.process_time()
    out, deaths = run_in_workers(Job(_project_one, _load, (catalog, rules, limits)), [(f,) for f in files], 2)
    pooled = [MachineFacts.from_dict(d).to_dict() for d in out]
    pool = time.perf_counter() - wall, time.process_time() - cpu
    if deaths or pooled != here:
        raise SystemExit("the pool's facts differ from this process's")
    return (f"N={len(files)}: in this process wall {serial[0]:.2f} s cpu {serial[1]:.2f} s | 2 workers wall "
            f"{pool[0]:.2f} s, the parent's cpu {pool[1]:.2f} s")


def main() -> int:
    sizes = [int(n) for n in (sys.argv[1] if len(sys.argv) > 1 else "500,1000,2000,3000").split(",")]
    site = _site_module()
    from hfstage.catalog import import_catalog, parse_catalog_file
    from hfstage.inventory import inventory
    from hfstage.inventory.limits import Limits
    from hfstage.inventory.rules import load_site_rules
    from hfstage.share import RAW_FOLDER

    with tempfile.TemporaryDirectory(prefix="hfstage-project-") as tmp:
        share = site.build_site(Path(tmp) / "share", max(sizes))
        inventory(share, import_catalog(share, xml=site.CATALOG, allow_unsigned=True).catalog, progress=False)
        catalog = parse_catalog_file(site.new_catalog(Path(tmp)))
        files = sorted(str(p) for p in share.state_file(RAW_FOLDER).glob("*.json"))
        for n in sizes:
            print(_both_ways(files[:n], catalog, load_site_rules(share), Limits()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
