"""The rollback: what hfstage's scripts installed on a machine, kept across months, and the script that
removes it, newest first.

A patch enters a machine's rollback when three sources agree: hfstage's own record that the machine's
script was made to run the package (its kind, path and identity), the client's report (a success line
in its results, or its done marker for that identity), and a full scan that finds the patch installed.
It leaves when the rollback's own `uninstalled` line comes back, or when a later service pack makes its
removal meaningless: removing a hotfix after a service pack puts back files older than the service
pack's (KB Q194334), and the service pack's setup forgets the hotfixes it contains (KB Q300039).
The uninstall command comes from the kind hfstage decided (installers.json); nothing a client wrote is
part of it: the client's words only decide whether a server-known package is listed.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from hfstage.assess import INSTALLED as FOUND_INSTALLED
from hfstage.assess import NOT_APPLICABLE, Assessment
from hfstage.history import CONTAINED, INSTALLED, REMOVED, InstalledPatch, ScriptedStep
from hfstage.packages import PackageIndex, uninstall_folder
from hfstage.scripts.batch import BatchText, batch_note
from hfstage.scripts.commands import uninstall_line
from hfstage.scripts.machine_plans import NINE_X, MachinePlan, Step, _marker
from hfstage.scripts.results import UNINSTALLED, MachineResults

_SP_LABEL = re.compile(r"(\d{1,2})([a-z]?)")
_RETRY = re.compile(r" r\d+$")
LAST = 1 << 30  # a patch known from its done marker only sorts after those the logs order


@dataclass
class LedgerChanges:
    confirmed: list[InstalledPatch] = field(default_factory=list)  # in install order
    ended: list[InstalledPatch] = field(default_factory=list)


def scripted_steps(plan: MachinePlan, catalog_version: str, products: dict[tuple[str, str], str]) -> list[ScriptedStep]:
    """What PLAN's script runs, as the rollback history keeps it (service packs are never rolled back).

    PRODUCTS: (bulletin, patch casefolded) -> the product the finding was for."""
    family = "9x" if plan.os_key in NINE_X else "NT"
    return [ScriptedStep(plan.machine, s.bulletin, s.patch, s.qnumber,
                         products.get((s.bulletin, s.patch.casefold()), plan.os or ""), family, s.kind, s.package,
                         _RETRY.sub("", s.identity), catalog_version)
            for s in plan.steps if s.kind != "servicepack" and not s.rescan_after]


def sp_label(text: str | None) -> tuple[int, str] | None:
    """A service pack label ('6a', '4') as something to compare; None when it is not one."""
    m = _SP_LABEL.fullmatch(text or "")
    return (int(m.group(1)), m.group(2)) if m else None


def ledger_changes(a: Assessment, results: MachineResults | None, scripted: list[ScriptedStep],
                   recorded: list[InstalledPatch], scan_id: int, when: str) -> LedgerChanges:
    """What the latest full scan A (and the client's RESULTS) changes in one machine's rollback history."""
    out = LedgerChanges()
    if a.error or a.os is None:
        return out  # nothing is known of the machine this month: its history stays as it is
    events = {(e.bulletin, e.patch.casefold()): e for e in (results.events if results else [])}
    found = {(f.bulletin, f.patch.strip().casefold()): f.status for f in a.findings}
    active = {(e.bulletin, e.patch.casefold()): e for e in recorded if e.state == INSTALLED}
    now = sp_label(a.service_pack)
    for key, entry in active.items():
        event = events.get(key)
        if event is not None and event.state == UNINSTALLED:
            # the reason is hfstage's own words: the client's date text stays in its log
            out.ended.append(dataclasses.replace(entry, state=REMOVED, ended_at=when,
                                                 reason=f"its rollback reported it uninstalled (scan of {when})"))
        elif now is not None and sp_label(entry.service_pack) is not None and now > sp_label(entry.service_pack):
            applies = found.get(key) not in (None, NOT_APPLICABLE)
            out.ended.append(dataclasses.replace(entry, state=CONTAINED, ended_at=when,
                                                 reason=_contained(a.service_pack or "", applies)))
    ended = {(e.bulletin, e.patch.casefold()) for e in out.ended}
    candidates = []
    for order, step in enumerate(_installed_steps(scripted, a.done)):
        key = (step.bulletin, step.patch.casefold())
        if key in ended or key in active or found.get(key) != FOUND_INSTALLED:
            continue
        event = events.get(key)
        reported = event.state == INSTALLED if event is not None else _marked(step.identity, a.done)
        if reported:
            entry = InstalledPatch(*dataclasses.astuple(step)[:9], service_pack=a.service_pack if now else None,
                                   seq=0, confirmed_at=when, confirmed_scan=scan_id,
                                   catalog_version=step.catalog_version)
            candidates.append((event.line if event is not None else LAST, order, entry))
    out.confirmed = [entry for _, _, entry in sorted(candidates, key=lambda c: c[:2])]
    return out


def _contained(label: str, still_applies: bool) -> str:
    if still_applies:
        return (f"Service Pack {label} was installed after it: removing it now would put back files older than "
                "the service pack's (KB Q194334)")
    return f"Service Pack {label} now contains it"


def _marked(identity: str, done: list[str]) -> bool:
    """Whether the client's done markers name IDENTITY (a retry's marker adds ' rN')."""
    return any(m == identity or (m.startswith(identity + " r") and m[len(identity) + 2:].isdecimal()) for m in done)


def _installed_steps(scripted: list[ScriptedStep], done: list[str]) -> list[ScriptedStep]:
    """Per patch, the package that was installed: the one the done markers name, else the last scripted."""
    chosen: dict[tuple[str, str], ScriptedStep] = {}
    for step in scripted:
        key = (step.bulletin, step.patch.casefold())
        if key not in chosen or not _marked(chosen[key].identity, done):
            chosen[key] = step
    return list(chosen.values())


# --- the rollback script --------------------------------------------------------------------------


@dataclass
class Rollback:
    """What <MACHINE>-rollback.bat says and does."""

    machine: str
    os: str | None
    family: str  # NT or 9x
    steps: list[Step] = field(default_factory=list)  # newest first
    manual: dict[str, str] = field(default_factory=dict)  # step label -> why it must be removed by hand
    notes: list[str] = field(default_factory=list)  # patches no longer in it, and why
    role: str = "machine"
    reboot_mode: str = "never"
    reboot: BatchText = BatchText("")


def rollback_lines(entries: list[InstalledPatch]) -> list[str]:
    """The rollback as `hfstage results` and the machine's page show it: newest first, then what left it."""
    lines = [f"{e.bulletin} {e.qnumber} {e.patch} ({e.kind}): installed, confirmed by the scan of {e.confirmed_at}"
             for e in entries if e.state == INSTALLED]
    return lines + [ended_note(e) for e in entries if e.state == CONTAINED]


def ended_note(e: InstalledPatch) -> str:
    return f"{e.bulletin} {e.qnumber}: removed from rollback: {e.reason}"


def build_rollback(machine: str, entries: list[InstalledPatch], plan: MachinePlan | None, index: PackageIndex,
                   table: dict) -> Rollback | None:
    """The rollback of MACHINE from its history ENTRIES (newest first); None without entries or a plan."""
    active = [e for e in entries if e.state == INSTALLED]
    notes = [ended_note(e) for e in entries if e.state == CONTAINED]
    if not active and not notes and plan is None:
        return None
    family = ("9x" if plan.os_key in NINE_X else "NT") if plan is not None else active[0].family if active else "NT"
    out = Rollback(machine, batch_note(plan.os) if plan and plan.os else None, family,
                   notes=[batch_note(n) for n in notes])  # catalog values, in rem and echo lines
    if plan is not None:
        out.role, out.reboot_mode, out.reboot = plan.role, plan.reboot_mode, plan.reboot
    for number, e in enumerate(active, 1):
        step = _step(e, f"r{number:02d}", family, index.sizes, table)
        if step.uninstall is None:
            out.manual[step.label] = _manual_reason(e, table)
        out.steps.append(step)
    return out


def _step(e: InstalledPatch, label: str, family: str, sizes: dict[str, int], table: dict) -> Step:
    undir = uninstall_folder(e.package, e.qnumber if e.qnumber != "-" else None)
    folder = "%HFS%\\hotfixes" if family == "9x" else "%HF_PKG%"
    uninstall = None
    if e.kind in table["kinds"] and _same_package(e, sizes, table):
        uninstall = uninstall_line(e.kind, table, f"{folder}\\{e.package}", undir is not None)
    return Step(label=label, bulletin=e.bulletin, qnumber=e.qnumber, patch=e.patch,
                marker=_marker(e.qnumber if e.qnumber != "-" else None, e.patch), identity=e.identity, kind=e.kind,
                install=BatchText(""), uninstall=uninstall, needs_reboot=False, date_posted="", package=e.package,
                uninstall_dir=undir)


def _same_package(e: InstalledPatch, sizes: dict[str, int], table: dict) -> bool:
    """An uninstall that runs the package itself needs the very package that installed it under hotfixes\\."""
    if "{file}" not in (table["kinds"][e.kind].get("uninstall") or ""):
        return True
    size = sizes.get(e.package.casefold())
    return size is not None and e.identity == f"{e.patch} {size}"


def _manual_reason(e: InstalledPatch, table: dict) -> str:
    if e.kind not in table["kinds"] or not table["kinds"][e.kind].get("uninstall"):
        return f"this {e.kind} package has no uninstall switch"
    if "%HF_UNDIR%" in table["kinds"][e.kind]["uninstall"]:
        return "no Q or KB number to find its uninstall folder by"
    return f"the package that installed it ({e.identity}) is no longer under hotfixes\\"
