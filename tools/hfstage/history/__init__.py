"""The history on the share (state\\history.sqlite): this stage owns every SQL statement: store (the scans),
installed (what the scripts installed, for the rollback) and approvals (the admins' approvals)."""

from hfstage.history.approvals import (
    APPROVE,
    UNAPPROVE,
    ApprovalEvent,
    approval_events,
    approval_id,
    imported,
    mark_audited,
    record_approvals,
    standing,
    unaudited,
)
from hfstage.history.db import connect_database, db_path
from hfstage.history.installed import CONTAINED, INSTALLED, REMOVED, InstalledPatch, InstallLedger, ScriptedStep
from hfstage.history.store import (
    FULL,
    PARTIAL,
    Encoded,
    FindingRow,
    History,
    MachineRow,
    PatchTally,
    Recorded,
    ScanRow,
    ScanTotals,
    assessment_blob,
    assessment_key,
    encode,
    row_for,
    startup_format,
    stored_assessment,
)

__all__ = [
    "APPROVE", "UNAPPROVE", "ApprovalEvent", "approval_events", "approval_id", "imported", "mark_audited",
    "record_approvals", "standing", "unaudited",
    "CONTAINED", "INSTALLED", "REMOVED", "InstallLedger", "InstalledPatch", "ScriptedStep",
    "FULL", "PARTIAL", "Encoded", "FindingRow", "History", "MachineRow", "PatchTally", "Recorded", "ScanRow",
    "ScanTotals",
    "assessment_blob", "assessment_key", "connect_database", "db_path", "encode", "row_for", "startup_format",
    "stored_assessment",
]
