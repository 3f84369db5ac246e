"""`hfstage report` and `hfstage plan`: compliance from the history, and the patch application plan."""

from __future__ import annotations

from hfstage.catalog import find_catalog, previous_version
from hfstage.errors import UsageError
from hfstage.history import FULL
from hfstage.inventory import evidence_seen
from hfstage.pipeline.site import Site
from hfstage.report import Compliance, MonthPlan, Situation, build_plan, compliance, plan_changes, render_plan


def report(site: Site, by: str = "machine", since: str | None = None) -> Compliance:
    seen = Situation([], seen=evidence_seen(site.share), stale_days=site.config.get("report", "stale_days"))
    return compliance(site.history, by, since, seen)


def plan(site: Site, fmt: str = "text") -> str:
    """The month's patch application plan in FMT, from the current catalog and the latest full scan."""
    return render_plan(month_plan(site), fmt, site.share.root / "templates")


def month_plan(site: Site) -> MonthPlan:
    if not site.has_catalog():
        raise UsageError(f"{site.share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    before = previous_version(site.share)
    old = find_catalog(site.share, before).load() if before else None
    latest = site.history.latest_scan(FULL)
    changes = plan_changes(site.catalog, old)
    tallies = site.history.patch_tallies(latest.id, changes) if latest else []
    return build_plan(site.catalog, old, tallies, latest.id if latest else None, site.policy,
                      site.book.rollback_method, changes)
