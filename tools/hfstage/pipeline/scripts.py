"""`scripts generate` and `scripts collectors`: the client scripts, from the latest full scan."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Callable, Iterator

from hfstage.assess import Assessment
from hfstage.errors import UsageError
from hfstage.history import FULL, InstallLedger, MachineRow
from hfstage.inventory import ACCEPTED, RETIRED, Lifecycle, machine_folders
from hfstage.pipeline.rollback import update_rollback
from hfstage.pipeline.site import Site
from hfstage.scripts import (
    CollectorResult,
    GenerateResult,
    MachineResults,
    generate_scripts,
    os_key,
    write_collectors,
)
from hfstage.share import Release, machine_name_problem


def scripts_generate(site: Site, rows: list[MachineRow] | None = None, machine: str | None = None,
                     dry_run: bool = False, results: list[MachineResults] | None = None,
                     release: Release | None = None,
                     load: Callable[[list[str]], dict[str, Assessment]] | None = None) -> GenerateResult:
    """Install and rollback scripts for every machine of ROWS (default: the latest full scan); RESULTS: what
    the clients reported, when the caller has read it already; RELEASE: the generation the caller publishes
    (without one, this call publishes its own); LOAD: assessments by key, when the caller has some in memory
    (default: the history's).

    The rollback scripts come from each machine's history brought up to date with this scan; the update,
    and what the new scripts run, are kept once the scripts are written (never on a dry run)."""
    settings = site.scripts  # site.ini first: scripts never point at a placeholder share
    if rows is None:
        latest = site.history.latest_scan(FULL)
        if latest is None:
            raise UsageError(f"{site.share.state}: no full scan recorded yet; run `hfstage scan {site.share.root}` "
                             "first")
        if latest.catalog_version != site.current_version():
            raise UsageError(f"the latest full scan used catalog {latest.catalog_version}, but "
                             f"{site.current_version()} is current: run `hfstage scan {site.share.root}` first")
        rows = site.history.machines(latest.id)
    if machine is not None and machine.casefold() not in {r.machine.casefold() for r in rows}:
        raise UsageError(f"machine {machine} is not in the latest full scan")
    waiting = {r.machine.casefold(): r.standing for r in rows if r.standing != ACCEPTED}
    if machine is not None and machine.casefold() in waiting:
        raise UsageError(f"machine {machine} is {waiting[machine.casefold()]}: no script until it is accepted "
                         f"(`hfstage machines accept {site.share.root} {machine}`, then `hfstage month`)")
    rows = [r for r in rows if r.standing == ACCEPTED]  # a pending machine is shown, never scripted
    machines = {r.machine: r.assessment_key for r in rows}
    book = site.book
    ledger = InstallLedger(site.share)
    mine = [r for r in rows if machine is None or r.machine.casefold() == machine.casefold()]
    update = update_rollback(site, ledger, mine, results)

    def keep(result: GenerateResult) -> None:
        update.save(ledger)
        ledger.record_scripted(result.scripted, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))

    with share_lock(site, release) as own:
        result = generate_scripts(site.share, settings, site.catalog, machines, load or site.history.assessments,
                                  book, site.rules, only=machine, dry_run=dry_run, installed=update.installed,
                                  written=keep, release=own)
        if release is None and not dry_run and not result.problems:
            result.generation = own.publish()
        return result


def scripts_collectors(site: Site, release: Release | None = None, listed: list[str] | None = None,
                       latest_rows: list[MachineRow] | None = None) -> CollectorResult:
    """The collectors (in the next generation of SHARE\\scripts), the entry points and the 9x per-machine
    stubs in SHARE\\netlogon; RELEASE as for scripts_generate; LISTED: the machine folders' names when the
    caller listed them this run (month: its inventory's, InventoryResult.machines), else listed here;
    LATEST_ROWS: the latest full scan's rows when the caller has them (month: its scan's), else read here."""
    names = listed if listed is not None and not _added_since(site, listed) else [
        f.name for f in machine_folders(site.share)[0]]
    lifecycle = Lifecycle.load(site.share)
    names = [n for n in names if lifecycle.standing(n) != RETIRED]  # a retired machine has no stub
    catalog = site.catalog if site.has_catalog() else None
    if latest_rows is None:
        latest = site.history.latest_scan(FULL)
        latest_rows = site.history.machines(latest.id) if latest else []
    nine_x = [r.machine for r in latest_rows if os_key(r.os, site.rules) in ("9x", "95")]
    with share_lock(site, release) as own:
        result = write_collectors(site.share, site.scripts, site.rules, catalog, names, nine_x, release=own)
        if release is None:
            own.publish()
        return result


def _added_since(site: Site, listed: list[str]) -> bool:
    """Whether inventory\\ holds a name that could be a machine's and LISTED lacks: a folder made since the caller
    listed them (between the month's inventory and scripts steps) gets its netlogon stub this month, not the
    next. Names only, nothing stat'ed: a fraction of a listing (then made in full, with every check)."""
    known = {name.casefold() for name in listed}
    try:
        names = os.listdir(site.share.folder("inventory"))
    except OSError:
        return True  # the full listing says what is wrong
    return any(n.casefold() not in known and n != "README.txt" and machine_name_problem(n) is None for n in names)


def publish_set(site: Site, rows: list[MachineRow] | None = None, machine: str | None = None,
                results: list[MachineResults] | None = None, release: Release | None = None,
                load: Callable[[list[str]], dict[str, Assessment]] | None = None, listed: list[str] | None = None,
                latest_rows: list[MachineRow] | None = None) -> tuple[GenerateResult, CollectorResult | None]:
    """The whole client-visible set in one generation: the machines' scripts, then the collectors (they copy
    this catalog's files, and the dispatcher calls them), what `month` and `scripts generate` both publish.
    Published here unless the caller brought RELEASE (month publishes once its fetch list is written too);
    LISTED and LATEST_ROWS as for scripts_collectors;
    nothing is published when either side has problems (the collectors are then None or carry them)."""
    with share_lock(site, release) as own:
        scripts = scripts_generate(site, rows, machine, results=results, release=own, load=load)
        if scripts.problems:
            return scripts, None
        collectors = scripts_collectors(site, own, listed, latest_rows)
        if release is None and not collectors.problems:
            scripts.generation = own.publish()
        return scripts, collectors


@contextlib.contextmanager
def share_lock(site: Site, release: Release | None) -> Iterator[Release]:
    """The caller's RELEASE, or one of this call's (started with the share's lock held, Ctrl-C guarded)."""
    if release is not None:
        yield release
        return
    with site.share.lock():
        site.share.remove_stale_temps()
        own = site.start_release()
        with own.guarded():
            yield own
