"""Assessment results: one Finding per machine and applicable patch, with its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field

INSTALLED = "installed"
MISSING = "missing"
WARNING = "warning"
NOTE = "note"
SUPERSEDED = "superseded"
NOT_APPLICABLE = "not-applicable"
STATUSES = (MISSING, WARNING, NOTE, INSTALLED, SUPERSEDED, NOT_APPLICABLE)
# How HFNetChk worded each status in its reports.
HFNETCHK_LABEL = {MISSING: "Patch NOT Found", WARNING: "Warning", NOTE: "Note", INSTALLED: "Installed",
                  SUPERSEDED: "Superseded", NOT_APPLICABLE: "Not applicable"}


@dataclass
class Finding:
    machine: str
    product: str
    bulletin: str
    patch: str
    qnumber: str | None
    title: str
    status: str
    reason: str
    evidence: list[str] = field(default_factory=list)
    severity: str = "Unrated"
    testing: list[str] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    baseline: bool = False
    url: str | None = None
    no_reboot: bool = False
    date_posted: str | None = None
    date_revised: str | None = None


@dataclass
class Assessment:
    machine: str
    os: str | None
    service_pack: str | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    def shown(self, show_superseded: bool = False, baseline: bool = False) -> list[Finding]:
        """Findings a report shows: never not-applicable; superseded only on request."""
        out = []
        for f in self.findings:
            if f.status == NOT_APPLICABLE or (f.status == SUPERSEDED and not show_superseded):
                continue
            if baseline and not f.baseline:
                continue
            out.append(f)
        return out

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    def to_dict(self) -> dict:
        # Findings hold only strings, bools and lists of strings: a shallow copy is enough,
        # and much faster than dataclasses.asdict for 5,000 machines.
        return {**{k: v for k, v in self.__dict__.items() if k != "findings"},
                "findings": [dict(f.__dict__) for f in self.findings]}
