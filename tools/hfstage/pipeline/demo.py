"""`hfstage demo`: build the example share from examples/ and run two months on it; then a second
example site (a branch office one catalog behind) and a central office that imports both sites'
signed bundles and reports across them."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

from hfstage import resources
from hfstage.central import central_init, central_report, import_bundle
from hfstage.errors import UsageError
from hfstage.inventory import ACCEPTED, Lifecycle, machine_folders
from hfstage.pipeline.central import export_bundle, site_keygen
from hfstage.pipeline.month import month
from hfstage.pipeline.site import Site
from hfstage.share import Share, init_share

DEMO_SITE_INI = """; hfstage demo share
[site]
id = hq
name = Head office

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


BRANCH_SITE_INI = DEMO_SITE_INI.replace("id = hq", "id = branch").replace("name = Head office",
                                                                          "name = Branch office")


def build_demo_share(target: Path, site_ini: str = DEMO_SITE_INI) -> Share:
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
    (target / "site.ini").write_text(site_ini, encoding="utf-8")
    share = Share(target)
    # the demo's admin made these folders and knows the machines: they are accepted, as `hfstage machines accept`
    # would; a folder that appears later waits as pending
    lifecycle, when = Lifecycle(existed=False), Lifecycle.now()
    for folder in machine_folders(share)[0]:
        lifecycle.set(folder.name, ACCEPTED, "accepted when the demo share was built", when)
    lifecycle.save(share)
    return share


def demo(target: Path) -> None:
    """Two monthly routines on the example share, printing what an admin would see; then the branch
    site (TARGET-branch, first month only) and the central office (TARGET-central)."""
    start = time.perf_counter()
    target = Path(target)
    branch_root, central = target.with_name(target.name + "-branch"), target.with_name(target.name + "-central")
    for folder in (branch_root, central):
        if folder.exists() and any(folder.iterdir()):
            raise UsageError(f"{folder}: demo folder exists and is not empty; remove it or choose another")
    share = build_demo_share(target)
    report = None
    for name, as_of in MONTHS:
        print(f"== {name} ({as_of:%B %Y})")
        report = _month(share, name, as_of)
    print("== the branch office: one month behind")
    branch = build_demo_share(branch_root, BRANCH_SITE_INI)
    _month(branch, *MONTHS[0])
    print("== the central office")
    central_init(central)
    for site in (Site(share), Site(branch)):
        _, public, _ = site_keygen(site)
        (central / "trust" / f"{site.config.get('site', 'id')}.pem").write_bytes(public.read_bytes())
        bundle, info = export_bundle(site, central / f"{site.config.get('site', 'id')}.hfb")
        print(import_bundle(central, bundle).line())
    central_done = central_report(central)
    root = share.root.resolve()
    print(f"\nDemo share: {root} ({time.perf_counter() - start:.1f} s)")
    print(f"  report:  {report.resolve() / 'index.html'}")
    print(f"  plan:    {report.resolve() / 'plan.html'}")
    print(f"  scripts: {root / 'scripts'}  (dispatcher: {root / 'netlogon' / 'logon.bat'})")
    print(f"  history: `hfstage report {root}`")
    print(f"  central: {central_done.folder.resolve() / 'index.html'}  (sites: {root}, {branch.root.resolve()})")


def _month(share: Share, name: str, as_of: dt.datetime) -> Path:
    cab = share.folder("incoming") / f"{name}-mssecure.cab"
    cab.write_bytes((resources.data("examples", "incoming") / name / "mssecure.cab").read_bytes())
    return month(Site(share), cab, as_of=as_of).report_folder
