"""`hfstage demo`: build the example share from examples/ and run two months on it."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from hfstage import resources
from hfstage.errors import UsageError
from hfstage.pipeline.month import month
from hfstage.pipeline.site import Site
from hfstage.share import Share, init_share

DEMO_SITE_INI = """; hfstage demo share
[share]
unc = \\\\DEMO-DC\\hfstage

[baseline]
patches = MS03-026, MS03-039

[suppress]
MS02-019 = demo: Office for Mac is not used here
"""
# Two months, a month apart, so the trend has two points.
MONTHS = (("month1", dt.datetime(2003, 8, 15, 12, tzinfo=dt.timezone.utc)),
          ("month2", dt.datetime(2003, 9, 15, 12, tzinfo=dt.timezone.utc)))


def build_demo_share(target: Path) -> Share:
    """A fresh share in TARGET with the example trust anchor, machines and packages."""
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise UsageError(f"{target}: demo folder exists and is not empty; remove it or choose another")
    init_share(target)
    examples = resources.data("examples")
    for folder in ("trust", "inventory", "hotfixes"):
        for parts, source in resources.walk(examples / folder):
            path = target.joinpath(folder, *parts)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(source.read_bytes())
    (target / "site.ini").write_text(DEMO_SITE_INI, encoding="utf-8")
    return Share(target)


def demo(target: Path) -> None:
    """Two monthly routines on the example share, printing what an admin would see."""
    start = time.perf_counter()
    share = build_demo_share(target)
    incoming = resources.data("examples", "incoming")
    report = None
    for name, as_of in MONTHS:
        print(f"== {name} ({as_of:%B %Y})")
        cab = share.folder("incoming") / f"{name}-mssecure.cab"
        cab.write_bytes((incoming / name / "mssecure.cab").read_bytes())
        report = month(Site(share), cab, as_of=as_of).report_folder
    root = share.root.resolve()
    print(f"\nDemo share: {root} ({time.perf_counter() - start:.1f} s)")
    print(f"  report:  {report.resolve() / 'index.html'}")
    print(f"  plan:    {report.resolve() / 'plan.html'}")
    print(f"  scripts: {root / 'scripts'}  (dispatcher: {root / 'netlogon' / 'logon.bat'})")
    print(f"  history: `hfstage report {root}`")
