"""`hfstage share provision`: give each machine's folder under inventory\\ and its results log to the
machine's own computer account, so its evidence is bound to it (inventory.binding).

A Windows 2000/XP/2003 startup script writes the share as the computer account; once the machine's
folder is that account's (mode 0755, no sticky bit: only it writes there, and it can replace every
file in it) and its results log too (created empty first, so nobody can take its name), a file of
anyone else there is refused and named, and the machine is accepted when its evidence arrives.
Windows NT 4.0 (its collector runs at logon, as the user) and Windows 9x (no computer account) cannot
be bound: they are named and left as they are. For a share on NTFS, `--ntfs D:\\hfstage` prints the
icacls lines that do the same; hfstage cannot see NTFS owners from Linux, so they are printed only.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import UsageError
from hfstage.history import FULL
from hfstage.inventory import RETIRED, Lifecycle, machine_folders
from hfstage.pipeline.site import Site
from hfstage.scripts import os_key
from hfstage.share import (
    QUARANTINE,
    account_name,
    administrators,
    entries,
    give_to,
    machine_name_problem,
    new_file_for,
    new_folder_for,
    quarantine,
)

FOLDER_MODE, LOG_MODE = 0o755, 0o644
UNBINDABLE = {"nt4": "Windows NT 4.0: its collector runs at logon, as the user who logs on (there are no startup "
                     "scripts); binding its folder to its computer account would lock its collector out",
              "9x": "Windows 9x/Me has no computer account: its evidence stays unbound",
              "95": "Windows 95 has no computer account: its evidence stays unbound"}


@dataclass
class MachineProvision:
    """What provisioning does (or would do) for one machine."""

    machine: str
    account: str | None = None
    commands: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    foreign: list[Path] = field(default_factory=list)  # entries of other accounts, to move aside

    @property
    def bindable(self) -> bool:
        return self.account is not None


@dataclass
class ProvisionReport:
    machines: list[MachineProvision] = field(default_factory=list)
    applied: bool = False
    ntfs: str | None = None


def share_provision(site: Site, apply: bool = False, ntfs: str | None = None,
                    names: list[str] | None = None) -> ProvisionReport:
    """Every machine's provisioning (or NAMES'), printed as commands; APPLY carries out the POSIX ones."""
    if apply and ntfs:
        raise UsageError("--ntfs prints icacls lines for a Windows server; run them there (--apply is for this "
                         "server's own file system)")
    kinds = _os_keys(site)
    report = ProvisionReport(applied=apply, ntfs=ntfs)
    with site.share.lock():
        for machine in _machines(site, names):
            plan = _plan(site, machine, kinds.get(machine.casefold()), ntfs)
            if apply and plan.bindable and not ntfs:
                _apply(site, plan)
            report.machines.append(plan)
    return report


def _machines(site: Site, names: list[str] | None) -> list[str]:
    lifecycle = Lifecycle.load(site.share)
    folders = [f.name for f in machine_folders(site.share)[0] if lifecycle.standing(f.name) != RETIRED]
    if names is None:
        return folders
    bad = [n for n in names if machine_name_problem(n)]
    if bad:
        raise UsageError(f"not machine names hfstage can serve: {', '.join(bad)}")
    known = {f.casefold(): f for f in folders}
    return [known.get(n.casefold(), n.upper()) for n in names]


def _os_keys(site: Site) -> dict[str, str | None]:
    """Machine (casefolded) -> nt4, w2k, xp, 9x or 95 from the latest full scan."""
    latest = site.history.latest_scan(FULL)
    rows = site.history.machines(latest.id) if latest else []
    return {r.machine.casefold(): os_key(r.os, site.rules) for r in rows}


def _plan(site: Site, machine: str, kind: str | None, ntfs: str | None) -> MachineProvision:
    plan = MachineProvision(machine)
    if kind in UNBINDABLE:
        plan.notes.append(f"{machine}: not bound: {UNBINDABLE[kind]}")
        return plan
    known = site.accounts.lookup(machine)
    if ntfs:
        account = f"{site.accounts.domain}\\{machine.upper()}$" if site.accounts.domain else f"{machine.upper()}$"
        plan.account, plan.commands = account, _icacls(ntfs, machine, account)
        return plan
    if known is None:
        plan.notes.append(f"{machine}: not bound: this server knows no computer account for it ("
                          f"{' or '.join(site.accounts.candidates(machine))}: `getent passwd` shows none); a "
                          "machine not joined to the domain, or [binding] domain in site.ini is not set")
        return plan
    plan.account = known[0]
    folder, log = site.share.folder("inventory") / machine, site.share.folder("results") / f"{machine}.log"
    plan.foreign = _foreign(folder, known[1]) + _foreign_log(site, machine, known[1])
    quoted = shlex.quote(known[0])
    plan.commands = [f"mkdir -p {shlex.quote(str(folder))}",
                     *(f"mv {shlex.quote(str(p))} {shlex.quote(str(site.share.state_file(QUARANTINE)))}/"
                       for p in plan.foreign),
                     f"chown {quoted} {shlex.quote(str(folder))}", f"chmod 0755 {shlex.quote(str(folder))}",
                     f"touch {shlex.quote(str(log))}", f"chown {quoted} {shlex.quote(str(log))}",
                     f"chmod 0644 {shlex.quote(str(log))}"]
    plan.notes += [f"{machine}: {p.name} belongs to {account_name(_uid(p))}, not {known[0]}: moved aside, unread"
                   for p in plan.foreign]
    return plan


def _uid(path: Path) -> int:
    try:
        return path.lstat().st_uid
    except OSError:
        return -1


def _foreign(folder: Path, uid: int) -> list[Path]:
    """What in FOLDER another account wrote (the server's own files excepted): it must not become the machine's."""
    ok = administrators() | {uid}
    return [e.path for e in entries(folder) if e.uid not in ok]


def _foreign_log(site: Site, machine: str, uid: int) -> list[Path]:
    """A results log of this machine's name that another account made first (it would lock the script out)."""
    ok = administrators() | {uid}
    return [e.path for e in entries(site.share.folder("results"))
            if e.name.casefold() == f"{machine}.log".casefold() and e.uid not in ok]


def _apply(site: Site, plan: MachineProvision) -> None:
    uid = site.accounts.lookup(plan.machine)[1]
    folder = site.share.folder("inventory") / plan.machine
    log = site.share.folder("results") / f"{plan.machine}.log"
    stamp = Lifecycle.now().replace(":", "").replace("+", "Z")[:15]
    moved = quarantine(site.share.state_file(QUARANTINE), f"{plan.machine}.{stamp}", plan.foreign)
    if moved is not None:
        site.share.audit(f"provision {plan.machine}: moved {len(plan.foreign)} file(s) of other accounts to {moved}")
    new_folder_for(folder, uid, FOLDER_MODE)
    give_to(folder, uid, FOLDER_MODE, "folder")
    new_file_for(log, uid, LOG_MODE)
    give_to(log, uid, LOG_MODE, "file")
    site.share.audit(f"provision {plan.machine}: inventory\\{plan.machine} and results\\{plan.machine}.log given to "
                     f"{plan.account}")


def _icacls(root: str, machine: str, account: str) -> list[str]:
    """The same on an NTFS share: only the computer account (and admins) may write its folder and its log."""
    folder, log = f"{root}\\inventory\\{machine}", f"{root}\\results\\{machine}.log"
    grants = f'/grant:r "{account}":(OI)(CI)M Administrators:(OI)(CI)F SYSTEM:(OI)(CI)F'
    return [f'if not exist "{folder}\\nul" mkdir "{folder}"', f'icacls "{folder}" /inheritance:r {grants}',
            f'icacls "{folder}" /setowner "{account}"',
            f'if not exist "{log}" type nul > "{log}"',
            f'icacls "{log}" /inheritance:r /grant:r "{account}":M Administrators:F SYSTEM:F',
            f'icacls "{log}" /setowner "{account}"']
