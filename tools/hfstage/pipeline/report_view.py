"""What the site report shows beside the scan, gathered once per report: when the server last saw each
machine's evidence, the clients' results, the packages missing, the bulletins' own text, and for each
machine page rendered, what its script does and how far its evidence can be trusted."""

from __future__ import annotations

import datetime as dt

from hfstage.assess import Assessment
from hfstage.errors import HfstageError
from hfstage.history import MachineRow
from hfstage.inventory import InventoryResult, evidence_seen
from hfstage.packages import MissingPackage, fetch_list, load_installers
from hfstage.pipeline.approvals import gate
from hfstage.pipeline.site import Site
from hfstage.report import (
    Approvals,
    MachinePage,
    SiteExtras,
    Situation,
    bulletin_info,
    evidence_view,
    page_key,
    script_view,
)
from hfstage.scripts import Gate, MachinePlan, MachineResults, plan_machine


def machine_states(rows: list[MachineRow]) -> dict[str, str]:
    """Each machine's standing in the scan (accepted, pending): pending machines are shown, listed under
    "Needs you", and neither counted nor scripted until accepted."""
    return {r.machine: r.standing for r in rows}


def report_extras(site: Site, rows: list[MachineRow], scan_id: int, inventory: InventoryResult,
                  results: list[MachineResults], fetch: list[MissingPackage] | None = None,
                  made: list[MachinePlan] | None = None) -> SiteExtras:
    """Everything the report needs beside scan SCAN_ID's ROWS. MADE: the plans of the scripts made from this
    scan in this run (the month), so the machine pages describe the scripts on the share, and a machine whose
    script was just made is not planned again."""
    missing = site.history.findings(scan_id, "missing")
    book, settings, problem = _scripts_side(site)
    if fetch is None:
        fetch = fetch_list(missing, site.catalog, book.index, settings.service_packs if settings else {}) \
            if book is not None else []
    situation = Situation(rows, results, evidence_seen(site.share), fetch, machine_states(rows),
                          site.config.get("report", "stale_days"), dt.datetime.now(dt.timezone.utc))
    ids = sorted({f.bulletin for f in missing})
    scripts_key = [settings.fingerprint(), book.index.fingerprint(), book.fingerprint()] if settings else problem
    by_name = {m.machine.casefold(): m for m in results}
    table = load_installers()
    planned = {p.machine: p for p in made or []}

    def page(a: Assessment) -> MachinePage:
        mine = by_name.get(a.machine.casefold())
        plan = planned.get(a.machine) or (plan_machine(a, site.catalog, settings, book, table, site.rules)
                                          if settings else None)
        script = script_view(plan, problem, a, settings.service_packs if settings else None,
                             settings.gate if settings else None)
        return MachinePage(script, evidence_view(_facts(inventory, a.machine), a), mine,
                           bool(situation.seen.get(a.machine)), situation.stale(a.machine),
                           situation.lifecycle.get(a.machine, "accepted"))

    keys = {r.machine: page_key(scripts_key, bool(situation.seen.get(r.machine)), situation.stale(r.machine),
                                situation.stale_days,
                                by_name[r.machine.casefold()].to_dict() if r.machine.casefold() in by_name else None,
                                inventory.hashes.get(r.machine), situation.lifecycle.get(r.machine))
            for r in rows}
    return SiteExtras(str(site.share.root), situation, bulletin_info(site.catalog, site.policy, ids), page, keys,
                      made is not None, Approvals(_gate(site, settings), str(site.share.root)))


def _gate(site: Site, settings) -> Gate:
    """The rings and approvals: the scripts' own, else site.ini's (a site.ini that makes no scripts yet)."""
    if settings is not None:
        return settings.gate
    try:
        return gate(site)
    except HfstageError:
        return Gate(site.config.get("approval", "mode"))


def _scripts_side(site: Site):
    """(package book, script settings, why there are no scripts): settings are None when site.ini cannot make
    scripts (no [share] unc yet), and the pages say why."""
    try:
        settings = site.scripts
    except HfstageError as e:
        settings, problem = None, f"no scripts are made for this share yet: {e}"
    else:
        problem = ""
    try:
        return site.book, settings, problem
    except HfstageError as e:
        return None, None, f"the packages under hotfixes\\ could not be read: {e}"


def _facts(inventory: InventoryResult, machine: str):
    try:
        return inventory.facts_of(machine)
    except (OSError, ValueError, KeyError, TypeError):
        return None
