"""The plan's patch tallies of a scan, counted once per set of assessments (the tallies memo).

Counting them joins every machine of the scan to its findings: 100,000 rows at 5,000 machines, every month,
though a month in which no machine's assessment changed counts exactly what the month before counted. The
tallies are a function of the scan's (machine, assessment key) pairs (an assessment key is the SHA-256 of the
stored assessment, whose findings rows are made from it alone), of the bulletins counted, and of the code that
stores findings and counts them (the memo's format: the history stage's source). The last count is kept in
the history under that key and handed back while the key matches.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import astuple, dataclass

from hfstage.share import TALLIES


@dataclass(frozen=True)
class PatchTally:
    """One patch's findings in one scan, by status: how many machines, which miss it, one reason."""

    bulletin: str
    patch: str
    status: str
    machines: int
    missing_on: tuple[str, ...]
    reason: str


def patch_tallies(conn: sqlite3.Connection, scan_id: int, wanted: list[str]) -> list[PatchTally]:
    """Per patch of the bulletins WANTED (sorted) and status: the count of scan SCAN_ID's machines and the names
    of those missing it; remembered under everything it is counted from (CONN: in a transaction)."""
    pairs = conn.execute("SELECT machine, assessment_key FROM machines WHERE scan_id = ? ORDER BY machine",
                         (scan_id,)).fetchall()
    key = TALLIES.key([list(p) for p in pairs], wanted)
    found = conn.execute("SELECT tallies FROM patch_tallies WHERE key = ?", (key,)).fetchone()
    if found is not None:
        return [PatchTally(b, p, status, n, tuple(names), reason) for b, p, status, n, names, reason
                in json.loads(found[0])]
    tallies = _counted(conn, scan_id, wanted)
    conn.execute("DELETE FROM patch_tallies")  # only the latest count is worth keeping
    conn.execute("INSERT INTO patch_tallies (key, tallies) VALUES (?, ?)",
                 (key, json.dumps([astuple(t) for t in tallies])))
    return tallies


def _counted(conn: sqlite3.Connection, scan_id: int, wanted: list[str]) -> list[PatchTally]:
    rows = conn.execute(
        "SELECT f.bulletin, f.patch, f.status, COUNT(*), "
        "GROUP_CONCAT(CASE WHEN f.status = 'missing' THEN m.machine END, char(10)), MIN(f.reason) "
        "FROM machines m JOIN assessments a ON a.key = m.assessment_key JOIN assessment_findings f "
        "ON f.assessment = a.id WHERE m.scan_id = ? "
        f"AND f.bulletin IN ({','.join('?' * len(wanted))}) GROUP BY f.bulletin, f.patch, f.status",
        (scan_id, *wanted)).fetchall()
    return [PatchTally(b, p, status, n, tuple(sorted((names or "").split("\n"))) if names else (), reason)
            for b, p, status, n, names, reason in rows]
