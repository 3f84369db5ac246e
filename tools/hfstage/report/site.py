"""The site's static HTML report in SHARE\\reports\\: summary with trend, a page per machine and
bulletin, the plan, and the scan as text, CSV and JSON.

Pages are rewritten only when their content changed: a machine page is looked at again only
when the machine's assessment, its rollback, what its page shows beside them (script, results,
evidence, stale or not) or the catalog entries its script's plan reads changed (page_catalog; or the
report code: the report memo's format version), and
written again only when what it shows did (its SHA-256, `page_shows`; the catalog's version is not on it), so a month
in which nothing changed touches a handful of files, not 5,000, and neither does Patch Tuesday's month for
the machines its new bulletins leave as they were. When a machine last reported is on the machine lists
(with its stale badge, which its page keeps): a client that drops the same facts again changes one column
there, not its page.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
from collections.abc import Callable, Iterator
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
from hfstage.progress import Progress
from hfstage.report.application_plan import MonthPlan, render_plan
from hfstage.report.approvals import Approvals
from hfstage.report.attention import Attention, Situation
from hfstage.report.bulletin_info import BulletinInfo
from hfstage.report.compiled import CompiledTemplates, compiled_templates
from hfstage.report.compliance import percent
from hfstage.report.html import html_env
from hfstage.report.machine_draw import POOL_THRESHOLD, WORKER_MEMORY_MIB, Drawing, Easel, drawn
from hfstage.report.page_catalog import PageCatalog, memo_value
from hfstage.report.page_catalog import shown as shown_key
from hfstage.report.ranking import bulletin_order
from hfstage.report.scan_files import NAMES as SCAN_NAMES
from hfstage.report.scan_files import ScanFiles, head_at, retitle
from hfstage.report.site_index import (
    MACHINES_CSV,
    MACHINES_JS,
    SiteExtras,
    assets,
    index_context,
    list_names,
    list_pages,
    machines_csv,
    machines_js,
    stale_lists,
)
from hfstage.report.svg import trend_chart
from hfstage.share import COMPILED_TEMPLATES, PUBLIC, REPORT, Record, Share, id_problem, write_many
from hfstage.workers import pool_size

SCAN_FILES = "scan files"  # the report memo's item for scan.txt, scan.csv and scan.json
SCAN_NAMED = "scan named"  # the report memo's item for the scan scan.json's head names (a new one every month)
LISTS = "lists"  # the report memo's item for lists\\*.html, machines.js and machines.csv
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
    extras: SiteExtras = field(default_factory=SiteExtras)  # results, evidence seen, scripts, bulletins' text
    # stored assessments by key as the history keeps them (scan.json's entry of each, byte for byte), for those
    # `load` would read back from it; None: every entry is encoded from its assessment
    blobs: Callable[[list[str]], dict[str, bytes]] | None = None
    jobs: int | None = None  # processes drawing the machines (None: one per core past machine_draw.POOL_THRESHOLD)
    memory_mib: int = WORKER_MEMORY_MIB  # each one's address space ([limits] worker_memory_mib)


@dataclass
class ReportResult:
    folder: Path
    written: list[Path] = field(default_factory=list)
    rendered_pages: int = 0
    skipped_pages: int = 0
    attention: list[Attention] = field(default_factory=list)  # what needs the admin, as the index lists it
    undrawn: list[str] = field(default_factory=list)  # memo items whose drawing died: vouched for by no key


def tiles(view: SiteView) -> dict:
    """The summary cards: the same numbers the trend plots (status compliant over the accepted machines; pending
    machines are shown and counted apart); a missing service pack is counted as one, by the accepted machines
    that miss it, never as a missing patch."""
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
            "service_packs": len({f.machine for f in view.missing if f.kind != KIND_PATCH and f.machine in names}),
            "severities": [(s, by_severity[s]) for s in SEVERITIES if s in by_severity],
            "by_status": [(s, counts[s]) for s in MACHINE_STATUSES if s in counts]}


def bulletins(missing: list[FindingRow], info: dict[str, BulletinInfo] | None = None,
              approvals: Approvals | None = None) -> list[dict]:
    """The bulletins missing somewhere, most severe first, then the most machines (service packs are not
    bulletins: the index counts and lists them as service packs); APPROVALS: each machine's approval state, and
    per ring (site.ini's order, then all) the states of its machines."""
    approvals = approvals or Approvals()
    found: dict[str, dict] = {}
    unnamed = {b for b in {f.bulletin for f in missing} if id_problem(b)}  # one check per ID, not per finding
    for f in missing:
        if f.kind != KIND_PATCH or f.bulletin in unnamed:
            continue  # a service pack finding, or an ID that cannot name a page
        b = found.setdefault(f.bulletin, {"id": f.bulletin, "title": f.title, "severity": f.severity, "url": f.url,
                                          "date_posted": f.date_posted, "machines": [], "cve": [],
                                          "info": (info or {}).get(f.bulletin), "approval": {}, "rings": {}})
        b["machines"].append(f)
        b["approval"][(f.machine, f.patch)] = approvals.of(f)
        b["rings"].setdefault(approvals.gate.ring_of(f.machine), set()).add(approvals.of(f))
        if severity_rank(f.severity) < severity_rank(b["severity"]):
            b["severity"] = f.severity
    for b in found.values():
        b["count"] = len({f.machine for f in b["machines"]})
        b["rings"] = [(ring, sorted(b["rings"][ring])) for ring in approvals.rings() if ring in b["rings"]]
    return sorted(found.values(), key=lambda b: bulletin_order(b["severity"], b["count"], b["id"]))


def write_site_report(share: Share, view: SiteView, plan: MonthPlan, trend: list[dict]) -> ReportResult:
    """Bring SHARE\\reports\\ up to date with VIEW; only what changed is rendered and written, with the templates
    compiled in an earlier run (report.compiled)."""
    with compiled_templates(share.state_file(COMPILED_TEMPLATES)) as compiled:
        return _write_site_report(share, view, plan, trend, compiled)


def _write_site_report(share: Share, view: SiteView, plan: MonthPlan, trend: list[dict],
                       compiled: CompiledTemplates) -> ReportResult:
    folder = share.folder("reports")
    result = ReportResult(folder)
    record = share.record(REPORT)
    found = bulletins(view.missing, view.extras.bulletins, view.extras.approvals)
    situation = view.extras.situation or Situation(view.machines)
    front = index_context(situation, view.missing, view.extras.share, view.extras.approvals, plan.waiting)
    entries = PageCatalog(view.extras.page)
    keys = _page_keys(view, found, entries, record)
    keys[LISTS] = REPORT.key(view.catalog_version, view.extras.share, [list(vars(m).values()) for m in front["lines"]],
                             [(a.kind, a.text) for a in front["attention"]], front["labels"])
    present = _present(folder)
    todo = [name for name, key in keys.items() if not record.known(name, key) or not _made(present, name, front)]
    if SCAN_NAMED in todo and SCAN_FILES not in todo and not head_at(folder, record.value(SCAN_FILES)):
        todo.append(SCAN_FILES)  # scan.json's head is not where the memo says: the three files are made again
    shown = {name: record.value(name) for name in todo if name in present}  # what those pages show now
    shown[SCAN_FILES] = record.value(SCAN_FILES)  # the fragments' spans in the scan files as they are now
    record.begin(todo)  # nothing is vouched for while it is rewritten: a run killed mid-way renders it again
    env = html_env()
    common = {"catalog_version": view.catalog_version, "scan_id": view.scan_id, "status_class": STATUS_CLASS,
              "share": view.extras.share, "scripts_now": view.extras.scripts_now}
    pending = set(todo)
    values = {name: record.value(name) for name in keys if name not in pending}
    _machines(folder, view, {**common, "stale_days": situation.stale_days}, pending, shown, values, result)
    _rekey_drawn(view, entries, pending, values, keys)
    _bulletin_pages(folder, found, env, common, pending, result)
    _front(folder, view, env, common, found, trend_chart(trend), result, situation, front, LISTS in pending)
    templates = share.root / "templates"
    _write({folder / "plan.html": render_plan(plan, "html", templates, compiled),
            folder / "plan.md": render_plan(plan, "md", templates, compiled)}, result)
    for name in result.undrawn:  # drawn again next time
        keys.pop(name, None)
    _commit(record, keys, values)
    return result


def _front(folder: Path, view: SiteView, env, common: dict, found: list[dict], chart: str, result,
           situation: Situation, front: dict, lists: bool) -> None:
    """index.html (every time: it names the scan) and report.js; with LISTS, the machine lists, machines.js and
    machines.csv (made again only when a machine's line or the attention list changed: 5,000 machines make 31
    list pages)."""
    result.attention = front["attention"]
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    pages = list_pages(env, front["lists"], {**common, "labels": front["labels"]}) if lists else {}
    pages["index.html"] = env.get_template("index.html.j2").render(
        root="", machines=view.machines, tiles=tiles(view), bulletins=found, problems=view.problems, chart=chart,
        generated=generated, stale_days=situation.stale_days, **front, **common)
    if lists:
        pages[MACHINES_JS] = machines_js(front["lines"], front["labels"])
        pages[MACHINES_CSV] = machines_csv(front["lines"], front["labels"])
    pages.update(assets())
    _write({folder / name: text for name, text in pages.items()}, result)
    for old in stale_lists(folder, set(list_names(front["lists"]))):
        old.unlink(missing_ok=True)


def _page_keys(view: SiteView, found: list[dict], entries: PageCatalog, record: Record) -> dict[str, str]:
    """What each page (and the scan files) is rendered from, by its name below reports\\: a machine page also
    from what the pipeline gathered beside its assessment (script, results, evidence, last seen)."""
    keys = {SCAN_FILES: REPORT.key(view.catalog_version, [(m.machine, m.assessment_key) for m in view.machines]),
            SCAN_NAMED: REPORT.key(view.scan_id, view.catalog_version)}
    rollback = {machine.casefold(): lines for machine, lines in view.rollback.items()}
    for m in view.machines:
        name = f"machines/{m.machine}.html"
        keys[name] = _machine_key(view, m, entries.key(record.value(name)), rollback)
    shared = [view.extras.share, view.extras.scripts_now]
    for b in found:  # what a bulletin page shows, no more: a new catalog that leaves its rows redraws none
        keys[f"bulletins/{b['id']}.html"] = REPORT.key(view_rows(b), shared)
    return keys


def _machine_key(view: SiteView, m: MachineRow, entries: list | None, rollback: dict[str, list[str]]) -> str:
    """What M's page is made from: its assessment (its key is its content's SHA-256), the catalog entries its
    script's plan reads (ENTRIES, page_catalog; None: not known, then the catalog's version), its rollback, what
    is on every page (the share's path, where scripts stand) and what the pipeline gathered beside it."""
    shared = [view.extras.share, view.extras.scripts_now]
    catalog = ["entries", entries] if entries is not None else view.catalog_version
    return REPORT.key(catalog, m.assessment_key, rollback.get(m.machine.casefold(), []), shared,
                      view.extras.page_keys.get(m.machine, ""))


def _rekey_drawn(view: SiteView, entries: PageCatalog, pending: set[str], values: dict, keys: dict) -> None:
    """The keys of the machine pages drawn in this run, on the entries their plans read now (their memo values):
    the next report keys them on the same."""
    rollback = {machine.casefold(): lines for machine, lines in view.rollback.items()}
    for m in view.machines:
        name = f"machines/{m.machine}.html"
        if name in pending and name in values:
            keys[name] = _machine_key(view, m, entries.key(values[name]), rollback)


def _present(folder: Path) -> set[str]:
    """The files below FOLDER (reports\\) and its folders of pages, as the memo names them ("machines/PC1.html"):
    one listing per folder, not a stat per page (5,000 machine pages)."""
    present = set()
    for sub in ("", "machines/", "bulletins/", "lists/"):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(folder / sub) as found:
            present.update(sub + entry.name for entry in found if entry.is_file())
    return present


def _made(present: set[str], name: str, front: dict) -> bool:
    """Whether the files of memo item NAME are all PRESENT (someone may have removed one since)."""
    if name in (SCAN_FILES, SCAN_NAMED):
        return all(f in present for f in SCAN_NAMES)
    if name == LISTS:
        return all(f in present for f in (MACHINES_JS, MACHINES_CSV, *list_names(front["lists"])))
    return name in present


def _commit(record: Record, keys: dict[str, str], values: dict[str, object]) -> None:
    for name, key in keys.items():
        record.put(name, key, values.get(name))
    record.keep_only(keys)
    record.commit()


def _write(pages: dict[Path, str | bytes], result: ReportResult) -> None:
    """PAGES (path -> text, or its UTF-8 as a machine page is drawn) written where they changed, together (one sync
    for them all)."""
    result.written += write_many({path: text if isinstance(text, bytes) else text.encode("utf-8")
                                  for path, text in pages.items()}, PUBLIC)


def _machines(folder: Path, view: SiteView, common, pending: set[str], shown: dict, values: dict,
              result: ReportResult) -> None:
    """Machine pages in PENDING and, when they are, scan.txt/csv/json: one pass over the assessments, CHUNK at
    a time (5,000 of them are not decoded at once), drawn here or in workers (machine_draw). A page whose inputs
    changed but not what it shows (a new catalog that leaves the machine as it was) is not rendered again: SHOWN
    holds the key of what each page showed when it was written (a memo value), VALUES receives the new ones."""
    scan_files = SCAN_FILES in pending
    todo = {m.machine for m in view.machines if f"machines/{m.machine}.html" in pending}
    rows = view.machines if scan_files else [m for m in view.machines if m.machine in todo]
    common = {**common, "catalog_version": ""}  # what a page shows of the catalog is in its findings and script
    easel = Easel(common, view.extras.page)
    rendered = 0
    files = ScanFiles(folder, view.catalog_version, view.scan_id, view.machines, view.missing,
                      shown.get(SCAN_FILES)) if scan_files else None
    pages: dict[Path, str | bytes] = {}
    with files or contextlib.nullcontext(), Progress("reports", len(rows), "machine") as bar:
        # (which fragments are made is known once the files are open: their spans)
        wanted = [m for m in rows if m.machine in todo or (files is not None and not files.reusable(m))]
        workers = pool_size(len(wanted), view.jobs, POOL_THRESHOLD)
        made = drawn(_drawings(view, wanted, todo, shown, files), easel, workers, view.memory_mib)
        drawing = {m.machine for m in wanted}
        for m in rows:
            one = next(made) if m.machine in drawing else None
            if one is not None and m.machine in todo:
                name = f"machines/{m.machine}.html"
                values[name] = memo_value(one.shows, one.reads)
                if one.html is not None:
                    pages[folder / name] = one.html
                    rendered += 1
                if one.died:
                    result.undrawn.append(name)
            if files is not None:
                files.put(m, one.parts if one is not None else None, one is not None and one.stored)
                if one is not None and one.died:
                    result.undrawn.append(SCAN_FILES)
            if len(pages) >= CHUNK:
                _write(pages, result)  # one sync for them all
                pages = {}
            bar.update(1)
        _write(pages, result)
    if files is not None:
        result.written += [folder / n for n in SCAN_NAMES]
        values[SCAN_FILES] = files.memo_value()
    elif SCAN_NAMED in pending:  # the fragments stand; the head names this scan (checked by `head_at`)
        values[SCAN_FILES] = retitle(folder, view.scan_id, view.catalog_version, values[SCAN_FILES])
        result.written.append(folder / SCAN_NAMES[2])
    result.rendered_pages += rendered
    result.skipped_pages += len(view.machines) - rendered
    _remove_stale(folder / "machines", {f"{m.machine}.html" for m in view.machines})


def _drawings(view: SiteView, wanted: list[MachineRow], todo: set[str], shown: dict, files) -> Iterator[Drawing]:
    """What drawing each of WANTED needs, its assessment loaded CHUNK machines at a time."""
    rollback = {machine.casefold(): lines for machine, lines in view.rollback.items()}
    mine = getattr(view.extras.page, "mine", None)
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        blobs, loaded = _sources(view, [m.assessment_key for m in chunk])
        for m in chunk:
            yield Drawing(m, blobs.get(m.assessment_key) or loaded.get(m.assessment_key), m.machine in todo,
                          shown_key(shown.get(f"machines/{m.machine}.html")),
                          files is not None and not files.reusable(m),
                          rollback.get(m.machine.casefold(), []), mine(m.machine) if mine else None)


def _sources(view: SiteView, keys: list[str]) -> tuple[dict[str, bytes], dict[str, Assessment]]:
    """The stored JSON of the assessments of KEYS the history holds (decoded once, where they are drawn: it is
    also their scan.json entry), and the rest (made in this run) as they are."""
    blobs = view.blobs(keys) if view.blobs is not None else {}
    rest = [key for key in keys if key not in blobs]
    return blobs, (view.load(rest) if rest else {})


def _bulletin_pages(folder: Path, found: list[dict], env, common, pending: set[str], result) -> None:
    """The bulletin pages in PENDING. A page names no catalog version (the index does), as a machine page: its
    key is then what it shows (`view_rows`), and Patch Tuesday's month redraws only the bulletins it changed."""
    pages = folder / "bulletins"
    template = env.get_template("bulletin.html.j2")
    common = {**common, "catalog_version": ""}
    _write({pages / f"{b['id']}.html": template.render(root="../", b=b, generated="", **common) for b in found
            if f"bulletins/{b['id']}.html" in pending}, result)
    _remove_stale(pages, {f"{b['id']}.html" for b in found})


def view_rows(b: dict) -> list:
    """Everything a bulletin page shows of bulletin B (its count is its machines'), as its page key."""
    return [b["id"], b["title"], b["severity"], b["url"], b["date_posted"],
            [(f.machine, f.patch, f.product, f.reason, b["approval"].get((f.machine, f.patch))) for f in b["machines"]],
            b.get("rings"),
            dataclasses.asdict(b["info"]) if b.get("info") else None]


def _remove_stale(folder: Path, keep: set[str]) -> None:
    if not folder.is_dir():
        return
    for page in folder.glob("*.html"):
        if page.name not in keep:
            page.unlink(missing_ok=True)
