"""`hfstage demo`: build the example share from examples/ and run the monthly steps on it."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from hfstage.catalog.importer import import_catalog
from hfstage.catalog.present import diff_text, summary_text
from hfstage.errors import UsageError
from hfstage.resources import resource_dir
from hfstage.share import Share, init_share


def build_demo_share(target: Path) -> Share:
    """A fresh share in TARGET with the example trust anchor; TARGET must be new or empty."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target}: demo folder exists and is not empty; remove it or choose another")
    init_share(target)
    examples = resource_dir("examples")
    for pem in sorted((examples / "trust").glob("*.pem")):
        shutil.copyfile(pem, target / "trust" / pem.name)
    return Share(target)


def run_demo(target: Path) -> None:
    """Import each example month's signed catalog in turn, printing what a user would see."""
    share = build_demo_share(target)
    months = sorted(p for p in (resource_dir("examples") / "incoming").iterdir() if p.is_dir())
    for month in months:
        start = time.perf_counter()
        cab = share.folder("incoming") / f"{month.name}-mssecure.cab"
        shutil.copyfile(month / "mssecure.cab", cab)
        result = import_catalog(share, cab)
        print(f"== {month.name}: imported {cab.name} ({time.perf_counter() - start:.2f} s)")
        print(summary_text(result.catalog))
        print(diff_text(result.diff) if result.diff else "  (first catalog: nothing to compare)")
    print(f"\nDemo share: {share.root.resolve()}")
    print(f"  catalogs: {share.folder('catalogs').resolve()}")
