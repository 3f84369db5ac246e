"""`scripts generate` and `scripts collectors`: the client scripts, from the latest full scan."""

from __future__ import annotations

import datetime as dt

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


def scripts_generate(site: Site, rows: list[MachineRow] | None = None, machine: str | None = None,
                     dry_run: bool = False, results: list[MachineResults] | None = None) -> GenerateResult:
    """Install and rollback scripts for every machine of ROWS (default: the latest full scan); RESULTS: what
    the clients reported, when the caller has read it already.

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

    return generate_scripts(site.share, settings, site.catalog, machines, site.history.assessments,
                            book, site.rules, only=machine, dry_run=dry_run, installed=update.installed,
                            written=keep)


def scripts_collectors(site: Site) -> CollectorResult:
    """The collectors, the dispatcher and the 9x per-machine stubs in SHARE\\netlogon."""
    folders, _ = machine_folders(site.share)
    lifecycle = Lifecycle.load(site.share)
    folders = [f for f in folders if lifecycle.standing(f.name) != RETIRED]  # a retired machine has no stub
    catalog = site.catalog if site.has_catalog() else None
    latest = site.history.latest_scan(FULL)
    nine_x = [r.machine for r in site.history.machines(latest.id)
              if os_key(r.os, site.rules) in ("9x", "95")] if latest else []
    return write_collectors(site.share, site.scripts, site.rules, catalog, [f.name for f in folders], nine_x)
