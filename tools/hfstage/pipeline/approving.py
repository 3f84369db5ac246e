"""`hfstage approve` and `unapprove` as a command: the change recorded (pipeline.approvals), then SHARE\\reports
redrawn through the report step from the latest full scan, so the report says what the admin just approved
instead of "waiting for approval" until the next month (only the pages the approval changes are drawn again:
the report memo skips the others). No new scan is recorded: the approval changes no assessment."""

from __future__ import annotations

from dataclasses import dataclass

from hfstage.errors import HfstageError, os_fault
from hfstage.history import FULL, ApprovalEvent
from hfstage.inventory import inventory
from hfstage.pipeline import approvals
from hfstage.pipeline.month import site_report
from hfstage.pipeline.scan import ScanResult
from hfstage.pipeline.site import Site
from hfstage.report import ReportResult
from hfstage.scripts import ALL, collect_results


@dataclass
class ApprovalChange:
    """What an approve or unapprove did: its events, and the report drawn again (or why it was not)."""

    events: list[ApprovalEvent]
    report: ReportResult | None = None
    not_redrawn: str = ""  # why SHARE\reports still shows the approvals as they were


def approve(site: Site, ids: list[str], ring: str = ALL, note: str = "") -> ApprovalChange:
    """Approve each ID for RING (pipeline.approvals.approve), then redraw the report."""
    return _redrawn(site, approvals.approve(site, ids, ring, note))


def unapprove(site: Site, ids: list[str], ring: str | None = None) -> ApprovalChange:
    """Withdraw the approvals of each ID (pipeline.approvals.unapprove), then redraw the report."""
    return _redrawn(site, approvals.unapprove(site, ids, ring))


def _redrawn(site: Site, events: list[ApprovalEvent]) -> ApprovalChange:
    """EVENTS, recorded, with the report drawn again; a report that cannot be drawn leaves them standing.

    The share's lock is held from reading which scan is the latest to the report written: a month ending while
    approve waited must not have its report drawn over with the scan before it."""
    change = ApprovalChange(events)
    try:
        with site.share.lock():
            return _drawn_latest(site, change)
    except (HfstageError, OSError) as e:  # the lock not had (a month still running): the approvals stand
        change.not_redrawn = str(os_fault(e.filename, e, "lock") if isinstance(e, OSError) else e)
        return change


def _drawn_latest(site: Site, change: ApprovalChange) -> ApprovalChange:
    try:
        latest = latest_scan(site)
    except (HfstageError, OSError) as e:
        latest, change.not_redrawn = None, str(os_fault(e.filename, e, "read") if isinstance(e, OSError) else e)
    if latest is None:
        change.not_redrawn = change.not_redrawn or ("no full scan of the current catalog to draw it from; the next "
                                                    "month or scan draws it")
        return change
    try:
        change.report = site_report(site, latest)
    except (HfstageError, OSError) as e:  # reports\ read-only, say: the approvals stand all the same
        change.not_redrawn = str(os_fault(e.filename, e, "write") if isinstance(e, OSError) else e)
    return change


def latest_scan(site: Site) -> ScanResult | None:
    """The latest full scan as the report step takes it (its recorded rows; the machines' facts and results
    as their memos keep them, read again only where they changed), or None when there is none of the
    current catalog (a report of another catalog's scan would mix the two)."""
    if not site.has_catalog():
        return None
    latest = site.history.latest_scan(FULL)
    if latest is None or latest.catalog_version != site.current_version():
        return None
    with site.share.lock():
        inv = inventory(site.share, site.catalog, rules=site.rules, limits=site.limits, adopt=False,
                        accounts=site.accounts)
        results, refused = collect_results(site.share, site.config.get("limits", "results_bytes"), site.accounts)
    return ScanResult(latest.catalog_version, FULL, latest.id, site.history.machines(latest.id), inventory=inv,
                      results=results, refused_results=refused)
