"""Approval and rings: a patch reaches a machine's script only once an admin approved it for the
machine's ring. site.ini [rings] names the machines of each ring (pilot = NT4TEST, W2KTEST; names,
patterns such as LAB-*, or @file, a text file of names below the share); every other machine is in ring
`all`. [approval] mode = auto (the default: every applicable patch is approved for every ring, as
before) or manual (nothing is scripted until `hfstage approve`). An approval names the packages the
catalog gave its ID then: a revised bulletin whose package changed needs approval again.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from hfstage.history import ApprovalEvent

ALL = "all"


@dataclass(frozen=True)
class Gate:
    """Which patches may reach which machines' scripts (part of the script settings: an approval makes the
    scripts of the machines it reaches again)."""

    mode: str = "auto"
    rings: tuple[tuple[str, tuple[str, ...]], ...] = ()  # ring -> machine names and patterns, in site.ini's order
    approved: tuple[ApprovalEvent, ...] = ()  # the approvals standing, oldest first

    def ring_of(self, machine: str) -> str:
        for ring, patterns in self.rings:
            if any(fnmatch.fnmatchcase(machine.casefold(), p.casefold()) for p in patterns):
                return ring
        return ALL

    def approvals(self, machine: str, bulletin: str, qnumber: str) -> list[ApprovalEvent]:
        ring = self.ring_of(machine)
        return [a for a in self.approved if a.ring in (ring, ALL) and a.covers(bulletin, qnumber)]

    def why_not(self, machine: str, bulletin: str, qnumber: str, package: str) -> str | None:
        """None when the patch may reach MACHINE's script; else why not, with the command that changes it."""
        if self.mode == "auto":
            return None
        ring = self.ring_of(machine)
        mine = self.approvals(machine, bulletin, qnumber)
        if not mine:
            return f"not approved for ring {ring} (hfstage approve SHARE {bulletin} --ring {ring})"
        if any(package.strip().casefold() in {p.casefold() for p in a.packages} for a in mine):
            return None
        last = mine[-1]
        return (f"approved {last.at[:10]} by {last.by} for {', '.join(last.packages) or 'no package'}, but the "
                f"catalog now names {package.strip()} (a revised package): approve {bulletin} again")

    def state(self, machine: str, bulletin: str, qnumber: str, package: str | None, share: str = "SHARE") -> str:
        """A missing patch's approval state on MACHINE, for the reports: auto, approved (by whom, when, for which
        ring), waiting (with the command), or a revised package that needs approval again. PACKAGE None: a
        service pack, approved as SP whatever its file."""
        if self.mode == "auto":
            return "auto"
        mine = self.approvals(machine, bulletin, qnumber)
        why = None if package is None and mine else self.why_not(machine, bulletin, qnumber, package or "")
        if why is None:
            a = next((a for a in reversed(mine) if package is None
                      or package.strip().casefold() in {p.casefold() for p in a.packages}), mine[-1])
            return f"approved by {a.by} on {a.at[:10]} for ring {a.ring}"
        ring = self.ring_of(machine)
        if not mine:
            return f"waiting for approval (hfstage approve {share} {bulletin} --ring {ring})"
        return f"revised package needs approval again (hfstage approve {share} {bulletin} --ring {ring})"

    def approved_text(self, machine: str, bulletin: str, qnumber: str) -> str:
        """Who approved it for MACHINE's ring, for the plan's column ("auto" in auto mode)."""
        if self.mode == "auto":
            return "auto"
        mine = self.approvals(machine, bulletin, qnumber)
        return "; ".join(f"{a.by} {a.at[:10]} ({a.ring})" for a in mine) or "-"
