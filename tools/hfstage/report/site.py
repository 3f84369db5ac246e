"""The site's static HTML report in SHARE\\reports\\: summary with trend, a page per machine and
bulletin, the plan, and the scan as text, CSV and JSON.

Pages are rewritten only when their content changed: a machine page is rendered again only
when the machine's assessment, its rollback or the catalog changed (or the report code: the
report memo's format version), so a month in which nothing changed touches a handful of files,
not 5,000.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import (
    COMPLIANT,
    INCOMPLETE,
    KIND_PATCH,
    MACHINE_STATUSES,
    NEEDS_PATCHES,
    NOT_COVERED,
    SERVICE_PACK_MISSING,
    SEVERITIES,
    UNREADABLE,
    UNVERIFIED,
    WAITING,
    Assessment,
    severity_rank,
)
from hfstage.history import FindingRow, MachineRow
from hfstage.inventory import ACCEPTED
from hfstage.report import findings as fmt
from hfstage.report.application_plan import MonthPlan, render_plan
from hfstage.report.compliance import percent, summary_counts
from hfstage.report.html import html_env
from hfstage.report.safe import csv_cell
from hfstage.report.svg import trend_chart
from hfstage.share import PUBLIC, REPORT, Record, Share, atomic_text_stream, id_problem, write_many

SCAN_FILES = "scan files"  # the report memo's item for scan.txt, scan.csv and scan.json
STATUS_CLASS = {COMPLIANT: "installed", NEEDS_PATCHES: "missing", SERVICE_PACK_MISSING: "missing",
                UNREADABLE: "error", INCOMPLETE: "warning", NOT_COVERED: "warning", UNVERIFIED: "warning",
                WAITING: "muted"}
CHUNK = 500  # assessments loaded at a time while streaming the whole-site files


@dataclass
class SiteView:
    """What the report shows: the scan's machine rows, its missing findings, and how to load assessments."""

    catalog_version: str
    scan_id: int
    machines: list[MachineRow]
    missing: list[FindingRow]
    load: Callable[[list[str]], dict[str, Assessment]]
    problems: list[str] = field(default_factory=list)
    rollback: dict[str, list[str]] = field(default_factory=dict)  # machine -> its rollback, newest first


@dataclass
class ReportResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    rendered_pages: int = 0
    skipped_pages: int = 0


def tiles(view: SiteView) -> dict:
    """The summary cards: the same numbers the trend plots (status compliant over the accepted machines; pending
    machines are shown and counted apart)."""
    counts: dict[str, int] = {}
    counted = [m for m in view.machines if m.standing == ACCEPTED]
    for m in counted:
        counts[m.status] = counts.get(m.status, 0) + 1
    names = {m.machine for m in counted}
    patches = [f for f in view.missing if f.kind == KIND_PATCH and f.machine in names]
    by_severity: dict[str, int] = {}
    for f in patches:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    compliant = counts.get(COMPLIANT, 0)
    return {"machines": len(counted), "compliant": compliant, "pending": len(view.machines) - len(counted),
            "percent_compliant": percent(compliant, len(counted)), "missing": len(patches),
            "severities": [(s, by_severity[s]) for s in SEVERITIES if s in by_severity],
            "by_status": [(s, counts[s]) for s in MACHINE_STATUSES if s in counts]}


def bulletins(missing: list[FindingRow]) -> list[dict]:
    found: dict[str, dict] = {}
    for f in missing:
        if id_problem(f.bulletin):
            continue  # a service pack finding, or an ID that cannot name a page
        b = found.setdefault(f.bulletin, {"id": f.bulletin, "title": f.title, "severity": f.severity, "url": f.url,
                                          "date_posted": f.date_posted, "machines": [], "cve": []})
        b["machines"].append(f)
        if severity_rank(f.severity) < severity_rank(b["severity"]):
            b["severity"] = f.severity
    return sorted(found.values(), key=lambda b: (severity_rank(b["severity"]), -len(b["machines"]), b["id"]))


def write_site_report(share: Share, view: SiteView, plan: MonthPlan, trend: list[dict]) -> ReportResult:
    """Bring SHARE\\reports\\ up to date with VIEW; only what changed is rendered and written."""
    folder = share.folder("reports")
    result = ReportResult(folder)
    record = share.record(REPORT)
    found = bulletins(view.missing)
    keys = _page_keys(view, found)
    todo = [name for name, key in keys.items() if not record.known(name, key) or not (folder / _file(name)).is_file()]
    record.begin(todo)  # nothing is vouched for while it is rewritten: a run killed mid-way renders it again
    env = html_env()
    common = {"catalog_version": view.catalog_version, "scan_id": view.scan_id, "status_class": STATUS_CLASS}
    pending = set(todo)
    _machines(folder, view, env, common, pending, result)
    _bulletin_pages(folder, found, env, common, pending, result)
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    index = env.get_template("index.html.j2").render(
        root="", machines=view.machines, tiles=tiles(view), bulletins=found, problems=view.problems,
        chart=trend_chart(trend), generated=generated, **common)
    templates = share.root / "templates"
    _write({folder / "index.html": index, folder / "plan.html": render_plan(plan, "html", templates),
            folder / "plan.md": render_plan(plan, "md", templates)}, result)
    _commit(record, keys)
    return result


def _page_keys(view: SiteView, found: list[dict]) -> dict[str, str]:
    """What each page (and the scan files) is rendered from, by its name below reports\\."""
    rollback = {machine.casefold(): lines for machine, lines in view.rollback.items()}
    keys = {SCAN_FILES: REPORT.key(view.catalog_version, [(m.machine, m.assessment_key) for m in view.machines])}
    for m in view.machines:
        keys[f"machines/{m.machine}.html"] = REPORT.key(view.catalog_version, m.assessment_key,
                                                        rollback.get(m.machine.casefold(), []))
    for b in found:
        keys[f"bulletins/{b['id']}.html"] = REPORT.key(view.catalog_version, view_rows(b))
    return keys


def _file(name: str) -> str:
    return "scan.json" if name == SCAN_FILES else name


def _commit(record: Record, keys: dict[str, str]) -> None:
    for name, key in keys.items():
        record.put(name, key)
    record.keep_only(keys)
    record.commit()


def _write(pages: dict[Path, str], result: ReportResult) -> None:
    """PAGES (path -> text) written where they changed, together (one sync for them all)."""
    result.written += write_many({path: text.encode("utf-8") for path, text in pages.items()}, PUBLIC)


def _machines(folder: Path, view: SiteView, env, common, pending: set[str], result: ReportResult) -> None:
    """Machine pages in PENDING and, when they are, scan.txt/csv/json: one pass over the assessments, CHUNK at
    a time (5,000 of them do not sit in memory at once)."""
    scan_files = SCAN_FILES in pending
    todo = {m.machine for m in view.machines if f"machines/{m.machine}.html" in pending}
    rollback = {machine.casefold(): lines for machine, lines in view.rollback.items()}
    rows = view.machines if scan_files else [m for m in view.machines if m.machine in todo]
    template = env.get_template("machine.html.j2")
    with _ScanFiles(folder, view) if scan_files else contextlib.nullcontext() as files:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start:start + CHUNK]
            loaded = view.load([m.assessment_key for m in chunk])
            pages = {}
            for m in chunk:
                a = loaded.get(m.assessment_key) or _from_row(m)
                if m.machine in todo:
                    pages[folder / "machines" / f"{m.machine}.html"] = template.render(
                        root="../", a=a, generated="", rollback=rollback.get(m.machine.casefold(), []), **common)
                if files is not None:
                    files.add(a)
            _write(pages, result)
    if scan_files:
        result.written += [folder / n for n in ("scan.txt", "scan.csv", "scan.json")]
    result.rendered_pages += len(todo)
    result.skipped_pages += len(view.machines) - len(todo)
    _remove_stale(folder / "machines", {f"{m.machine}.html" for m in view.machines})


def _from_row(m: MachineRow) -> Assessment:
    """A page for a machine recorded before hfstage kept whole assessments: its row is all there is."""
    return Assessment(m.machine, m.os, m.service_pack, error=m.error, status=m.status, status_detail=m.status_detail,
                      role=m.role, standing=m.standing, binding=m.binding)


def _bulletin_pages(folder: Path, found: list[dict], env, common, pending: set[str], result) -> None:
    pages = folder / "bulletins"
    template = env.get_template("bulletin.html.j2")
    _write({pages / f"{b['id']}.html": template.render(root="../", b=b, generated="", **common) for b in found
            if f"bulletins/{b['id']}.html" in pending}, result)
    _remove_stale(pages, {f"{b['id']}.html" for b in found})


def view_rows(b: dict) -> list:
    return [b["id"], b["title"], b["severity"], b["url"], b["date_posted"],
            [(f.machine, f.patch, f.product, f.reason) for f in b["machines"]]]


def _remove_stale(folder: Path, keep: set[str]) -> None:
    if not folder.is_dir():
        return
    for page in folder.glob("*.html"):
        if page.name not in keep:
            page.unlink(missing_ok=True)


class _ScanFiles:
    """scan.txt, scan.csv and scan.json of every machine, written as the assessments stream by."""

    def __init__(self, folder: Path, view: SiteView) -> None:
        self.folder, self.view, self.first = folder, view, True
        self.stack = contextlib.ExitStack()

    def __enter__(self) -> _ScanFiles:
        import csv

        self.txt = self.stack.enter_context(atomic_text_stream(self.folder / "scan.txt"))
        csv_fh = self.stack.enter_context(atomic_text_stream(self.folder / "scan.csv"))
        self.js = self.stack.enter_context(atomic_text_stream(self.folder / "scan.json"))
        self.csv = csv.writer(csv_fh, lineterminator="\n")
        self.csv.writerow(fmt.CSV_COLUMNS)
        head = {"scan_id": self.view.scan_id, "catalog_version": self.view.catalog_version}
        self.js.write(json.dumps(head)[:-1] + ', "machines": [')
        return self

    def add(self, a: Assessment) -> None:
        self.txt.write(fmt.render_text([a], verbose=True))
        self.csv.writerows([[csv_cell(c) for c in row] for row in fmt.csv_rows(a)])
        self.js.write(("" if self.first else ", ") + json.dumps(a.to_dict(), sort_keys=True))
        self.first = False

    def __exit__(self, *exc) -> bool:
        if exc[0] is None:
            counted = {m.machine for m in self.view.machines if m.standing == ACCEPTED}
            missing = [f for f in self.view.missing if f.machine in counted]
            summary = summary_counts(Counter(m.status for m in self.view.machines if m.machine in counted),
                                     [f.severity for f in missing if f.kind == KIND_PATCH],
                                     sum(f.kind != KIND_PATCH for f in missing))
            summary["pending"] = len(self.view.machines) - len(counted)
            self.js.write(f"], \"summary\": {json.dumps(summary, sort_keys=True)}}}\n")
        return self.stack.__exit__(*exc)
