"""`hfstage month`: the whole monthly routine, one step at a time, each step all or nothing.

catalog import -> catalog diff -> inventory -> scan -> plan -> scripts -> reports. A step
that fails stops the routine; what earlier steps stored stays (each is complete on its
own), and the failing step leaves the share as it was.
"""

from __future__ import annotations

import datetime as dt
import filecmp
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess.scan import ScanResult, run_scan
from hfstage.catalog.diff import diff_catalogs
from hfstage.catalog.importer import import_catalog
from hfstage.catalog.store import list_catalogs
from hfstage.errors import HfstageError, UsageError
from hfstage.fsutil import staged_dir
from hfstage.report.plan import build_plan
from hfstage.report.site import write_site_report
from hfstage.scripts.generate import generate_scripts
from hfstage.share import Share

STEPS = ("catalog import", "catalog diff", "inventory", "scan", "plan", "scripts", "reports")


class StepFailed(HfstageError):
    """A step of the monthly routine failed; earlier steps' results are kept."""


@dataclass
class MonthResult:
    report_folder: Path | None = None
    scan: ScanResult | None = None
    lines: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    steps: list[dict] = field(default_factory=list)  # name, wall and CPU seconds, peak RSS (MiB)


def _incoming_cab(share: Share, cab: Path | None) -> Path | None:
    if cab is not None:
        return Path(cab)
    cabs = [p for p in share.folder("incoming").iterdir() if p.suffix.lower() == ".cab" and p.is_file()]
    return max(cabs, key=lambda p: (p.stat().st_mtime, p.name)) if cabs else None


def run_month(share: Share, cab: Path | None = None, as_of: dt.datetime | None = None,
              say: Callable[[str], None] = print, adopt: bool = True) -> MonthResult:
    """Run every step on SHARE; SAY gets one line per step."""
    share.check()
    result = MonthResult()
    state: dict = {}

    def step(number: int, action: Callable[[], str]) -> None:
        name = STEPS[number - 1]
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            detail = action()
        except HfstageError as e:
            failed = StepFailed(f"month stopped at step {number}/{len(STEPS)} ({name}): {e}; "
                                "the share is as it was before this step")
            failed.exit_code = e.exit_code  # a refused catalog still exits 5
            raise failed from e
        wall = time.perf_counter() - start
        result.steps.append({"step": name, "wall": wall, "cpu": _cpu_seconds() - cpu, "peak_rss_mib": _peak_rss_mib()})
        line = f"[{number}/{len(STEPS)}] {name}: {detail} ({wall:.2f} s)"
        result.lines.append(line)
        say(line)

    with share.lock(wait_seconds=60):
        step(1, lambda: _import(share, cab))
        step(2, lambda: _diff(share))
        step(3, lambda: _inventory(share, state, adopt))
        step(4, lambda: _scan(share, state, as_of, result))
        step(5, lambda: _plan(state, share))
        step(6, lambda: _scripts(share))
        step(7, lambda: _reports(share, state, result, as_of))
    return result


def _cpu_seconds() -> float:
    """User + system CPU of this process and its finished children (the inventory workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _peak_rss_mib() -> float:
    """Largest resident set so far, of this process or any one child, in MiB."""
    try:
        import resource
    except ImportError:  # Windows server
        return 0.0
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    return peak / 1024  # Linux reports KiB


def _import(share: Share, cab: Path | None) -> str:
    chosen = _incoming_cab(share, cab)
    if chosen is None:
        if not list_catalogs(share):
            raise UsageError(f"{share.folder('incoming')}: no catalog to import and none stored yet")
        return f"no cabinet in incoming; using stored catalog {list_catalogs(share)[-1].data_version}"
    imported = import_catalog(share, chosen)
    state = "already stored" if imported.already_stored else "imported and verified"
    return f"{chosen.name}: catalog {imported.catalog.data_version} {state}"


def _diff(share: Share) -> str:
    stored = list_catalogs(share)
    if len(stored) < 2:
        return f"first catalog on this share ({stored[-1].data_version}): nothing to compare"
    d = diff_catalogs(stored[-2].load(), stored[-1].load())
    return (f"{d.old_version} -> {d.new_version}: {len(d.new_bulletins)} new, {len(d.revised_bulletins)} revised, "
            f"{len(d.removed_bulletins)} removed bulletins, {len(d.supersedence_changes)} supersedence changes")


def _inventory(share: Share, state: dict, adopt: bool) -> str:
    from hfstage.inventory.run import inventory_share

    stats: dict = {}
    facts = inventory_share(share, stats=stats, adopt=adopt)
    bad = sum(1 for f in facts if f.error)
    return f"{len(facts)} machines ({stats.get('read', 0)} read, {stats.get('cached', 0)} unchanged), {bad} unreadable"


def _scan(share: Share, state: dict, as_of, result: MonthResult) -> str:
    result.scan = run_scan(share, command="month", as_of=as_of)
    missing = sum(a.count("missing") for a in result.scan.assessments)
    patched = sum(1 for a in result.scan.assessments if not a.error and not a.count("missing"))
    return f"scan {result.scan.scan_id}: {missing} missing patches, {patched} machines fully patched"


def _plan(state: dict, share: Share) -> str:
    state["plan"] = plan = build_plan(share)
    return f"{len(plan.items)} new or revised patches, {len(plan.applicable)} applicable here"


def _scripts(share: Share) -> str:
    result = generate_scripts(share)
    if result.problems:
        raise UsageError(f"{result.problems[0]} (and {len(result.problems) - 1} more); no script was written")
    not_scripted = sum(len(v) for v in result.unavailable.values())
    return (f"{len([p for p in result.plans if p.steps])} machine scripts; {len(result.written)} files written, "
            f"{len(result.unchanged)} unchanged; {not_scripted} packages not found under hotfixes")


def _reports(share: Share, state: dict, result: MonthResult, as_of) -> str:
    scan = result.scan
    stamp = (as_of or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d_%H%M%S")
    folder = share.folder("reports") / f"{stamp}-scan{scan.scan_id}"
    if folder.exists():
        raise UsageError(f"{folder}: report folder already exists")
    with staged_dir(folder) as tmp:
        write_site_report(share, tmp, scan.assessments, scan.catalog_version, scan.scan_id, state["plan"])
    result.report_folder = folder
    return f"{folder / 'index.html'}"


# --- dry run ----------------------------------------------------------------------------

_COPIED = ("catalogs", "trust", "state", "scripts", "netlogon", "results", "reports", "templates")
_LINKED = ("incoming", "inventory", "hotfixes")


def dry_run_month(share: Share, cab: Path | None = None, say: Callable[[str], None] = print) -> MonthResult:
    """The whole month in a temporary copy of the share; report what would change in it."""
    share.check()
    with tempfile.TemporaryDirectory(prefix="hfstage-month-") as tmp:
        copy = Path(tmp) / "share"
        copy.mkdir()
        for name in _COPIED:
            if (share.root / name).is_dir():
                shutil.copytree(share.root / name, copy / name, symlinks=True,
                                ignore=shutil.ignore_patterns("hfstage.lock"))
        for name in _LINKED:
            (copy / name).symlink_to((share.root / name).resolve(), target_is_directory=True)
        if share.site_ini.is_file():
            shutil.copyfile(share.site_ini, copy / "site.ini")
        result = run_month(Share(copy), cab, say=say, adopt=False)
        for name in ("scripts", "netlogon", "reports"):
            result.changes += _changes(share.root / name, copy / name, name)
        result.report_folder = None
    return result


def _changes(old: Path, new: Path, label: str) -> list[str]:
    out = []
    old_files = {p.relative_to(old) for p in old.rglob("*") if p.is_file()} if old.is_dir() else set()
    new_files = {p.relative_to(new) for p in new.rglob("*") if p.is_file()}
    for rel in sorted(new_files - old_files):
        out.append(f"would add {label}/{rel}")
    for rel in sorted(new_files & old_files):
        if not filecmp.cmp(old / rel, new / rel, shallow=False):
            out.append(f"would change {label}/{rel}")
    return out
