"""`hfstage month`: the whole monthly routine, one step at a time, each step all or nothing.

site.ini is checked completely first; then catalog import -> catalog diff -> inventory ->
scan -> plan -> scripts -> reports, each handed what the step before it made. A step that
fails stops the routine; what earlier steps stored stays (each is complete on its own),
and the failing step leaves the share as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import (
    diff_catalogs,
    import_catalog,
    incoming_cabs,
    list_catalogs,
    no_cab,
    version_key,
)
from hfstage.errors import HfstageError, UsageError, os_fault
from hfstage.faults import crash_point
from hfstage.history import FindingRow
from hfstage.inventory import ACCEPTED, InventoryResult, inventory
from hfstage.notices import SPOOL_LEFT, of_kind
from hfstage.packages import fetch_list, load_installers, tool_list
from hfstage.pipeline.collector import month_collector
from hfstage.pipeline.month_summary import (
    dry_run_interrupted,
    interrupted_at,
    month_items,
    needs_lines,
    netlogon_item,
)
from hfstage.pipeline.packages import fetch_languages, write_fetch
from hfstage.pipeline.report_view import report_extras
from hfstage.pipeline.reporting import deployed_plan, month_plan, plan_base
from hfstage.pipeline.rollback import rollback_view
from hfstage.pipeline.runcontext import startup_notices
from hfstage.pipeline.scan import ScanResult, scan
from hfstage.pipeline.scripts import publish_set
from hfstage.pipeline.site import Site
from hfstage.report import Attention, MonthPlan, SiteView, trend, write_site_report
from hfstage.scripts import QCHAIN, GenerateResult
from hfstage.share import published_files
from hfstage.workers import cpu_seconds

STEPS = ("catalog import", "catalog diff", "inventory", "scan", "plan", "scripts", "reports")


class StepFailed(HfstageError):
    """A step of the monthly routine failed; earlier steps' results are kept."""


@dataclass
class MonthResult:
    report_folder: Path | None = None
    scan: ScanResult | None = None
    scripts: GenerateResult | None = None
    lines: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)  # what the admin must act on
    changes: list[str] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)  # name, wall, CPU and collector (gc) seconds, peak RSS (MiB)
    needs: list[Attention] = field(default_factory=list)  # what needs the admin: the summary ends with it
    inspected: object = None  # what a dry run's INSPECT found in the copy


@dataclass
class _State:
    inventory: InventoryResult | None = None
    imported: str | None = None
    base: MonthPlan | None = None  # the plan step's plan, made once: the scripts step adds what it published
    plan: MonthPlan | None = None
    fetch: list | None = None  # the packages the scripts need that hotfixes\\ lacks
    missing: list[FindingRow] | None = None  # the scan's missing findings, read once (scripts step) for the reports too


def month(site: Site, cab: Path | None = None, as_of: dt.datetime | None = None,
          say: Callable[[str], None] = print, adopt: bool = True, jobs: int | None = None) -> MonthResult:
    """Run every step on the SITE; SAY gets one line per step, then the notices."""
    result, state = MonthResult(), _State()
    site.check(names=False)  # what cannot work is refused before step 1; names are checked after the import

    def step(number: int, action: Callable[[], str]) -> None:
        name = STEPS[number - 1]
        start, cpu, collecting = time.perf_counter(), cpu_seconds(), collector.meter.seconds
        try:
            crash_point(f"step:{number}")
            detail = action()
            collector.settle()
        except HfstageError as e:
            failed = StepFailed(f"month stopped at step {number}/{len(STEPS)} ({name}): {e}; "
                                "the share is as it was before this step")
            failed.exit_code = e.exit_code  # a refused catalog still exits 5, a full disk 6
            raise failed from e
        except KeyboardInterrupt as e:
            raise interrupted_at(number, STEPS, site.share.root) from e
        wall = time.perf_counter() - start
        result.steps.append({"step": name, "wall": wall, "cpu": cpu_seconds() - cpu, "peak_rss_mib": _peak_rss_mib(),
                             "gc": collector.meter.seconds - collecting})
        line = f"[{number}/{len(STEPS)}] {name}: {detail} ({wall:.2f} s)"
        result.lines.append(line)
        say(line)

    with site.share.lock(), month_collector() as collector:  # the month's collector policy: collector.py
        site.share.remove_stale_temps()
        step(1, lambda: _import(site, cab, state, result))
        step(2, lambda: _diff(site))
        step(3, lambda: _inventory(site, state, adopt, jobs, result))
        step(4, lambda: _scan(site, state, as_of, jobs, result))
        step(5, lambda: _plan(site, result, state))
        step(6, lambda: _scripts(site, result, state))
        step(7, lambda: _reports(site, result, state, jobs))
    for notice in result.notices:
        say(notice)
    for line in needs_lines(result.needs):
        say(line)
    return result


def _peak_rss_mib() -> float:
    """Largest resident set so far, of this process or any one child, in MiB."""
    try:
        import resource
    except ImportError:  # Windows server
        return 0.0
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return peak / 1024  # Linux reports KiB


def _import(site: Site, cab: Path | None, state: _State, result: MonthResult) -> str:
    line = _import_cab(site, cab, state, result)
    # the policy's names, against the catalog this month uses
    result.notices += [f"WARNING: {warning}" for warning in site.check()]
    return line


def _import_cab(site: Site, cab: Path | None, state: _State, result: MonthResult) -> str:
    if cab is None and not incoming_cabs(site.share):
        if not list_catalogs(site.share):
            raise no_cab(site.share)
        current = site.current_version()
        newest = max((c.data_version for c in list_catalogs(site.share)), key=version_key)
        if newest != current:
            result.notices.append(f"WARNING: catalog {current} is in use (chosen with `hfstage catalog use`), "
                                  f"although {newest} is stored: `hfstage catalog use {site.share.root} {newest}` "
                                  "goes back to the newest")
        return f"nothing new in incoming; using the current catalog {current}"
    imported = import_catalog(site.share, Path(cab) if cab is not None else None, config=site.config)
    chosen = imported.source or Path(cab or "incoming")
    site.reload_catalog()
    state.imported = imported.catalog.data_version
    if imported.warning:
        result.notices.append(f"WARNING: {imported.warning}")
    if imported.override:
        result.notices.append(f"WARNING: catalog {imported.catalog.data_version} was imported with {imported.override}")
    result.notices += imported.left
    if imported.already_stored:
        what = "already imported: nothing new in incoming"
    else:
        what = "imported and verified" if imported.current else "imported, but not made current (older)"
    return f"{chosen.name}: catalog {imported.catalog.data_version} {what}; current: {site.current_version()}"


def _diff(site: Site) -> str:
    current = site.catalog
    if site.previous is None:
        return f"no earlier catalog to compare with {current.data_version}"
    d = diff_catalogs(site.previous, current)
    return (f"{d.old_version} -> {d.new_version}: {len(d.new_bulletins)} new, {len(d.revised_bulletins)} revised, "
            f"{len(d.removed_bulletins)} removed bulletins, {len(d.supersedence_changes)} supersedence changes")


def _inventory(site: Site, state: _State, adopt: bool, jobs: int | None, result: MonthResult) -> str:
    state.inventory = inv = inventory(site.share, site.catalog, rules=site.rules, limits=site.limits, adopt=adopt,
                                      jobs=jobs, accounts=site.accounts)
    result.notices += _capped([str(s) for s in inv.skipped] + [str(n) for n in of_kind(inv.notes, SPOOL_LEFT)])
    bad = inv.unreadable
    projected = f"{inv.projected} projected onto the new catalog, " if inv.projected else ""
    text = f"{len(inv.machines)} machines ({inv.read} read, {projected}{inv.cached} unchanged), {len(bad)} unreadable"
    if bad:
        text += ": " + ", ".join(bad[:20]) + (" ..." if len(bad) > 20 else "")
    if inv.skipped:
        text += f"; {len(inv.skipped)} folder name(s) skipped: " + ", ".join(s.name for s in inv.skipped[:10])
    if inv.stale:
        stale = sorted(inv.stale, key=str.casefold)
        result.notices.append(f"{len(stale)} machine(s) whose collector could not replace their files (stale "
                              f"since the time shown in the report): {', '.join(stale[:20])}"
                              + (" ..." if len(stale) > 20 else "") + f"; `hfstage share provision "
                              f"{site.share.root}` gives each folder to its machine's account")
    return text


def _capped(lines: list[str], limit: int = 20) -> list[str]:
    """LINES, or the first LIMIT of them and a pointer to the report, where all are listed."""
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"... and {len(lines) - limit} more: every one is listed in the report"]


def _scan(site: Site, state: _State, as_of, jobs: int | None, result: MonthResult) -> str:
    result.scan = s = scan(site, command="month", as_of=as_of, inventoried=state.inventory, jobs=jobs)
    result.notices += s.lifecycle + _capped(s.refused_results)
    fresh = {r.assessment_key: s.fresh[r.machine] for r in s.rows if r.machine in s.fresh}
    result.notices += startup_notices(s.rows, lambda keys: _load(site, fresh, keys))
    counts: dict[str, int] = {}
    counted = [r for r in s.rows if r.standing == ACCEPTED]
    for row in counted:
        counts[row.status] = counts.get(row.status, 0) + 1
    missing = sum(r.missing for r in counted)
    pending = len(s.rows) - len(counted)
    return (f"scan {s.scan_id}: {missing} missing patches; " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
            + (f"; {pending} pending, not counted" if pending else "") + f" ({s.assessed} assessed, {s.reused} "
            "unchanged)")


def _plan(site: Site, result: MonthResult, state: _State) -> str:
    state.base = plan = plan_base(site)
    return f"{len(plan.items)} new or revised patches, {len(plan.applicable)} applicable here"


def _scripts(site: Site, result: MonthResult, state: _State) -> str:
    """The month's scripts and collectors, published as one generation once the fetch list is written too."""
    release = site.start_release()
    with release.guarded():
        state.missing = site.history.findings(result.scan.scan_id, "missing")
        fetch = fetch_list(state.missing, site.catalog, site.book.index, site.scripts.service_packs)
        fresh = {row.assessment_key: result.scan.fresh[row.machine] for row in result.scan.rows
                 if row.machine in result.scan.fresh}
        listed = state.inventory.machines if state.inventory is not None else None  # not listed twice
        r, collectors = publish_set(site, result.scan.rows, results=result.scan.results, release=release,
                                    load=lambda keys: _load(site, fresh, keys), listed=listed,
                                    latest_rows=result.scan.recorded_rows)
        result.scripts = r
        if collectors is None:
            raise UsageError(f"{r.problems[0]} (and {len(r.problems) - 1} more); no script was written")
        if collectors.problems:
            raise UsageError(f"{collectors.problems[0]} (and {len(collectors.problems) - 1} more); no collector "
                             "was written")
        unavailable = fetch_languages(site, result.scan.rows, fetch, result.scan.fresh, r.languages)
        tools = tool_list(r.tools, load_installers()["tool_sources"])  # qchain.exe, shutdown.exe: packages too
        unavailable += tools
        try:
            write_fetch(site, unavailable)
        except (HfstageError, OSError) as e:  # reports\ read-only, say: no client sees any of this month yet
            fault = os_fault(e.filename, e, "write") if isinstance(e, OSError) else e
            raise type(fault)(f"{fault}; {release.unchanged_text()}") from e
        r.generation = release.publish()
    # the contract: what the set just published installs, per machine
    state.plan = deployed_plan(site, state.base, result.scan.recorded_rows)
    result.notices += collectors.collected_changes
    result.notices += _waiting(site, state.plan)
    state.fetch = unavailable  # the report names them, and the machines that need them ("what needs you")
    for tool in tools:
        result.notices.append(f"{tool.file} is not under hotfixes\\ but {tool.machines} machine script(s) need it: "
                              + ("they install one package per restart instead (KB 296861)" if tool.file == QCHAIN
                                 else "they do not restart the machine; they report reboot-required"))
    result.notices += r.changed
    result.needs += month_items(r, site.share.root, site.share.folder("netlogon"), sorted(r.unconfirmed))
    servers = [p.machine for p in r.plans if p.steps and p.role != "workstation"]
    if servers and site.scripts.window is None:
        result.notices.append(f"{len(servers)} server(s) or domain controller(s) will install at their next startup "
                              f"or logon ({', '.join(servers[:5])}{' ...' if len(servers) > 5 else ''}): site.ini "
                              "sets no [maintenance] window (they never restart on their own)")
    if r.dispatcher_changed or any(p.parent == site.share.folder("netlogon") for p in collectors.written):
        result.needs.append(netlogon_item(site.share.root, site.share.folder("netlogon")))
    scripted = len([p for p in r.plans if p.steps])
    published = f"published as scripts\\{r.generation}" if r.generation else "the published set is unchanged"
    return (f"{scripted} machine scripts made; {len(r.written)} files written, {len(r.unchanged)} unchanged, "
            f"{r.skipped} machines unchanged ({published}); {len(unavailable)} packages not found under hotfixes")


def _waiting(site: Site, plan: MonthPlan) -> list[str]:
    """What waits for an admin's approval ([approval] mode = manual): each patch and the machines it would reach."""
    if not plan.waiting:
        return []
    items = sorted(plan.waiting.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    shown = [f"{b} {q} {p} ({len(ms)} machine(s): {', '.join(ms[:5])}{' ...' if len(ms) > 5 else ''})"
             for (b, q, p), ms in items[:10]]
    return [f"{len(items)} patch(es) wait for approval: " + "; ".join(shown) + (" ..." if len(items) > 10 else "")
            + f"; `hfstage approve {site.share.root} ID --ring RING` (hfstage approve {site.share.root} --list)"]


def site_report(site: Site, s: ScanResult, plan: MonthPlan | None = None, fetch: list | None = None,
                made: GenerateResult | None = None, jobs: int | None = None,
                missing: list[FindingRow] | None = None):
    """SHARE\\reports from full scan S (and the month's PLAN, else the plan for the current catalog): what
    `month` ends with, and what a full `scan` refreshes, so the HTML never shows an older record. FETCH: the
    packages missing, when the caller knows them; MADE: the scripts made from S in this run (their machines'
    plans are not made twice); MISSING: S's missing findings, when the caller has them (else read once here)."""
    fresh = {r.assessment_key: s.fresh[r.machine] for r in s.rows if r.machine in s.fresh}
    if missing is None:
        missing = site.history.findings(s.scan_id, "missing")
    extras = report_extras(site, s.rows, missing, s.inventory, s.results, fetch,
                           made.plans if made is not None else None)
    view = SiteView(s.catalog_version, s.scan_id, s.rows, missing,
                    lambda keys: _load(site, fresh, keys), s.share_problems, rollback_view(site), extras,
                    lambda keys: site.history.assessment_blobs(k for k in keys if k not in fresh), jobs,
                    site.limits.worker_memory_mib)
    with site.share.lock():
        return write_site_report(site.share, view, plan or month_plan(site), trend(site.history))


def _reports(site: Site, result: MonthResult, state: _State, jobs: int | None) -> str:
    s = result.scan
    written = site_report(site, s, state.plan, state.fetch, result.scripts, jobs, state.missing)
    result.report_folder = written.folder
    result.needs += written.attention
    return (f"{written.folder / 'index.html'} ({len(written.written)} files written, {written.rendered_pages} "
            f"machine pages rendered, {written.skipped_pages} unchanged)")


def _load(site: Site, fresh: dict, keys: list[str]) -> dict:
    """Assessments by key: the ones made in this run from memory, the rest from the history."""
    out = {k: fresh[k] for k in keys if k in fresh}
    rest = [k for k in keys if k not in out]
    return {**out, **(site.history.assessments(rest) if rest else {})}


# --- dry run ----------------------------------------------------------------------------

# hfstage's own folders are copied (the month writes them); what it only reads is linked, the client folders
# above all: inventory\ and results\ are then read in the copy through the client-file rules exactly as the
# real month reads them (a FIFO refused, a sparse 1 GiB log refused by its size, never copied whole).
_COPIED = ("catalogs", "trust", "state", "scripts", "netlogon", "reports", "templates")
_LINKED = ("incoming", "inventory", "results", "hotfixes")


def dry_run_month(site: Site, cab: Path | None = None, say: Callable[[str], None] = print,
                  inspect: Callable[[Site, MonthResult], object] | None = None) -> MonthResult:
    """The whole month in a temporary copy of the share; report what would change in it. INSPECT runs on
    the copy before it goes (its answer in result.inspected), so a dry run can exit as the real one would.

    The share's lock is held, so the copy is of one consistent share and no run writes it meanwhile;
    the copy lives in state/ (a killed dry run's copy is swept by the next run)."""
    import shutil

    from hfstage.share import LOCK, SCRATCH, Share

    root = site.share.root
    with site.share.lock(), site.share.scratch("dry-run") as tmp:
        copy = tmp / "share"
        copy.mkdir()
        for name in _COPIED:
            if (root / name).is_dir():
                shutil.copytree(root / name, copy / name, symlinks=True,
                                ignore=shutil.ignore_patterns(LOCK.name, SCRATCH.name))
        for name in _LINKED:
            (copy / name).symlink_to((root / name).resolve(), target_is_directory=True)
        if site.share.site_ini.is_file():
            shutil.copyfile(site.share.site_ini, copy / "site.ini")
        def here(text: str) -> str:  # name the admin's share, not the temporary copy
            return text.replace(str(copy), str(root))

        try:
            copied = Site(Share(copy))
            result = month(copied, cab, say=lambda line: say(here(line)), adopt=False)
            result.inspected = inspect(copied, result) if inspect else None
        except HfstageError as e:
            e.args = (here(str(e)),)
            raise
        except KeyboardInterrupt as e:
            raise dry_run_interrupted(e) from e
        result.lines = [here(line) for line in result.lines]
        result.notices = [here(line) for line in result.notices]
        result.needs = [dataclasses.replace(a, text=here(a.text), command=here(a.command)) for a in result.needs]
        result.changes += _set_changes(root / "scripts", copy / "scripts")
        for name in ("netlogon", "reports"):
            result.changes += _changes(root / name, copy / name, name)
        result.report_folder = None
    return result


def _set_changes(old: Path, new: Path) -> list[str]:
    """What clients would run differently: the published set of scripts\\ before and after, file by file."""
    before, after = published_files(old), published_files(new)
    out = [f"would add scripts/{n}" for n in sorted(after.keys() - before.keys())]
    out += [f"would change scripts/{n}" for n in sorted(after.keys() & before.keys())
            if after[n].read_bytes() != before[n].read_bytes()]
    return out + [f"would remove scripts/{n}" for n in sorted(before.keys() - after.keys())]


def _changes(old: Path, new: Path, label: str) -> list[str]:
    import filecmp

    out = []
    old_files = {p.relative_to(old) for p in old.rglob("*") if p.is_file()} if old.is_dir() else set()
    new_files = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    for rel in sorted(new_files - old_files):
        out.append(f"would add {label}/{rel}")
    for rel in sorted(new_files & old_files):
        if not filecmp.cmp(old / rel, new / rel, shallow=False):
            out.append(f"would change {label}/{rel}")
    return out
