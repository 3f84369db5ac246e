"""`hfstage inventory`: every machine's facts against the current catalog."""

from __future__ import annotations

from hfstage import inventory as stage
from hfstage.pipeline.site import Site


def inventory(site: Site, machine: str | None = None, jobs: int | None = None) -> stage.InventoryResult:
    catalog = site.catalog if site.has_catalog() else None
    with site.share.lock():
        return stage.inventory(site.share, catalog, rules=site.rules, limits=site.limits,
                               machines=[machine] if machine else None, jobs=jobs, accounts=site.accounts)
