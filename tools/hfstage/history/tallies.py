"""The plan's patch tallies of a scan, counted once per set of assessments (the tallies memo), and brought up to
date by what changed when only some machines' assessments did.

Counting them joins every machine of the scan to its findings: 100,000 rows at 5,000 machines, every month,
though a month in which no machine's assessment changed counts exactly what the month before counted. The
tallies are a function of the scan's (machine, assessment key) pairs (an assessment key is the SHA-256 of the
stored assessment, whose findings rows are made from it alone), of the bulletins counted, and of the code that
stores findings and counts them (the memo's format: the history stage's source). The last count is kept in
the history under that key, with the scan it was counted from, and handed back while the key matches.

A month in which 50 of 5,000 machines changed counted all 100,000 rows again (0.3 s): the count kept is now
the one of the scan it names, so the new one is that count less the findings of the pairs that left and plus
those of the pairs that came, read by their assessment keys alone. The scan's pairs are read again and must
give the kept key (same machines, same assessments, same bulletins, same code), else everything is counted
again. Each tally keeps how many of its rows give each reason, so its reason (the least) stays exact when the
rows that gave it leave.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from hfstage.share import TALLIES

_KEYS_PER_QUERY = 500


@dataclass(frozen=True)
class PatchTally:
    """One patch's findings in one scan, by status: how many machines, which miss it, one reason."""

    bulletin: str
    patch: str
    status: str
    machines: int
    missing_on: tuple[str, ...]
    reason: str


# (bulletin, patch, status) -> [rows, the machines of its missing rows, reason -> rows]: what a tally is made of
Groups = dict[tuple[str, str, str], list]


def patch_tallies(conn: sqlite3.Connection, scan_id: int, wanted: list[str]) -> list[PatchTally]:
    """Per patch of the bulletins WANTED (sorted) and status: the count of scan SCAN_ID's machines and the names
    of those missing it; remembered under everything it is counted from (CONN: in a transaction)."""
    pairs = _pairs(conn, scan_id)
    key = TALLIES.key(pairs, wanted)
    row = conn.execute("SELECT key, tallies FROM patch_tallies").fetchone()  # only the latest count is kept
    kept = _decoded(row[1]) if row is not None else None
    if kept is not None and row[0] == key:
        return _tallies(kept[1])
    groups = _updated(conn, row[0], kept, pairs, wanted) if kept is not None else None
    if groups is None:
        groups = _groups(conn, scan_id, wanted)
    conn.execute("DELETE FROM patch_tallies")
    conn.execute("INSERT INTO patch_tallies (key, tallies) VALUES (?, ?)",
                 (key, json.dumps({"scan": scan_id, "groups": [[*g, *v] for g, v in sorted(groups.items())]})))
    return _tallies(groups)


def _pairs(conn: sqlite3.Connection, scan_id: int) -> list[list[str]]:
    return [list(p) for p in conn.execute(
        "SELECT machine, assessment_key FROM machines WHERE scan_id = ? ORDER BY machine", (scan_id,))]


def _counted(conn: sqlite3.Connection, scan_id: int, wanted: list[str]) -> list[PatchTally]:
    """The tallies counted from every finding of the scan, nothing remembered."""
    return _tallies(_groups(conn, scan_id, wanted))


def _groups(conn: sqlite3.Connection, scan_id: int, wanted: list[str]) -> Groups:
    rows = conn.execute(
        "SELECT f.bulletin, f.patch, f.status, f.reason, COUNT(*), "
        "GROUP_CONCAT(CASE WHEN f.status = 'missing' THEN m.machine END, char(10)) "
        "FROM machines m JOIN assessments a ON a.key = m.assessment_key JOIN assessment_findings f "
        "ON f.assessment = a.id WHERE m.scan_id = ? "
        f"AND f.bulletin IN ({','.join('?' * len(wanted))}) GROUP BY f.bulletin, f.patch, f.status, f.reason",
        (scan_id, *wanted)).fetchall()
    groups: Groups = {}
    for bulletin, patch, status, reason, n, names in rows:
        group = groups.setdefault((bulletin, patch, status), [0, [], {}])
        group[0] += n
        group[1] += names.split("\n") if names else []
        group[2][reason] = n
    return groups


def _updated(conn: sqlite3.Connection, kept_key: str, kept: tuple[int, Groups], pairs: list[list[str]],
             wanted: list[str]) -> Groups | None:
    """The KEPT count (of its scan, under KEPT_KEY) less the findings of the pairs that left and plus those of
    the pairs that came in PAIRS; None when it cannot be (its scan's pairs no longer give its key, too much
    changed, or its rows do not add up)."""
    scan_id, groups = kept
    before = _pairs(conn, scan_id)
    if TALLIES.key(before, wanted) != kept_key:
        return None
    old, new = dict(map(tuple, before)), dict(map(tuple, pairs))
    left = [(m, k) for m, k in old.items() if new.get(m) != k]
    came = [(m, k) for m, k in new.items() if old.get(m) != k]
    if len(left) + len(came) > len(pairs):  # most machines changed: counting everything is quicker
        return None
    rows = _findings(conn, {k for _, k in left + came}, wanted)
    for sign, changes in ((-1, left), (1, came)):
        for machine, key in changes:
            for bulletin, patch, status, reason in rows.get(key, []):
                if not _add(groups, (bulletin, patch, status), reason, machine if status == "missing" else None, sign):
                    return None
    return {g: v for g, v in groups.items() if v[0]}


def _add(groups: Groups, group: tuple[str, str, str], reason: str, missing_on: str | None, sign: int) -> bool:
    """One finding row into (SIGN 1) or out of (-1) GROUPS; False when a row taken out was never in."""
    counts = groups.setdefault(group, [0, [], {}])
    counts[0] += sign
    counts[2][reason] = counts[2].get(reason, 0) + sign
    if not counts[2][reason]:
        del counts[2][reason]
    if missing_on is not None:
        if sign > 0:
            counts[1].append(missing_on)
        elif missing_on in counts[1]:
            counts[1].remove(missing_on)
        else:
            return False
    return counts[0] >= 0 and counts[2].get(reason, 0) >= 0


def _findings(conn: sqlite3.Connection, keys: set[str], wanted: list[str]) -> dict[str, list[tuple]]:
    """The findings rows of the assessments KEYS of the bulletins WANTED, by key."""
    out: dict[str, list[tuple]] = {}
    ordered = sorted(keys)
    for start in range(0, len(ordered), _KEYS_PER_QUERY):
        chunk = ordered[start:start + _KEYS_PER_QUERY]
        for key, *row in conn.execute(
                f"SELECT a.key, f.bulletin, f.patch, f.status, f.reason FROM assessments a JOIN assessment_findings f "
                f"ON f.assessment = a.id WHERE a.key IN ({','.join('?' * len(chunk))}) "
                f"AND f.bulletin IN ({','.join('?' * len(wanted))})", (*chunk, *wanted)):
            out.setdefault(key, []).append(tuple(row))
    return out


def _decoded(text: str) -> tuple[int, Groups] | None:
    """The scan and groups of a kept count, or None when it is not one this code keeps."""
    try:
        data = json.loads(text)
        groups = {(b, p, s): [n, list(names), dict(reasons)] for b, p, s, n, names, reasons in data["groups"]}
        scan_id = data["scan"]
    except (ValueError, TypeError, KeyError):
        return None
    if not isinstance(scan_id, int) or not all(
            isinstance(n, int) and all(isinstance(r, str) and isinstance(c, int) for r, c in reasons.items())
            and all(isinstance(m, str) for m in names) for n, names, reasons in groups.values()):
        return None
    return scan_id, groups


def _tallies(groups: Groups) -> list[PatchTally]:
    """The tallies of GROUPS, by bulletin, patch and status; each with its machines missing it, sorted, and its
    least reason (SQLite's MIN)."""
    return [PatchTally(b, p, status, n, tuple(sorted(names)), min(reasons))
            for (b, p, status), (n, names, reasons) in sorted(groups.items()) if n]
