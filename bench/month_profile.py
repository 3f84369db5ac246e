"""Where a step of the full month spends its time: bench/site.py's synthetic site of N machines, one full month,
cProfile switched on only while the chosen steps run; prints each step's wall and CPU seconds and the
profile's top functions (cProfile inflates code that makes many small calls, Jinja's above all: read it for
what is called how often, and bench/site.py for the seconds).
  python bench/month_profile.py [N] [--steps scripts,reports] [--top 25] [--sort cumtime|tottime] [--dir FOLDER]
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import sys
import tempfile
from pathlib import Path

from hfstage.pipeline import Site, month


def _bench_site():
    """bench/site.py, beside this file (imported by path: `import site` is Python's own module)."""
    spec = importlib.util.spec_from_file_location("bench_site", Path(__file__).resolve().parent / "site.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_STEP_FUNCTIONS = {"catalog import": "_import", "catalog diff": "_diff", "inventory": "_inventory", "scan": "_scan",
                   "plan": "_plan", "scripts": "_scripts", "reports": "_reports"}


def _profiled(steps: list[str], profile: cProfile.Profile) -> None:
    """Wrap the month's step functions named by STEPS so that PROFILE runs only while they do."""
    conductor = sys.modules["hfstage.pipeline.month"]
    for step in steps:
        name = _STEP_FUNCTIONS[step]
        original = getattr(conductor, name)

        def wrapped(*args, _original=original, **kwargs):
            profile.enable()
            try:
                return _original(*args, **kwargs)
            finally:
                profile.disable()

        setattr(conductor, name, wrapped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=2000)
    parser.add_argument("--steps", default="scripts,reports", help="comma-separated: " + ", ".join(_STEP_FUNCTIONS))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumtime", choices=("cumtime", "tottime"))
    parser.add_argument("--dir", default=None, help="build the site in this folder")
    args = parser.parse_args()
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = [s for s in steps if s not in _STEP_FUNCTIONS]
    if unknown:
        parser.error(f"unknown step(s): {', '.join(unknown)}")
    bench_site = _bench_site()
    if not bench_site.CATALOG.is_file():
        print(f"skipped: {bench_site.CATALOG} not found (../shared is not beside the project)")
        return 0
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory(prefix="hfstage-profile-", dir=args.dir) as tmp:
        share = bench_site.build_site(Path(tmp) / "share", args.n)
        catalog = bench_site.import_catalog(share, xml=bench_site.CATALOG, allow_unsigned=True).catalog
        bench_site.place_packages(share, catalog)
        _profiled(steps, profile)
        result = month(Site(share), say=lambda line: None)
    print(f"N = {args.n}; profiled: {', '.join(steps)}")
    for s in result.steps:
        print(f"  {s['step']:<15} wall {s['wall']:7.2f} s  cpu {s['cpu']:7.2f} s")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
