"""Each machine's rollback history, brought up to date from the latest full scan and the clients'
results when scripts are made; and the list `hfstage results` and the report show.

A machine's assessment is read back only when its history could change: it has patches in its rollback,
or the scan finds a patch its scripts ran installed (the history's findings say so without decoding any
assessment); and the rollback memo remembers the machines whose assessment, reported events and history
changed nothing last time, so a month in which they are the same reads none of theirs either."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field

from hfstage.history import FULL, INSTALLED, InstalledPatch, InstallLedger, MachineRow
from hfstage.pipeline.site import Site
from hfstage.scripts import MachineResults, collect_results, ledger_changes, rollback_lines
from hfstage.share import ROLLBACK, Record

CHUNK = 500


@dataclass
class RollbackUpdate:
    """Every machine's history as it is after the update (newest first), and the update, saved only once the
    scripts made from it are written."""

    installed: dict[str, list[InstalledPatch]]
    confirmed: list[InstalledPatch] = field(default_factory=list)
    ended: list[InstalledPatch] = field(default_factory=list)
    memo: Record | None = None
    unchanged: dict[str, str] = field(default_factory=dict)  # machine -> the key of inputs that changed nothing

    def save(self, ledger: InstallLedger) -> None:
        if self.confirmed or self.ended:
            ledger.apply(self.confirmed, self.ended)
        if self.memo is not None and self.unchanged:
            for machine, key in self.unchanged.items():
                self.memo.put(machine, key)
            self.memo.commit()


def update_rollback(site: Site, ledger: InstallLedger, rows: list[MachineRow],
                    results: list[MachineResults] | None = None) -> RollbackUpdate:
    """Confirm what the scan of ROWS finds installed that the scripts installed and the clients reported;
    end what the rollback removed or a service pack now contains."""
    scripted, installed = ledger.scripted(), ledger.installed()
    wanted = [r for r in rows if r.machine.casefold() in scripted or r.machine.casefold() in installed]
    update = RollbackUpdate(installed, memo=site.share.record(ROLLBACK))
    if not wanted:
        return update
    if results is None:
        results, _ = collect_results(site.share, site.config.get("limits", "results_bytes"), site.accounts)
    reported = {m.machine.casefold(): m for m in results}
    found = site.history.installed_patches(rows[0].scan_id)
    wanted = [r for r in wanted if _may_change(r.machine.casefold(), found, scripted, installed)]
    keys = {r.machine: _inputs_key(r, reported.get(r.machine.casefold()), scripted, installed) for r in wanted}
    wanted = [r for r in wanted if not update.memo.known(r.machine, keys[r.machine])]
    scan_id, when = _scan(site, rows[0].scan_id) if wanted else (0, "")
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start:start + CHUNK]
        assessments = site.history.assessments(r.assessment_key for r in chunk)
        for row in chunk:
            a, key = assessments.get(row.assessment_key), row.machine.casefold()
            if a is not None:
                changes = ledger_changes(a, reported.get(key), scripted.get(key, []), installed.get(key, []),
                                         scan_id, when)
                update.confirmed += changes.confirmed
                update.ended += changes.ended
                if not changes.confirmed and not changes.ended:
                    update.unchanged[row.machine] = keys[row.machine]
    first = ledger.next_seq()
    update.confirmed = [dataclasses.replace(e, seq=n) for n, e in enumerate(update.confirmed, first)]
    update.installed = _after(installed, update)
    return update


def _may_change(name: str, found: set, scripted: dict, installed: dict) -> bool:
    """Whether a machine's history can change this month (ledger_changes, without its assessment): only
    a patch in its rollback can end, and only a patch its scripts ran, found installed, can be confirmed."""
    if any(e.state == INSTALLED for e in installed.get(name, [])):
        return True
    return any((name, s.bulletin, s.patch.strip().casefold()) in found for s in scripted.get(name, []))


def _inputs_key(row: MachineRow, results: MachineResults | None, scripted: dict, installed: dict) -> str:
    """What one machine's ledger changes are made from (the scan's id and day only date them)."""
    name = row.machine.casefold()
    return ROLLBACK.key(row.assessment_key, [dataclasses.astuple(e) for e in results.events] if results else [],
                        [dataclasses.astuple(s) for s in scripted.get(name, [])],
                        [dataclasses.astuple(e) for e in installed.get(name, [])])


def _after(installed: dict[str, list[InstalledPatch]], update: RollbackUpdate) -> dict[str, list[InstalledPatch]]:
    """INSTALLED with UPDATE's changes, each machine's newest first."""
    out = {m: {(e.bulletin, e.patch.casefold()): e for e in entries} for m, entries in installed.items()}
    for e in [*update.ended, *update.confirmed]:
        out.setdefault(e.machine.casefold(), {})[(e.bulletin, e.patch.casefold())] = e
    return {m: sorted(entries.values(), key=lambda e: -e.seq) for m, entries in out.items()}


def _scan(site: Site, scan_id: int) -> tuple[int, str]:
    """The scan's id and day (the day it was recorded as, for back-filled months)."""
    latest = site.history.latest_scan(FULL)
    if latest is not None and latest.id == scan_id:
        return scan_id, latest.started_at[:10]
    return scan_id, dt.date.today().isoformat()


def rollback_view(site: Site) -> dict[str, list[str]]:
    """Per machine, its rollback as the script lists it: newest first, then what left it."""
    out = {}
    for entries in InstallLedger(site.share).installed().values():
        lines = rollback_lines(entries)
        if lines:
            out[entries[0].machine] = lines
    return out
