"""What the site report shows beside the scan, gathered once per report: when the server last saw each
machine's evidence, the clients' results, the packages missing, the bulletins' own text, and for each
machine page rendered, what its script does and how far its evidence can be trusted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from hfstage.assess import Assessment
from hfstage.errors import HfstageError
from hfstage.history import FindingRow, MachineRow
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
    evidence_facts,
    evidence_view,
    page_key,
    script_view,
)
from hfstage.scripts import Gate, MachinePlan, MachineResults, plan_machine


def machine_states(rows: list[MachineRow]) -> dict[str, str]:
    """Each machine's standing in the scan (accepted, pending): pending machines are shown, listed under
    "Needs you", and neither counted nor scripted until accepted."""
    return {r.machine: r.standing for r in rows}


def report_extras(site: Site, rows: list[MachineRow], missing: list[FindingRow], inventory: InventoryResult,
                  results: list[MachineResults], fetch: list[MissingPackage] | None = None,
                  made: list[MachinePlan] | None = None) -> SiteExtras:
    """Everything the report needs beside a scan's ROWS and MISSING findings (read once by the caller: the month
    hands on its scripts step's). MADE: the plans of the scripts made from this scan in this run (the month), so
    the machine pages describe the scripts on the share, and a machine whose script was just made is not
    planned again."""
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

    page = PageMaker(site.catalog, settings, book, table, site.rules, problem, by_name, situation,
                     InventoryResult(cache=inventory.cache), planned, inventory.fresh)

    keys = {r.machine: page_key(scripts_key, bool(situation.seen.get(r.machine)), situation.stale(r.machine),
                                situation.stale_days,
                                by_name[r.machine.casefold()].to_dict() if r.machine.casefold() in by_name else None,
                                inventory.hashes.get(r.machine), situation.lifecycle.get(r.machine))
            for r in rows}
    return SiteExtras(str(site.share.root), situation, bulletin_info(site.catalog, site.policy, ids), page, keys,
                      made is not None, Approvals(_gate(site, settings), str(site.share.root)))


@dataclass
class PageMaker:
    """A machine's page beside its findings (SiteExtras.page): what its script does (the plan made this run, else
    one made now), its evidence, its results. Plain data, so the report's workers get it once each (`shared`),
    and each machine's own part (`mine`: its plan and fresh facts) with the machine."""

    catalog: object
    settings: object
    book: object
    table: object
    rules: object
    problem: str
    by_name: dict[str, MachineResults]
    situation: Situation
    inventory: InventoryResult  # only its cache: the facts read this run are in FRESH
    planned: dict[str, MachinePlan] = field(default_factory=dict)
    fresh: dict = field(default_factory=dict)

    def __call__(self, a: Assessment, mine: tuple | None = None) -> MachinePage:
        plan, facts = mine if mine is not None else self.mine(a.machine)
        settings, situation = self.settings, self.situation
        plan = plan or (plan_machine(a, self.catalog, settings, self.book, self.table, self.rules)
                        if settings else None)
        script = script_view(plan, self.problem, a, settings.service_packs if settings else None,
                             settings.gate if settings else None)
        facts = facts if facts is not None else evidence_facts(_facts(self.inventory, a.machine))
        return MachinePage(script, evidence_view(facts, a),
                           self.by_name.get(a.machine.casefold()), bool(situation.seen.get(a.machine)),
                           situation.stale(a.machine), situation.lifecycle.get(a.machine, "accepted"))

    def mine(self, machine: str) -> tuple:
        """MACHINE's own inputs: its plan made this run, what its page shows of the facts read this run (None: read
        from the cache)."""
        return self.planned.get(machine), evidence_facts(self.fresh.get(machine))

    def shared(self) -> PageMaker:
        """What every machine's page needs, without the 5,000 machines' own parts (and without the package book's
        trust store, certificates a worker cannot be sent: it loads them again from trust\\ if a plan asks)."""
        book = dataclasses.replace(self.book, _store=None) if self.book is not None else None
        return dataclasses.replace(self, planned={}, fresh={}, book=book)


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
