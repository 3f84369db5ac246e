"""What a machine's page says beside its findings: what its script does now, what its last run did,
its evidence and how far it can be trusted, and when the server last saw fresh evidence.

Built only for the pages rendered (a month in which a machine changed nothing renders nothing for it);
what it is built from is in its page key (MachinePage.key), so a page changes when any of it does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import PurePath

from hfstage.assess import KIND_SERVICE_PACK, MISSING, Assessment
from hfstage.inventory import MachineFacts
from hfstage.scripts import Gate, MachinePlan, MachineResults
from hfstage.share import fingerprint

# How far evidence can be trusted, by where it came from (DESIGN §8): hives a collector saved with reg save
# are the registry as Windows holds it; regedit /e exports are text any writer of the folder could have made;
# Windows 9x has no file security at all.
TRUST = {
    "hives": ("high", "registry hives saved on the machine by its collector (reg save)"),
    "export": ("low", "registry exports (regedit /e): plain text, which anyone who can write the machine's "
                      "folder could have written"),
    "9x": ("low", "Windows 9x: no file security, so any user who logs on could have written it"),
    "none": ("none", "nothing could be read"),
}


@dataclass(frozen=True)
class StepView:
    order: int
    bulletin: str
    qnumber: str
    patch: str
    package: str  # below hotfixes\
    kind: str
    decided_by: str  # where the installer kind came from
    command: str  # the line the script runs, with its switches
    restart: str
    note: str
    approval: str = "auto"  # who approved it for the machine's ring ("auto": [approval] mode = auto)


@dataclass
class ScriptView:
    """What SHARE\\scripts\\<MACHINE>.bat does, step by step, and what it leaves out and why."""

    steps: list[StepView] = field(default_factory=list)
    qchain: str = ""
    reboot: str = ""
    reboot_mode: str = ""
    window: str = ""
    left_out: list[str] = field(default_factory=list)
    problem: str = ""  # why there is no script (site.ini has no share path, an unreadable machine)
    ring: str = "all"  # the machine's ring (site.ini [rings])
    approval_mode: str = "auto"  # site.ini [approval] mode


@dataclass
class EvidenceView:
    """The machine's evidence: where each fact came from, and how far it can be trusted."""

    sources: list[str] = field(default_factory=list)
    files: str = ""
    trust: str = "none"
    reasons: list[str] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class MachinePage:
    script: ScriptView
    evidence: EvidenceView
    results: MachineResults | None = None
    # whether the server has seen evidence from it; when is on the machine lists, not here: a client that drops
    # the same facts again would otherwise make its page new every day (5,000 pages for one column)
    reported: bool = False
    stale: bool = False
    lifecycle: str = "accepted"


def script_view(plan: MachinePlan | None, problem: str = "", a: Assessment | None = None,
                service_packs: dict[str, str] | None = None, gate: Gate | None = None) -> ScriptView:
    """What the script does; SERVICE_PACKS: site.ini [service_packs] (OS -> package), to say why a missing
    service pack is not in it; GATE: the approvals and rings, to say who let each package through."""
    if plan is None:
        return ScriptView(problem=problem or "no script: hfstage cannot tell what this machine is")
    gate = gate or Gate()
    steps = [StepView(n, s.bulletin, s.qnumber, s.patch, s.package, s.kind, s.kind_source, str(s.install),
                      _restart(s), _note(s), gate.approved_text(plan.machine, s.bulletin, s.qnumber))
             for n, s in enumerate(plan.steps, 1)]
    window = plan.window.text if plan.window is not None else ""
    left_out = [*_unnamed_service_packs(plan, a, service_packs), *plan.unavailable,
                *(f"{p}: held back (kind only guessed, changed since confirmed, or not a package): see "
                  "`hfstage packages`" for p in plan.unconfirmed), *plan.retried]
    return ScriptView(steps, str(plan.qchain or ""), str(plan.reboot), plan.reboot_mode, window, left_out,
                      ring=gate.ring_of(plan.machine), approval_mode=gate.mode)


def _unnamed_service_packs(plan: MachinePlan, a: Assessment | None, named: dict[str, str] | None) -> list[str]:
    """A missing service pack the script leaves out because site.ini names no package for the OS: the scripts
    never guess a service pack's package, and say nothing of it themselves."""
    if a is None or named is None or (a.os or "").casefold() in named or any(s.bulletin == "SP" for s in plan.steps):
        return []
    return [f"{f.patch}: site.ini [service_packs] names no package for {a.os}, so the script does not install it "
            "(name its package there and put it under hotfixes\\)"
            for f in a.findings if f.kind == KIND_SERVICE_PACK and f.status == MISSING]


def _restart(step) -> str:
    if step.alone:
        return "restarts after it (Internet Explorer packages cannot share a restart)"
    return "needed" if step.needs_reboot else "no"


def _note(step) -> str:
    notes = []
    if step.rescan_after:
        notes.append("a service pack: the script stops after it, and the next scan decides the rest")
    if step.startup_skip:
        notes.append("too long for this machine's startup-script limit: runs only at an administrator's logon")
    return "; ".join(notes)


@dataclass(frozen=True)
class EvidenceFacts:
    """What a machine's page shows of its facts (evidence_view), no more: what the parent sends a drawing worker
    for a machine whose facts it read this run (the whole MachineFacts cost more to send than the page to draw)."""

    inputs: tuple[str, ...]  # the files its facts were read from (their paths)
    os_family: str | None
    collected: int  # files collected and found
    files_absent: str | None
    problems: tuple[str, ...]
    evidence: dict[str, str]
    error: str | None


def evidence_facts(facts: MachineFacts | None) -> EvidenceFacts | None:
    if facts is None:
        return None
    return EvidenceFacts(tuple(facts.inputs), facts.os_family,
                         sum(1 for f in facts.files if f.found), facts.files_absent,
                         (*facts.missing, *facts.parse_errors, *facts.warnings), facts.evidence, facts.error)


def evidence_view(facts: EvidenceFacts | None, a: Assessment) -> EvidenceView:
    if facts is None or facts.error or a.error:
        level, why = TRUST["none"]
        return EvidenceView(trust=level, reasons=[why], problems=[facts.error or a.error or ""] if facts else [])
    names = [PurePath(p).name for p in facts.inputs]
    exports = [n for n in names if n.lower().endswith(".reg")]
    kind = "9x" if facts.os_family == "9x" else "export" if exports and len(exports) == len(names) else "hives"
    level, why = TRUST[kind]
    reasons = [why]
    collected = facts.collected
    files = f"{collected} file(s) collected" if collected else (facts.files_absent or "no files collected")
    unverified = sum(f.unverified and f.gap is not None for f in a.findings)  # registry-only is the catalog's limit
    if unverified:
        reasons.append(f"{unverified} patch(es) unverified: their file evidence was not collected")
    problems = list(facts.problems)
    if level == "high" and (unverified or problems or not collected):
        level = "medium"
    return EvidenceView(names, files, level, reasons, sorted(facts.evidence.items()), problems)


def page_key(*parts: object) -> str:
    """What a page is made from beside its assessment: when it changes, the page is rendered again."""
    return fingerprint([asdict(p) if hasattr(p, "__dataclass_fields__") else p for p in parts])
