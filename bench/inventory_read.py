"""Benchmark: what one inventory worker spends reading bench/site.py's machines, in this process, one by one.

Each machine goes through what a worker does for it (inventory.workers: read_raw, project, remember, encode,
write the facts and raw facts files), timed in process CPU seconds; --profile prints cProfile's top functions
and the CPU split by what the time is spent on (hive open, key walks, value reads, .reg parsing, PE reads,
projection, encoding, file writes), from the profile's own totals (cProfile inflates many small calls: read
the split as shares, the plain run for seconds). --site keeps the site built in a folder for the next run, so
old and new code can read the same machines in turns (run the old tree with PYTHONPATH=OLD/tools).
  python bench/inventory_read.py [N] --site FOLDER [--profile [--top 10] | --split | --rounds 3] [--out FOLDER]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import pstats
import resource
import shutil
import sys
import time
from pathlib import Path

from hfstage.catalog import parse_catalog_file
from hfstage.inventory.accounts import AccountBook
from hfstage.inventory.encoded import FactsFiles
from hfstage.inventory.gather import locate_inputs
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import machine_folders
from hfstage.inventory.rules import load_site_rules
from hfstage.inventory.workers import _facts_in_worker, _init_worker
from hfstage.share import Share
from hfstage.workers import cpu_seconds

REPO = Path(__file__).resolve().parents[1]
# what the CPU a machine costs is spent on: (kind, module, attribute) of the functions timed, exclusive of the
# timed functions they call; what none of them covers is "the rest" (folder listing, facts assembly, the loop)
_SPLIT = [("hive open", "hfstage.inventory.gather", "open_hive_bytes"),
          ("client file reads", "hfstage.inventory.gather", "MachineInputs.read"),
          ("key walks (subkey lists)", "hfstage.inventory.hive", "subkey_records"),
          ("value reads (value lists)", "hfstage.inventory.hive", "value_records"),
          ("value decoding", "hfstage.inventory.hive", "_by_name"),
          (".reg parsing", "hfstage.inventory.gather", "parse_reg_text"),
          (".reg parsing", "hfstage.inventory.gather", "parse_reg_query"),
          ("PE reads", "hfstage.inventory.files", "read_pe_version"),
          ("detection (registry rules)", "hfstage.inventory.gather", "detect"),
          ("projection (catalog)", "hfstage.inventory.workers", "project"),
          ("raw facts kept", "hfstage.inventory.raw", "RawFacts.remember"),
          ("encoding", "hfstage.inventory.workers", "encode_parts"),
          ("file writes", "hfstage.inventory.encoded", "FactsFiles.write")]


class _Split:
    """Process CPU by kind, each timed function's time without the timed functions it calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._stack: list[str] = []
        self._mark = 0.0

    def _switch(self, kind: str | None) -> None:
        now = time.process_time()
        if self._stack:
            self.seconds[self._stack[-1]] = self.seconds.get(self._stack[-1], 0.0) + now - self._mark
        if kind is None:
            self._stack.pop()
        else:
            self._stack.append(kind)
        self._mark = now

    def wrap(self, kind: str, fn):
        def timed(*args, **kwargs):
            self._switch(kind)
            try:
                return fn(*args, **kwargs)
            finally:
                self._switch(None)
        return timed

    def install(self) -> None:
        for kind, module, attribute in _SPLIT:
            owner = importlib.import_module(module)
            *path, name = attribute.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, name, self.wrap(kind, getattr(owner, name)))


def _bench_site():
    spec = importlib.util.spec_from_file_location("bench_site", REPO / "bench" / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _site(folder: Path | None, n: int) -> Path:
    """The share of a site of N machines, built in FOLDER (kept) unless it is there already."""
    share = folder / "share"
    if not (share / "inventory").is_dir():
        _bench_site().build_site(share, n)
    return share


def _read_all(share: Path, out: Path, profile: cProfile.Profile | None) -> tuple[int, float]:
    """(machines, process CPU seconds) to read every machine of SHARE as a worker does, writing under OUT."""
    catalog = parse_catalog_file(REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml")
    site = Share(share)
    for sub in ("facts", "raw"):
        shutil.rmtree(out / sub, ignore_errors=True)
        (out / sub).mkdir(parents=True)
    _init_worker(catalog, load_site_rules(site), Limits(), None, FactsFiles(out / "facts", out / "raw"))
    book = AccountBook(site)
    folders = machine_folders(site)[0]
    located = [(str(f), locate_inputs(f, book)) for f in folders]
    cpu = time.process_time()
    if profile is not None:
        profile.enable()
    for folder, inputs in located:
        _facts_in_worker(folder, inputs, "bench")
    if profile is not None:
        profile.disable()
    return len(located), time.process_time() - cpu


def _step(share: Path, out: Path) -> str:
    """The inventory step of a full month on a fresh copy of SHARE (no facts remembered), as the month runs it:
    wall, this process's CPU and its workers'."""
    from hfstage.inventory import inventory

    copy = out / "share"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(share, copy, symlinks=True)
    catalog = parse_catalog_file(REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml")
    own = resource.getrusage(resource.RUSAGE_SELF)
    before, wall = cpu_seconds(), time.perf_counter()
    result = inventory(Share(copy), catalog, progress=False)
    wall, total = time.perf_counter() - wall, cpu_seconds() - before
    after = resource.getrusage(resource.RUSAGE_SELF)
    parent = after.ru_utime + after.ru_stime - own.ru_utime - own.ru_stime
    workers = total - parent  # forked by the fork server: not this process's children (hfstage.workers)
    return (f"N = {len(result.machines)}: read {result.read}; wall {wall:.2f} s, CPU {parent + workers:.2f} s "
            f"(this process {parent:.2f} s, workers {workers:.2f} s)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--site", type=Path, required=True, help="folder the site is built in and kept")
    parser.add_argument("--out", type=Path, default=None, help="where the facts files go (default: SITE/out)")
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions")
    parser.add_argument("--split", action="store_true", help="the CPU a machine costs, by what it is spent on")
    parser.add_argument("--step", action="store_true", help="the inventory step (workers) on a fresh copy of the site")
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    share = _site(args.site, args.n)
    out = args.out or args.site / "out"
    if args.profile:
        profile = cProfile.Profile()
        n, cpu = _read_all(share, out, profile)
        print(f"N = {n}: {cpu / n * 1000:.2f} ms CPU a machine under the profiler")
        for order in ("tottime", "cumtime"):
            pstats.Stats(profile).sort_stats(order).print_stats(args.top)
        return 0
    if args.step:
        for _ in range(args.rounds):
            print(_step(share, out))
        return 0
    if args.split:
        split = _Split()
        split.install()
        n, cpu = _read_all(share, out, None)
        print(f"N = {n}: {cpu / n * 1000:.3f} ms CPU a machine (timers included), by what it is spent on:")
        rest = cpu - sum(split.seconds.values())
        for kind, seconds in sorted([*split.seconds.items(), ("the rest", rest)], key=lambda kv: -kv[1]):
            print(f"  {kind:<30} {seconds / n * 1000:6.3f} ms  {seconds / cpu:6.1%}")
        return 0
    for _ in range(args.rounds):
        n, cpu = _read_all(share, out, None)
        print(f"N = {n}: {cpu:.2f} s CPU, {cpu / n * 1000:.3f} ms a machine")
    return 0


if __name__ == "__main__":
    sys.exit(main())
