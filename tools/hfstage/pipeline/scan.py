"""`hfstage scan`: inventory what changed, assess what changed, record the scan.

A machine is assessed again only when its facts, the catalog, the site policy or what its
scripts reported changed since the last full scan, or the assessment code itself (the scans
memo's format version); otherwise its recorded assessment is reused as it is. Only a scan of
every machine is the site's record; a scan of some machines is recorded as partial (with
--record) or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import MISSING, Assessment, CatalogIndex, Finding
from hfstage.errors import InputError, UsageError
from hfstage.history import FULL, PARTIAL, MachineRow, Recorded, row_for
from hfstage.inventory import RETIRED, InventoryResult, inventory
from hfstage.notices import SPOOL_LEFT, of_kind
from hfstage.pipeline.assessing import ToAssess, assessments
from hfstage.pipeline.machines import standings
from hfstage.pipeline.site import Site
from hfstage.progress import Progress
from hfstage.report import alarms, render_csv, render_html, render_json, render_tab, render_text
from hfstage.scripts import MachineResults, collect_results, results_summary
from hfstage.share import SCANS

KEEP_IN_MEMORY = 500  # more assessments than this are read back from the history in chunks when needed


@dataclass
class ScanResult:
    """One scan: every machine's row, the assessments made now, and what was read to make them."""

    catalog_version: str
    kind: str  # full, partial, or "not recorded"
    scan_id: int | None
    rows: list[MachineRow]
    fresh: dict[str, Assessment] = field(default_factory=dict)  # made now, when few enough to keep
    assessed: int = 0
    inventory: InventoryResult = field(default_factory=InventoryResult)
    results: list[MachineResults] = field(default_factory=list)
    refused_results: list[str] = field(default_factory=list)
    lifecycle: list[str] = field(default_factory=list)  # machines accepted on upgrade, machines pending

    @property
    def reused(self) -> int:
        return len(self.rows) - self.assessed

    @property
    def recorded_rows(self) -> list[MachineRow] | None:
        """The rows when this scan is the latest full scan on record (just recorded: the later steps need not
        read them again), else None."""
        return self.rows if self.kind == FULL and self.scan_id is not None else None

    @property
    def problems(self) -> list[str]:
        """Share-level problems a report lists: names skipped, client files refused, spool notes, and the
        groups of machines the clients' results show."""
        return self.share_problems + results_summary(self.results)

    @property
    def share_problems(self) -> list[str]:
        """Names skipped, client files refused, spool notes (the site report lists the results' machines itself)."""
        return [str(s) for s in self.inventory.skipped] + self.refused_results + [
            str(n) for n in of_kind(self.inventory.notes, SPOOL_LEFT)]


def read_machine_list(path: Path) -> list[str]:
    """Machine names, one per line (# comments allowed), like HFNetChk's -fh file."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise InputError(f"{path}: cannot read machine list: {e.strerror}") from e
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def _input_key(site_inputs: tuple[str, str], facts_hash: str, results: MachineResults | None, standing: str,
               stale_since: str | None) -> str:
    """What a machine's assessment is made from: its facts, SITE_INPUTS (the catalog's and the policy's
    fingerprints, the same for every machine of a scan), what its scripts reported, its standing."""
    return SCANS.key(facts_hash, *site_inputs, [p.to_dict() for p in results.problems()] if results else [],
                     standing, stale_since)


def scan(site: Site, machines: list[str] | None = None, *, record: bool | None = None, command: str = "scan",
         jobs: int | None = None, as_of: dt.datetime | None = None,
         inventoried: InventoryResult | None = None) -> ScanResult:
    """Assess the share's machines (all, or MACHINES) against the current catalog.

    RECORD defaults to: a full scan is recorded, a partial one is not.
    """
    with site.share.lock():
        catalog = site.catalog
        inv = inventoried or inventory(site.share, catalog, rules=site.rules, limits=site.limits, machines=machines,
                                       jobs=jobs, accounts=site.accounts)
        results, refused = collect_results(site.share, site.config.get("limits", "results_bytes"), site.accounts,
                                           inv.folders)  # the folders as the inventory listed them this run
        by_machine = {r.machine.casefold(): r for r in results}
        lifecycle = standings(site, inv)
        previous = site.history.latest_scan(FULL)
        before = {m.machine: m for m in site.history.machines(previous.id)} if previous else {}
        index = CatalogIndex.build(catalog)
        site_inputs = (site.catalog_sha, site.policy.fingerprint())  # once per scan, not per machine
        fresh: dict[str, Assessment] = {}
        assessed = 0
        kind = FULL if machines is None else PARTIAL
        record = kind == FULL if record is None else record
        plan = [_planned(machine, lifecycle.of(machine), inv, by_machine, before, site_inputs)
                for machine in inv.machines]
        todo = [p for p in plan if isinstance(p, ToAssess)]
        keep = not record or len(todo) <= KEEP_IN_MEMORY

        def machines_to_record():
            # a generator: each machine is assessed as the history records it, so 5,000 fresh
            # assessments never sit in memory at once
            nonlocal assessed
            made = assessments(todo, inv, index, site.policy, site.limits, jobs, keep)
            for planned in plan:
                bar.update(1)
                if planned is None:
                    continue  # retired: not the site's any more, not assessed, not shown
                if isinstance(planned, Recorded):
                    yield planned
                    continue
                recorded = next(made)
                assessed += 1
                if keep:
                    fresh[recorded.assessment.machine] = recorded.assessment
                yield recorded
            made.close()  # the workers, if any, end here

        with Progress("scan", len(inv.machines), "machine") as bar:
            if record:
                scan_id = site.history.record_scan(machines_to_record(), catalog.data_version, command, kind, as_of)
                rows = site.history.machines(scan_id)
            else:
                scan_id, rows = None, [_row(r) for r in machines_to_record()]
    return ScanResult(catalog.data_version, kind if record else "not recorded", scan_id, rows, fresh, assessed, inv,
                      results, refused, lifecycle.notices)


def _planned(machine: str, standing: str, inv: InventoryResult, by_machine: dict[str, MachineResults],
             before: dict[str, MachineRow], site_inputs: tuple[str, str]) -> Recorded | ToAssess | None:
    """MACHINE's last row reused when its assessment's inputs are as they were; else what assessing it needs;
    None when it is retired (not the site's any more: not assessed, not shown)."""
    if standing == RETIRED:
        return None
    mine = by_machine.get(machine.casefold())
    stale_since = inv.seen.get(machine) if machine in inv.stale else None
    key = _input_key(site_inputs, inv.hashes[machine], mine, standing, stale_since)
    old = before.get(machine)
    if old is not None and old.input_key == key:
        return Recorded(None, key, old)
    return ToAssess(machine, key, standing, stale_since, mine.problems() if mine is not None else [])


def _row(r: Recorded) -> MachineRow:
    """An unrecorded scan's row, made the way the history would have made it."""
    if r.reused is not None:
        return r.reused
    return r.encoded.row if r.encoded is not None else row_for(r.assessment, r.input_key)


def all_assessments(site: Site, result: ScanResult) -> list[Assessment]:
    """Every machine's assessment, in row order: those made now, and the rest from the history."""
    stored = site.history.assessments([r.assessment_key for r in result.rows if r.machine not in result.fresh])
    out = []
    for r in result.rows:
        a = result.fresh.get(r.machine) or stored.get(r.assessment_key)
        out.append(a or Assessment(r.machine, r.os, r.service_pack, error=r.error, status=r.status,
                                   status_detail=r.status_detail, role=r.role))
    return out


SCAN_FORMATS = ("text", "tab", "csv", "json", "html")


def render_scan(assessments: list[Assessment], result: ScanResult, fmt: str, *, verbose: bool = False,
                show_superseded: bool = False, baseline: bool = False) -> str:
    """The scan's report in FMT: HFNetChk's text or tab layout, CSV, JSON or a static HTML page."""
    opts = {"show_superseded": show_superseded, "baseline": baseline}
    if fmt == "text":
        return render_text(assessments, verbose=verbose, **opts)
    if fmt == "tab":
        return render_tab(assessments, **opts)
    if fmt == "csv":
        return render_csv(assessments, **opts)
    if fmt == "json":
        return render_json(assessments, result.catalog_version, result.scan_id)
    if fmt == "html":
        return render_html(assessments, result.catalog_version, **opts)
    raise UsageError(f"--format {fmt}: use {', '.join(SCAN_FORMATS)}")


def scan_findings(site: Site, result: ScanResult, threshold: str) -> list[str]:
    """What makes a scan (or the month) exit 1 at THRESHOLD: its findings at or above it, and every failure the
    clients' results report. A recorded scan's are read from its rows and missing findings, decoding no
    assessment (`hfstage month` asks this of all 5,000 machines every month)."""
    if threshold == "none":
        return []
    assessments = _missing_only(site, result) if result.scan_id is not None else all_assessments(site, result)
    return alarms(assessments, result.results, threshold)


def _missing_only(site: Site, result: ScanResult) -> list[Assessment]:
    """Every machine of recorded scan RESULT with its status and only its missing findings (all that decides an
    exit code), in row order, from the history's tables."""
    missing: dict[str, list[Finding]] = {}
    for f in site.history.findings(result.scan_id, MISSING):
        missing.setdefault(f.machine, []).append(Finding(
            f.machine, f.product, f.bulletin, f.patch, f.qnumber, f.title or "", f.status, f.reason,
            severity=f.severity, kind=f.kind, url=f.url, date_posted=f.date_posted))
    return [Assessment(r.machine, r.os, r.service_pack, findings=missing.get(r.machine, []), error=r.error,
                       status=r.status, status_detail=r.status_detail, role=r.role, standing=r.standing)
            for r in result.rows]
