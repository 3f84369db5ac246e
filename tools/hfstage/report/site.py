"""The site's static HTML report in SHARE\\reports\\: summary with trend, a page per machine and
bulletin, the plan, and the scan as text, CSV and JSON.

Pages are rewritten only when their content changed: a machine page is rendered again only
when the machine's assessment (or the catalog, or hfstage) changed, so a month in which
nothing changed touches a handful of files, not 5,000.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage import __version__
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
from hfstage.report import findings as fmt
from hfstage.report.application_plan import MonthPlan, render_plan
from hfstage.report.compliance import percent
from hfstage.report.html import html_env
from hfstage.report.safe import csv_cell
from hfstage.report.svg import trend_chart
from hfstage.share import PRIVATE, PUBLIC, Share, atomic_text_stream, atomic_write_text, id_problem, write_if_changed

KEYS_NAME = "report.json"
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


@dataclass
class ReportResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    rendered_pages: int = 0
    skipped_pages: int = 0


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps([__version__, *parts], sort_keys=True, default=str).encode()).hexdigest()


def tiles(view: SiteView) -> dict:
    """The summary cards: the same numbers the trend plots (status compliant over all machines)."""
    counts: dict[str, int] = {}
    for m in view.machines:
        counts[m.status] = counts.get(m.status, 0) + 1
    patches = [f for f in view.missing if f.kind == KIND_PATCH]
    by_severity: dict[str, int] = {}
    for f in patches:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    compliant = counts.get(COMPLIANT, 0)
    return {"machines": len(view.machines), "compliant": compliant,
            "percent_compliant": percent(compliant, len(view.machines)), "missing": len(patches),
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
    keys_path = share.state / KEYS_NAME
    try:
        old = json.loads(keys_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        old = {}
    keys: dict[str, str] = {}
    env = html_env()
    common = {"catalog_version": view.catalog_version, "scan_id": view.scan_id, "status_class": STATUS_CLASS}
    _machine_pages(folder, view, env, common, old, keys, result)
    found = bulletins(view.missing)
    _bulletin_pages(folder, found, env, common, old, keys, result)
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    index = env.get_template("index.html.j2").render(
        root="", machines=view.machines, tiles=tiles(view), bulletins=found, problems=view.problems,
        chart=trend_chart(trend), generated=generated, **common)
    _write(folder / "index.html", index, result)
    templates = share.root / "templates"
    _write(folder / "plan.html", render_plan(plan, "html", templates), result)
    _write(folder / "plan.md", render_plan(plan, "md", templates), result)
    whole = _key(view.catalog_version, [(m.machine, m.assessment_key) for m in view.machines])
    keys["scan files"] = whole
    if old.get("scan files") != whole or not (folder / "scan.json").is_file():
        _scan_files(folder, view)
        result.written += [folder / n for n in ("scan.txt", "scan.csv", "scan.json")]
    atomic_write_text(keys_path, json.dumps(keys, sort_keys=True), PRIVATE)
    return result


def _write(path: Path, text: str, result: ReportResult) -> None:
    if write_if_changed(path, text.encode("utf-8"), PUBLIC):
        result.written.append(path)


def _machine_pages(folder: Path, view: SiteView, env, common, old: dict, keys: dict, result: ReportResult) -> None:
    pages = folder / "machines"
    todo = []
    for m in view.machines:
        name = f"machines/{m.machine}.html"
        keys[name] = _key(view.catalog_version, m.assessment_key)
        if old.get(name) != keys[name] or not (folder / name).is_file():
            todo.append(m)
    template = env.get_template("machine.html.j2")
    for start in range(0, len(todo), CHUNK):
        chunk = todo[start:start + CHUNK]
        loaded = view.load([m.assessment_key for m in chunk])
        for m in chunk:
            a = loaded.get(m.assessment_key) or _from_row(m)
            _write(pages / f"{m.machine}.html", template.render(root="../", a=a, generated="", **common), result)
    result.rendered_pages += len(todo)
    result.skipped_pages += len(view.machines) - len(todo)
    _remove_stale(pages, {f"{m.machine}.html" for m in view.machines})


def _from_row(m: MachineRow) -> Assessment:
    """A page for a machine recorded before hfstage kept whole assessments: its row is all there is."""
    return Assessment(m.machine, m.os, m.service_pack, error=m.error, status=m.status, status_detail=m.status_detail,
                      role=m.role)


def _bulletin_pages(folder: Path, found: list[dict], env, common, old: dict, keys: dict, result) -> None:
    pages = folder / "bulletins"
    template = env.get_template("bulletin.html.j2")
    for b in found:
        name = f"bulletins/{b['id']}.html"
        keys[name] = _key(common["catalog_version"], view_rows(b))
        if old.get(name) != keys[name] or not (folder / name).is_file():
            _write(pages / f"{b['id']}.html", template.render(root="../", b=b, generated="", **common), result)
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


def _scan_files(folder: Path, view: SiteView) -> None:
    """scan.txt, scan.csv and scan.json of every machine, streamed CHUNK assessments at a time."""
    import csv

    with atomic_text_stream(folder / "scan.txt") as txt, atomic_text_stream(folder / "scan.csv") as csv_fh, \
            atomic_text_stream(folder / "scan.json") as js:
        writer = csv.writer(csv_fh, lineterminator="\n")
        writer.writerow(fmt.CSV_COLUMNS)
        js.write(json.dumps({"scan_id": view.scan_id, "catalog_version": view.catalog_version})[:-1]
                 + ', "machines": [')
        first = True
        for start in range(0, len(view.machines), CHUNK):
            chunk = view.machines[start:start + CHUNK]
            loaded = view.load([m.assessment_key for m in chunk])
            for m in chunk:
                a = loaded.get(m.assessment_key) or _from_row(m)
                txt.write(fmt.render_text([a], verbose=True))
                writer.writerows([[csv_cell(c) for c in row] for row in fmt.csv_rows(a)])
                js.write(("" if first else ", ") + json.dumps(a.to_dict(), sort_keys=True))
                first = False
        summary = {k: v for k, v in tiles(view).items() if k != "severities"}
        js.write(f"], \"summary\": {json.dumps(summary, sort_keys=True)}}}\n")
