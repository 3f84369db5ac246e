"""What needs the admin today, most urgent first: failed and abandoned installs, unreadable machines,
scripts without rights, restarts owed, packages missing, stale and pending machines.

One list for the index's "Needs you" section and the end of `hfstage month`, each item with the
machines concerned and the command that shows more (data/attention.json: the wording and the order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hfstage.assess import Assessment, findings_at_or_above
from hfstage.history import MachineRow
from hfstage.inventory import PENDING
from hfstage.resources import data_json
from hfstage.scripts import NO_RIGHTS, MachineResults

TABLE = "attention.json"


@dataclass(frozen=True)
class Attention:
    """One thing that needs the admin: KIND (attention.json), the MACHINES concerned, what to run to see more."""

    kind: str
    rank: int
    text: str
    machines: tuple[str, ...]  # the machines concerned (or, for packages held back, the packages)
    command: str
    css: str
    label: str  # the word the machine tables use ("install failed", "stale")

    def line(self, shown: int = 5) -> str:
        names = ", ".join(self.machines[:shown]) + (" ..." if len(self.machines) > shown else "")
        return f"{self.text}" + (f": {names}" if names else "") + f" -> {self.command}"


@dataclass
class Situation:
    """What the attention list is made from, per machine of the latest full scan."""

    rows: list[MachineRow]
    results: list[MachineResults] = field(default_factory=list)
    seen: dict[str, str] = field(default_factory=dict)  # machine -> when the server first saw its evidence
    fetch: list = field(default_factory=list)  # the packages hotfixes\\ lacks (each with .names: who needs it)
    lifecycle: dict[str, str] = field(default_factory=dict)  # machine -> accepted | pending | retired
    stale_days: int = 14
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    def stale(self, machine: str) -> bool:
        return is_stale(self.seen.get(machine), self.now, self.stale_days)


def is_stale(seen: str | None, now: dt.datetime, days: int) -> bool:
    """No fresh evidence for DAYS days or more (SEEN: ISO time the server first saw the current evidence)."""
    if not seen:
        return False
    try:
        when = dt.datetime.fromisoformat(seen)
    except ValueError:
        return False
    when = when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)
    return now - when >= dt.timedelta(days=days)


def machine_problems(s: Situation) -> dict[str, set[str]]:
    """Kind -> the machines (as the scan names them) it concerns."""
    names = {r.machine.casefold(): r.machine for r in s.rows}
    out: dict[str, set[str]] = {}

    def add(kind: str, machine: str) -> None:
        if machine.casefold() in names:
            out.setdefault(kind, set()).add(names[machine.casefold()])

    for m in s.results:
        if m.uninstall_failed or m.loop or any(p.failures and not p.ok and not p.gave_up for p in m.patches):
            add("failed", m.machine)
        if any(p.gave_up for p in m.patches):
            add("gave-up", m.machine)
        if m.blocked == NO_RIGHTS:
            add("no-rights", m.machine)
        if m.reboot_required is not None:
            add("reboot", m.machine)
    for r in s.rows:
        if r.error:
            add("unreadable", r.machine)
        if s.stale(r.machine):
            add("stale", r.machine)
        if s.lifecycle.get(r.machine) == PENDING:
            add(PENDING, r.machine)
    for package in s.fetch:
        for machine in package.names:
            add("packages", machine)
    return out


def failures(results: list[MachineResults]) -> list[str]:
    """Installs and removals that failed or were given up, and reboot loops: what a scheduled job alarms on at
    every --fail-on level but none (something tried and broke, whatever the patch's severity)."""
    out = []
    for m in results:
        out += [f"{m.machine}: {p.bulletin} {p.patch}: install " + ("given up" if p.gave_up else "failed")
                for p in m.patches if p.gave_up or (p.failures and not p.ok)]
        out += [f"{m.machine}: {what}: removal failed" for what in m.uninstall_failed]
        out += [f"{m.machine}: reboot loop" for _ in range(m.loop)]
    return out


def alarms(assessments: list[Assessment], results: list[MachineResults], threshold: str) -> list[str]:
    """What makes a command exit 1 with --fail-on THRESHOLD: findings at or above it, and every failure."""
    if threshold == "none":
        return []
    return findings_at_or_above(assessments, threshold) + failures(results)


def labels() -> dict[str, str]:
    """Attention kind -> the word the machine tables use for it."""
    return {entry["kind"]: entry["label"] for entry in data_json(TABLE)["kinds"]}


def attention(s: Situation, share: str, waiting: dict[tuple[str, str, str], list[str]] | None = None
              ) -> list[Attention]:
    """Everything about the machines that needs the admin, most urgent first; each item's machines by name.
    WAITING: the plan's patches waiting for approval ((bulletin, Q, package) -> machines)."""
    found = machine_problems(s)
    names = {r.machine.casefold(): r.machine for r in s.rows}
    found["approval"] = {names[m.casefold()] for ms in (waiting or {}).values() for m in ms if m.casefold() in names}
    out = [month_item(kind, sorted(names, key=str.casefold), share=share, days=s.stale_days, packages=len(s.fetch),
                      patches=len(waiting or {})) for kind, names in found.items() if names]
    return sorted(out, key=lambda a: a.rank)


def month_item(kind: str, subjects, n: int | None = None, **values) -> Attention:
    """One item of KIND (attention.json) about SUBJECTS; N (default: how many SUBJECTS) and VALUES fill its
    wording and its command."""
    entry = next(e for e in data_json(TABLE)["kinds"] if e["kind"] == kind)
    subjects = tuple(subjects)
    values = {"n": len(subjects) if n is None else n, **{k: str(v) for k, v in values.items()}}
    return Attention(kind, entry["rank"], entry["text"].format_map(_Blank(values)),
                     subjects, entry["command"].format_map(_Blank(values)), entry["class"], entry["label"])


class _Blank(dict):
    """Format values; a placeholder the caller has no value for reads as empty, never as an error."""

    def __missing__(self, key: str) -> str:
        return ""
