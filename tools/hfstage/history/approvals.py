"""The admins' approvals in the history (state\\history.sqlite): every approve and unapprove is an event
kept for good (who ran it, when, the catalog, the packages, the note), and the current approvals are what
the events leave standing: one source of truth, written in one transaction, so the record and the
current set cannot disagree. Each event's line in state\\audit.log is written after its transaction and
marked `audited`; a run killed between the two leaves the event unaudited, and the next writer adds the
line (once: each line names its event)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

from hfstage.history.db import connect, db_path
from hfstage.share import Share

APPROVE, UNAPPROVE = "approve", "unapprove"
_COLUMNS = "seq, action, approval, ring, packages, by_user, at, catalog_version, note, audited"


def approval_id(text: str) -> str:
    """The form approvals are kept in: a bulletin as written (MS03-026), a Q/KB number as its digits, SP."""
    text = text.strip()
    number = re.fullmatch(r"(?i)(?:Q|KB)?(\d{4,7})", text)
    return number.group(1) if number else text.upper()


@dataclass(frozen=True)
class ApprovalEvent:
    """One approve or unapprove: the ID (bulletin, Q/KB digits, SP), its ring, the packages the catalog gave
    the ID then, who, when (UTC), the catalog version and the note. SEQ: its place in the history."""

    action: str
    id: str
    ring: str
    packages: tuple[str, ...]
    by: str
    at: str
    catalog: str
    note: str = ""
    seq: int = 0
    audited: bool = False

    @property
    def tag(self) -> str:
        """What audit.log's line ends with: the event it records, so it is never written twice."""
        return f"[approval event {self.seq}]"

    def covers(self, bulletin: str, qnumber: str) -> bool:
        """Whether this approval's ID is the patch's bulletin or its Q/KB number."""
        return self.id in (approval_id(bulletin), approval_id(qnumber))


def _event(row) -> ApprovalEvent:
    return ApprovalEvent(row["action"], row["approval"], row["ring"], tuple(json.loads(row["packages"])),
                         row["by_user"], row["at"], row["catalog_version"], row["note"], row["seq"],
                         bool(row["audited"]))


def approval_events(share: Share) -> list[ApprovalEvent]:
    """Every approval event, oldest first (none before the history exists: nothing was approved there)."""
    if not db_path(share).exists():
        return []
    with connect(share) as conn:
        return [_event(r) for r in conn.execute(f"SELECT {_COLUMNS} FROM approval_events ORDER BY seq")]


def standing(events: list[ApprovalEvent]) -> list[ApprovalEvent]:
    """The approvals EVENTS leave standing, oldest first: an unapprove withdraws its ID's approvals for its ring."""
    kept: list[ApprovalEvent] = []
    for e in events:
        if e.action == APPROVE:
            kept.append(e)
        else:
            kept = [k for k in kept if (k.id, k.ring) != (e.id, e.ring)]
    return kept


def imported(share: Share) -> bool:
    """Whether state\\approvals.json (the approvals of hfstage before they were kept here) was taken in."""
    if not db_path(share).exists():
        return False
    with connect(share) as conn:
        return conn.execute("SELECT COUNT(*) FROM approvals_imported").fetchone()[0] > 0


def record_approvals(share: Share, events: list[ApprovalEvent], import_at: str | None = None) -> list[ApprovalEvent]:
    """Add EVENTS in one transaction (an event already `audited` has its line in audit.log; with IMPORT_AT: they
    are approvals.json's, taken in once, and the import is marked in the same transaction); returns them with
    their places in the history."""
    with connect(share) as conn, conn:
        out = []
        for e in events:
            cur = conn.execute("INSERT INTO approval_events (action, approval, ring, packages, by_user, at, "
                               "catalog_version, note, audited) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (e.action, e.id, e.ring, json.dumps(list(e.packages)), e.by, e.at, e.catalog, e.note,
                                int(e.audited)))
            out.append(replace(e, seq=cur.lastrowid or 0))
        if import_at is not None:
            conn.execute("INSERT INTO approvals_imported (at, approvals) VALUES (?, ?)", (import_at, len(events)))
    return out


def unaudited(share: Share) -> list[ApprovalEvent]:
    """The events whose audit.log line was not yet marked written (a run killed between the two)."""
    return [e for e in approval_events(share) if not e.audited]


def mark_audited(share: Share, events: list[ApprovalEvent]) -> None:
    with connect(share) as conn, conn:
        conn.executemany("UPDATE approval_events SET audited = 1 WHERE seq = ?", [(e.seq,) for e in events])
