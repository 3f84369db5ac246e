"""Benchmark: the reports step of a full month drawn in this process and in the worker pool (machine_draw).

Builds the synthetic site of bench/site.py (N machines, default 1,000 and 2,000), runs `hfstage month`, then
draws the whole report again (reports\\ emptied: every page, list and scan file made) with --jobs 1 and with
--jobs 2, twice each, alternating; prints wall and CPU (this process and its workers) of each. What decides
machine_draw.POOL_THRESHOLD; this process's own CPU is printed apart (with workers, it hands out and writes every
page and scan fragment: at 5,000 machines it is the pool's slowest process, which the wall follows). Then the
reports step of a month with no change and of one with 1% of the machines collected again as others
(bench/site.py's), which should cost in proportion to what changed.
Numbers only: nothing here asserts a time.
  python bench/report_pool.py [N ...] [--dir FOLDER]
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_site", BENCH / "site.py")  # not the stdlib's `site`
bench_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_site)

from hfstage.catalog import import_catalog  # noqa: E402
from hfstage.pipeline import Site, month  # noqa: E402
from hfstage.pipeline.month import site_report  # noqa: E402
from hfstage.workers import cpu_seconds  # noqa: E402


def _cpu() -> float:
    """This process's CPU and its workers' (forked by the fork server: not this process's children)."""
    return cpu_seconds()


def run(n: int, where: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="hfstage-reports-", dir=where) as tmp:
        share = bench_site.build_site(Path(tmp) / "share", n)
        catalog = import_catalog(share, xml=bench_site.CATALOG, allow_unsigned=True).catalog
        bench_site.place_packages(share, catalog)
        result = month(Site(share), say=lambda line: None)
        for jobs in (1, 2, 1, 2):
            for made in share.folder("reports").iterdir():
                shutil.rmtree(made) if made.is_dir() else made.unlink()
            site = Site(share)
            wall, cpu, parent = time.perf_counter(), _cpu(), time.process_time()
            written = site_report(site, result.scan, made=result.scripts, jobs=jobs)
            print(f"N = {n}, --jobs {jobs}: {written.rendered_pages} pages, wall {time.perf_counter() - wall:.2f} s, "
                  f"CPU {_cpu() - cpu:.2f} s, of which this process {time.process_time() - parent:.2f} s", flush=True)
        for title, change in (("no change", None), ("1% changed", bench_site._change_some)):
            if change is not None:
                change(share, n)
            step = next(s for s in month(Site(share), say=lambda line: None).steps if s["step"] == "reports")
            print(f"N = {n}, month with {title}: reports wall {step['wall']:.2f} s, CPU {step['cpu']:.2f} s",
                  flush=True)


def main() -> int:
    if not bench_site.CATALOG.is_file():
        print(f"skipped: {bench_site.CATALOG} not found (../shared is not beside the project)")
        return 0
    args = sys.argv[1:]
    where = None
    if "--dir" in args:
        where = args.pop(args.index("--dir") + 1)
        args.remove("--dir")
    for n in [int(a) for a in args] or [1000, 2000]:
        run(n, where)
    return 0


if __name__ == "__main__":
    sys.exit(main())
