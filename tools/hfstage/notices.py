"""Notices between stages: typed values (a kind, a subject, the text), as plaso's ExtractionWarning.

A stage that tells a later one something (a spool left in place, an install that failed, evidence a
machine lacks) hands it a Notice. The later stage decides by its kind, never by its wording: rewording a
message changes what the admin reads, never what the admin is shown.
"""

from __future__ import annotations

from dataclasses import dataclass

# What the inventory did with the 9x spool (inventory\\_unnamed\\<user>\\).
SPOOL_FILED = "spool filed"  # the exports were filed under the machine they name
SPOOL_LEFT = "spool left"  # they stay where they are: the admin must look (listed in the month and the report)
# What the clients' results logs say (results\\<MACHINE>.log).
RESULTS = "results"  # the log itself: unreadable, or lines not in the form the scripts write
INSTALL = "install"  # an install failed, gave up, was blocked or loops: every scan report shows it
REBOOT = "reboot"  # the machine waits for a restart
ROLLBACK = "rollback"  # an uninstall left a patch in place
# What an assessment rests on (the inventory's facts, the catalog's coverage).
FACTS = "facts"  # something the inventory noticed about the machine's files
NOT_KNOWN = "not known"  # evidence the collector did not bring
UNREADABLE_LINES = "unreadable lines"  # lines of an export that could not be parsed
NOT_ASSESSED = "not assessed"  # a product level the catalog cannot judge
NOT_COVERED = "not covered"  # a product the catalog does not cover
REFUSED = "refused"  # a file in the machine's folder refused and named (not the collectors', or not its owner's)
STALE = "stale"  # a newer collection could not replace the machine's files: its evidence is stale since ...
# What the machine's own settings say about its startup scripts (the month names the machines).
FAST_LOGON = "fast logon"  # XP's Fast Logon Optimization: its startup scripts cannot be relied on (KB 305293)
SCRIPT_WAIT = "script wait"  # MaxGPOScriptWait stops startup scripts before a missing service pack could finish
NOTE = "note"  # recorded before notices had kinds

KINDS = (SPOOL_FILED, SPOOL_LEFT, RESULTS, INSTALL, REBOOT, ROLLBACK, FACTS, NOT_KNOWN, UNREADABLE_LINES,
         NOT_ASSESSED, NOT_COVERED, REFUSED, STALE, FAST_LOGON, SCRIPT_WAIT, NOTE)


@dataclass(frozen=True)
class Notice:
    """Something one stage tells the next: KIND decides what is done with it, TEXT is what the admin reads
    about SUBJECT (a machine, a file)."""

    kind: str
    subject: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown notice kind {self.kind!r}")

    def __str__(self) -> str:
        return f"{self.subject}: {self.text}" if self.subject else self.text

    def to_dict(self) -> dict:
        return {"kind": self.kind, "subject": self.subject, "text": self.text}

    @classmethod
    def from_dict(cls, data: dict | str, subject: str = "") -> Notice:
        """A stored notice; a bare text (stored before notices had kinds) is a NOTE about SUBJECT."""
        if isinstance(data, str):
            return cls(NOTE, subject, data)
        kind = data.get("kind") if data.get("kind") in KINDS else NOTE
        return cls(kind, str(data.get("subject", subject)), str(data.get("text", "")))


def of_kind(notices, *kinds: str) -> list[Notice]:
    """The notices of KINDS, in order."""
    return [n for n in notices if n.kind in kinds]
