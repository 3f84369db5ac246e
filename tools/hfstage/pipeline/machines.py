"""`hfstage machines`: each machine's lifecycle (accepted, pending, retired), who wrote its evidence and when
the server last saw it fresh; accepting and retiring machines; and each scan's standings.

Shares from before machines had a lifecycle (no state\\machines.json yet) keep working: every machine
of the latest full scan is accepted on the first run, once, and the month says so; only folders the
history never knew start as pending.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field

from hfstage.errors import UsageError
from hfstage.history import FULL
from hfstage.inventory import (
    ACCEPTED,
    EVIDENCE_WORDS,
    MACHINE_ACCOUNT,
    PENDING,
    RETIRED,
    InventoryResult,
    Lifecycle,
    evidence_seen,
    folder_binding,
    machine_folders,
)
from hfstage.pipeline.site import Site
from hfstage.share import MACHINES, machine_name_problem

UPGRADE = "in the history before machines had a lifecycle: accepted on upgrade"
BOUND = "bound: its evidence belongs to its own computer account"
SHOWN = 20


@dataclass
class Standings:
    """What a scan takes from the lifecycle: each machine's standing, and what the admin must hear."""

    by_machine: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)

    def of(self, machine: str) -> str:
        return self.by_machine.get(machine, ACCEPTED)


def standings(site: Site, inv: InventoryResult) -> Standings:
    """Every machine of INV with its standing: new folders are noted as pending, bound ones accepted
    (call with the share's lock held)."""
    lifecycle = Lifecycle.load(site.share)
    when, out = Lifecycle.now(), Standings()
    changed = not lifecycle.existed
    if changed:
        out.notices += _upgrade(site, lifecycle, when)
    for machine in inv.machines:
        changed |= lifecycle.see(machine, when)
        if lifecycle.standing(machine) == PENDING and inv.bindings.get(machine) == MACHINE_ACCOUNT:
            lifecycle.set(machine, ACCEPTED, BOUND, when)
            changed = True
    if changed:  # a month with no new or newly bound folder leaves the record as it is, unwritten
        lifecycle.save(site.share)
    out.by_machine = {m: lifecycle.standing(m) for m in inv.machines}
    pending = [m for m in inv.machines if out.by_machine[m] == PENDING]
    if pending:
        names = ", ".join(pending[:SHOWN]) + (f" and {len(pending) - SHOWN} more" if len(pending) > SHOWN else "")
        out.notices.append(f"{len(pending)} machine(s) pending: assessed and shown, not counted and given no script "
                           f"until accepted: {names}; `hfstage machines {site.share.root}` lists them, `hfstage "
                           f"machines accept {site.share.root} NAME...` accepts those that are yours")
    return out


def _upgrade(site: Site, lifecycle: Lifecycle, when: str) -> list[str]:
    """A share from before lifecycles (or whose record was removed): every machine its latest full scan counted
    is accepted, so nothing that was counted and scripted goes dark, and nothing that was pending is let in;
    said once (the record exists from now on)."""
    latest = site.history.latest_scan(FULL)
    rows = site.history.machines(latest.id) if latest else []
    known = [r.machine for r in rows if r.standing == ACCEPTED]  # a scan from before lifecycles: all accepted
    for machine in known:
        lifecycle.set(machine, ACCEPTED, UPGRADE, when)
    if not known:
        return []
    return [f"machine lifecycles: the {len(known)} machine(s) the latest scan counted are accepted (recorded in "
            f"{site.share.state_file(MACHINES)}); from now on a new folder under inventory\\ waits as pending, "
            "shown but not counted or scripted, until it is accepted or its folder is bound to its computer account "
            "(README, \"Machines: pending, accepted, retired\")"]


@dataclass
class MachineLine:
    """One machine as `hfstage machines` shows it."""

    machine: str
    standing: str
    since: str
    how: str
    first_seen: str
    last_fresh: str | None  # when the server last saw new evidence in its folder (its own clock)
    evidence: str  # who wrote it: bound to the machine account, written by a user, unbound
    folder: bool  # its folder is under inventory\

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def machines_list(site: Site) -> list[MachineLine]:
    """Every machine the share knows or has a folder for, with its standing and its evidence."""
    lifecycle = Lifecycle.load(site.share)
    folders = {f.name.casefold(): f for f in machine_folders(site.share)[0]}
    seen = {m.casefold(): t for m, t in evidence_seen(site.share).items()}
    names = {r.machine.casefold(): r.machine for r in lifecycle.records.values()}
    names.update({k: f.name for k, f in folders.items()})
    out = []
    for key in sorted(names):
        record = lifecycle.get(names[key])
        folder = folders.get(key)
        binding = folder_binding(folder, folder.name, site.accounts) if folder is not None else None
        out.append(MachineLine(names[key], record.standing if record else PENDING, record.since if record else "",
                               record.how if record else "not seen by a scan yet",
                               record.first_seen if record else "", seen.get(key),
                               f"{EVIDENCE_WORDS[binding.kind]}: {binding.owner}" if binding else "no folder",
                               folder is not None))
    return out


def machines_accept(site: Site, names: list[str]) -> list[str]:
    """Accept NAMES (pending or retired): counted and scripted from the next scan on."""
    return _set_standing(site, names, ACCEPTED, f"accepted by {getpass.getuser()}")


def machines_retire(site: Site, names: list[str]) -> list[str]:
    """Retire NAMES: their scripts, rollback scripts and netlogon stubs are removed; no longer read or counted."""
    lines = _set_standing(site, names, RETIRED, f"retired by {getpass.getuser()}")
    with site.share.lock():
        for name in names:
            lines += _remove_scripts(site, name)
    return lines


def _set_standing(site: Site, names: list[str], standing: str, how: str) -> list[str]:
    if not names:
        raise UsageError(f"name the machines to {'accept' if standing == ACCEPTED else 'retire'}")
    with site.share.lock():
        lifecycle = Lifecycle.load(site.share)
        folders = {f.name.casefold(): f.name for f in machine_folders(site.share)[0]}
        unknown = [n for n in names if lifecycle.get(n) is None and n.casefold() not in folders]
        if unknown:
            raise UsageError(f"{site.share.folder('inventory')}: no machine {', '.join(unknown)} (neither a folder "
                             "under inventory\\ nor one the share has known)")
        when, lines = Lifecycle.now(), []
        for name in names:
            record = lifecycle.get(name)
            machine = record.machine if record else folders[name.casefold()]
            lifecycle.set(machine, standing, how, when)
            site.share.audit(f"machine {machine}: {standing} ({how})")
            lines.append(f"{machine}: {standing}")
        lifecycle.save(site.share)
    return lines


def _remove_scripts(site: Site, name: str) -> list[str]:
    """What a retired machine had on the share for clients: its scripts and rollback script leave the published
    set by a release of their own (a client may be running the set before: it is left whole), its netlogon stub
    is removed."""
    if machine_name_problem(name):
        return []
    names = {f"{name}.bat".casefold(), f"{name}-rollback.bat".casefold()}
    release = site.start_release()
    gone = [n for n in release.base_names() if n.casefold() in names]
    release.drop(gone)
    removed = [f"{name}: removed scripts\\{n} (from the set published now)" for n in gone]
    with release.guarded():
        published = release.publish()
    if published:
        removed.append(f"{name}: clients now run scripts\\{published}")
    for path in site.share.folder("netlogon").glob("*.bat"):
        if path.name.casefold() == f"{name}.bat".casefold() and not path.is_symlink():
            path.unlink()
            removed.append(f"{name}: removed netlogon\\{path.name}")
    return removed
