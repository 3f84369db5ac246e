"""`hfstage report` and `hfstage plan`: compliance from the history, and the patch application plan."""

from __future__ import annotations

import dataclasses

from hfstage.errors import UsageError
from hfstage.history import FULL, MachineRow
from hfstage.inventory import evidence_seen
from hfstage.pipeline.approvals import gate
from hfstage.pipeline.site import Site
from hfstage.report import (
    Approvals,
    Compliance,
    MonthPlan,
    Situation,
    add_deployment,
    build_plan,
    compliance,
    plan_changes,
    render_plan,
)
from hfstage.scripts import script_contents
from hfstage.share import SCRIPTS


def report(site: Site, by: str = "machine", since: str | None = None) -> Compliance:
    seen = Situation([], seen=evidence_seen(site.share), stale_days=site.config.get("report", "stale_days"))
    return compliance(site.history, by, since, seen, Approvals(gate(site), str(site.share.root)))


def plan(site: Site, fmt: str = "text") -> str:
    """The month's patch application plan in FMT, from the current catalog and the latest full scan; refused
    without a full scan of that catalog (the plan would say no machine here is affected, which is not known)."""
    if not site.has_catalog():
        raise UsageError(f"{site.share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    latest = site.history.latest_scan(FULL)
    if latest is None:
        raise UsageError(f"{site.share.state}: no full scan recorded yet, so no plan can say what applies here; "
                         f"run `hfstage scan {site.share.root}` first")
    if latest.catalog_version != site.current_version():
        raise UsageError(f"the latest full scan used catalog {latest.catalog_version}, but {site.current_version()} "
                         f"is current: run `hfstage scan {site.share.root}` first")
    return render_plan(month_plan(site), fmt, site.share.root / "templates")


def month_plan(site: Site) -> MonthPlan:
    """The plan for the current catalog, with what the published scripts install."""
    return deployed_plan(site, plan_base(site))


def plan_base(site: Site) -> MonthPlan:
    """The new and revised patches judged against the latest full scan, without the scripts' deployment: what
    the month computes once, in its plan step (it loads the previous catalog and tallies the findings)."""
    if not site.has_catalog():
        raise UsageError(f"{site.share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    old = site.previous
    latest = site.history.latest_scan(FULL)
    changes = plan_changes(site.catalog, old)
    tallies = site.history.patch_tallies(latest.id, changes) if latest else []
    return build_plan(site.catalog, old, tallies, latest.id if latest else None, site.policy,
                      site.book.rollback_method, changes)


def deployed_plan(site: Site, base: MonthPlan, latest_rows: list[MachineRow] | None = None) -> MonthPlan:
    """BASE (left as it is) with what the published scripts install and hold, machine by machine, as they are
    now: the month adds it again after its scripts step publishes a new set (LATEST_ROWS: the latest full
    scan's rows, when the caller has them: the month's scan just recorded them). What they leave out waiting for
    approval waits no more once approved (`hfstage approve`: in the scripts from the next scripts generate)."""
    plan = dataclasses.replace(base, deploy=[], held=[], waiting={}, rings=[])
    record = site.share.record(SCRIPTS)  # what the published scripts were rendered from, machine by machine
    machines = [r.machine for r in (latest_rows if latest_rows is not None else _latest_rows(site))]
    contents = {m: script_contents(record.value(m)) for m in machines if record.value(m) is not None}
    approvals = gate(site)  # site.ini's rings and the approvals: no [share] unc needed
    plan = add_deployment(plan, site.catalog, contents, site.policy, site.book.rollback_method, approvals)
    waiting = {key: [m for m in ms if approvals.why_not(m, *key) is not None] for key, ms in plan.waiting.items()}
    plan.waiting = {key: ms for key, ms in waiting.items() if ms}
    return plan


def _latest_rows(site: Site) -> list[MachineRow]:
    latest = site.history.latest_scan(FULL)
    return site.history.machines(latest.id) if latest else []
