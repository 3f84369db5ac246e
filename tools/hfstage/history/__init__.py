"""The scan history on the share (state\\history.sqlite): one module owns every SQL statement."""

from hfstage.history.db import connect_database, db_path
from hfstage.history.store import (
    FULL,
    PARTIAL,
    FindingRow,
    History,
    MachineRow,
    PatchTally,
    Recorded,
    ScanRow,
    ScanTotals,
    assessment_key,
    row_for,
)

__all__ = [
    "FULL", "PARTIAL", "FindingRow", "History", "MachineRow", "PatchTally", "Recorded", "ScanRow", "ScanTotals",
    "assessment_key", "connect_database", "db_path", "row_for",
]
