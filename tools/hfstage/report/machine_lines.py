"""One line per machine for the index, the list pages and machines.js: problems first.

The order is the admin's: machines with something that needs them (attention.json's order), then by
status (MACHINE_STATUSES: unreadable first, compliant last), then most Critical and most missing.
"""

from __future__ import annotations

from dataclasses import dataclass

from hfstage.assess import KIND_PATCH, MACHINE_STATUSES
from hfstage.history import FindingRow
from hfstage.inventory import service_pack_text
from hfstage.report.attention import Attention, Situation
from hfstage.scripts import MachineResults

NONE = 99  # the rank of a machine that needs nothing


@dataclass(frozen=True)
class MachineLine:
    machine: str
    os: str
    status: str
    detail: str
    missing: int
    critical: int
    seen: str  # the day the server first saw the evidence it holds now (YYYY-MM-DD), "" when never
    stale: bool
    last_run: str  # what the machine's last run reported, in a few words
    needs: tuple[str, ...]  # attention kinds that concern it, most urgent first
    rank: int  # its most urgent attention rank (NONE: nothing)

    @property
    def order(self) -> tuple:
        return (self.rank, _status_rank(self.status), -self.critical, -self.missing, self.machine.casefold())


def _status_rank(status: str) -> int:
    return MACHINE_STATUSES.index(status) if status in MACHINE_STATUSES else len(MACHINE_STATUSES)


def last_run(m: MachineResults | None) -> str:
    """The machine's client results in a few words ("2 installed; 1 failed; restart owed")."""
    if m is None:
        return ""
    parts = []
    installed = sum(p.ok for p in m.patches)
    failed = sum(1 for p in m.patches if p.failures and not p.ok and not p.gave_up)
    gave_up = sum(p.gave_up for p in m.patches)
    for n, what in ((installed, "installed"), (failed, "failed"), (gave_up, "given up")):
        if n:
            parts.append(f"{n} {what}")
    if m.blocked:
        parts.append(f"stopped: {m.blocked}")
    if m.reboot_required is not None:
        parts.append("restart owed")
    if m.uninstall_failed:
        parts.append(f"{len(m.uninstall_failed)} removal(s) failed")
    return "; ".join(parts)


def machine_lines(s: Situation, missing: list[FindingRow], items: list[Attention]) -> list[MachineLine]:
    """Every machine of S, problems first."""
    critical: dict[str, int] = {}
    for f in missing:
        if f.kind == KIND_PATCH and f.severity == "Critical":
            critical[f.machine] = critical.get(f.machine, 0) + 1
    needs: dict[str, list[Attention]] = {}
    for item in items:  # already most urgent first
        for machine in item.machines:
            needs.setdefault(machine, []).append(item)
    results = {m.machine.casefold(): m for m in s.results}
    out = []
    for r in s.rows:
        seen = s.seen.get(r.machine, "")
        mine = needs.get(r.machine, [])
        out.append(MachineLine(
            r.machine, (r.os or "unknown") + service_pack_text(r.service_pack, " "), r.status,
            r.status_detail if r.status != "compliant" else "", r.missing, critical.get(r.machine, 0), seen[:10],
            s.stale(r.machine), last_run(results.get(r.machine.casefold())),
            tuple(a.kind for a in mine), mine[0].rank if mine else NONE))
    return sorted(out, key=lambda line: line.order)
