"""Every SQL statement hfstage runs against its history, returning typed rows.

A scan is a row in `scans`, a row per machine in `machines`; each machine row points at
its assessment, stored once per content in `assessments` (with its findings in
`assessment_findings`, which point at it by its number), so a month in which a machine did not change costs
one small row.
Only full scans (`scan` over every machine, or `month`) are the site's record; partial
scans are kept as `partial` and never replace it.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import pickle
import socket
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from hfstage.assess import INSTALLED, KIND_PATCH, MISSING, WARNING, Assessment
from hfstage.history.db import connect
from hfstage.history.tallies import PatchTally, patch_tallies
from hfstage.share import SCANS, Share, fingerprint, jsonio

FULL, PARTIAL = "full", "partial"


@dataclass(frozen=True)
class ScanRow:
    id: int
    started_at: str
    catalog_version: str
    user: str
    host: str
    command: str
    kind: str


@dataclass(frozen=True)
class MachineRow:
    scan_id: int
    machine: str
    os: str | None
    service_pack: str | None
    role: str | None
    error: str | None
    status: str
    status_detail: str
    applicable: int
    installed: int
    missing: int
    input_key: str | None
    assessment_key: str
    signature: str | None
    standing: str = "accepted"  # pending machines are shown, not counted (inventory.lifecycle)
    binding: str | None = None  # who wrote its evidence (inventory.binding)
    # the kinds of startup notice its assessment earns (Assessment.startup_kinds), comma-joined, from the
    # assessment_startup table (not a column of machines); None: not kept for this assessment and format
    startup: str | None = None

    def startup_kinds(self) -> set[str] | None:
        """The startup notices its assessment earns, or None when only the assessment itself can tell."""
        return None if self.startup is None else set(filter(None, self.startup.split(",")))


@dataclass(frozen=True)
class FindingRow:
    machine: str
    bulletin: str
    patch: str
    qnumber: str | None
    product: str
    status: str
    severity: str
    kind: str
    reason: str
    title: str | None
    url: str | None
    date_posted: str | None


@dataclass
class ScanTotals:
    scan_id: int
    started_at: str
    catalog_version: str
    machines: int
    by_status: dict[str, int]
    applicable: int
    installed: int
    missing: int


@dataclass(frozen=True)
class Encoded:
    """An assessment as the history stores it, made where the assessment was made (a scan's worker process), so
    the process that writes the history only writes: its machine row (under scan 0), the stored blob (the JSON,
    zlib'd) and its findings' rows without the assessment's number, pickled (unpacked only when the assessment is
    not stored yet)."""

    row: MachineRow
    data: bytes
    findings: bytes


@dataclass(frozen=True)
class Recorded:
    """One machine of a scan to record: a fresh assessment (or its ENCODED form), or the previous scan's row
    reused."""

    assessment: Assessment | None
    input_key: str | None
    reused: MachineRow | None = None
    encoded: Encoded | None = None


def assessment_blob(a: Assessment) -> bytes:
    """A as the history stores it (its key is this text's SHA-256) and the report's scan.json lists it:
    jsonio.dumps(a.to_dict()). An assessment holds strings, booleans and lists only: orjson writes it whole."""
    return jsonio.dumps(a.to_dict())


def stored_assessment(blob: bytes) -> Assessment:
    """The assessment a stored blob holds (as jsonio or, before it, json.dumps wrote it)."""
    return Assessment.from_dict(jsonio.loads(blob))


def assessment_key(a: Assessment, blob: bytes | None = None) -> str:
    return hashlib.sha256(blob if blob is not None else assessment_blob(a)).hexdigest()


def _signature(a: Assessment) -> str:
    """What 'last change' compares: each finding's state, not its wording."""
    state = sorted((f.bulletin, f.patch, f.status) for f in a.findings) + [a.status]
    return fingerprint(state)[:32]


def startup_format() -> str:
    """What the startup notices kept per assessment are valid for: the format version of the code that makes
    assessments (Assessment.startup_kinds is part of it), the scans memo's."""
    return SCANS.format


def _counts(a: Assessment) -> tuple[int, int, int]:
    """Applicable patches whose state is known (installed, warning, missing), installed (incl. warnings), missing.

    Notes (cannot be confirmed), superseded and not-applicable patches are not counted.
    """
    known = [f for f in a.findings if f.status in (INSTALLED, WARNING, MISSING) and f.kind == KIND_PATCH]
    installed = sum(1 for f in known if f.status in (INSTALLED, WARNING))
    return len(known), installed, sum(1 for f in known if f.status == MISSING)


def encode(a: Assessment, input_key: str | None) -> Encoded:
    """A as record_scan stores it, whatever process makes it (the same bytes, the same rows)."""
    blob = assessment_blob(a)
    row = row_for(a, input_key, 0, blob)
    return Encoded(row, zlib.compress(blob, 1), pickle.dumps(_finding_rows(a), protocol=5))


def _finding_rows(a: Assessment) -> list[tuple]:
    """The assessment_findings rows of A without the number of the assessment they belong to (given when stored)."""
    return [(f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.kind, f.reason, f.title, f.url,
             f.date_posted) for f in a.findings]


def row_for(a: Assessment, input_key: str | None, scan_id: int = 0, blob: bytes | None = None) -> MachineRow:
    """The machine row the history keeps for assessment A (BLOB: A as JSON, when already made)."""
    applicable, installed, missing = _counts(a)
    return MachineRow(scan_id, a.machine, a.os, a.service_pack, a.role, a.error, a.status, a.status_detail,
                      applicable, installed, missing, input_key, assessment_key(a, blob), _signature(a), a.standing,
                      a.binding, ",".join(a.startup_kinds()))


class History:
    """Typed access to state\\history.sqlite; one connection per `with` block."""

    def __init__(self, share: Share) -> None:
        self.share = share

    def _rows(self, sql: str, params: tuple = ()) -> list:
        with connect(self.share) as conn:
            return conn.execute(sql, params).fetchall()

    # --- scans -------------------------------------------------------------------------

    def scans(self, since: str | None = None, kind: str | None = FULL) -> list[ScanRow]:
        sql = "SELECT id, started_at, catalog_version, user, host, command, kind FROM scans WHERE 1 = 1"
        params: list = []
        if since:
            sql, params = sql + " AND started_at >= ?", [*params, since]
        if kind:
            sql, params = sql + " AND kind = ?", [*params, kind]
        return [ScanRow(*r) for r in self._rows(sql + " ORDER BY id", tuple(params))]

    def latest_scan(self, kind: str | None = FULL) -> ScanRow | None:
        sql = "SELECT id, started_at, catalog_version, user, host, command, kind FROM scans"
        rows = self._rows(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY id DESC LIMIT 1",
                          (kind,) if kind else ())
        return ScanRow(*rows[0]) if rows else None

    # --- machines and findings -------------------------------------------------------

    _MACHINE_COLUMNS = ("scan_id, machine, os, service_pack, role, error, status, status_detail, applicable, "
                        "installed, missing, input_key, assessment_key, signature, standing, binding")

    def machines(self, scan_id: int) -> list[MachineRow]:
        columns = ", ".join(f"m.{c}" for c in _ROW_COLUMNS)
        rows = self._rows(f"SELECT {columns}, s.kinds FROM machines m LEFT JOIN assessment_startup s ON "
                          "s.key = m.assessment_key AND s.format = ? WHERE m.scan_id = ? ORDER BY m.machine",
                          (startup_format(), scan_id))
        return [MachineRow(*r) for r in rows]

    def findings(self, scan_id: int, status: str | None = None,
                 bulletins: Iterable[str] | None = None) -> list[FindingRow]:
        """The scan's findings (only STATUS, only BULLETINS when given), by machine."""
        sql = ("SELECT m.machine, f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.kind, f.reason, "
               "f.title, f.url, f.date_posted FROM machines m JOIN assessments a ON a.key = m.assessment_key "
               "JOIN assessment_findings f ON f.assessment = a.id "
               "WHERE m.scan_id = ?")
        params: list = [scan_id]
        if status:
            sql, params = sql + " AND f.status = ?", [*params, status]
        if bulletins is not None:
            wanted = sorted(set(bulletins))
            sql, params = sql + f" AND f.bulletin IN ({','.join('?' * len(wanted))})", [*params, *wanted]
        return [FindingRow(*r) for r in self._rows(sql + " ORDER BY m.machine, f.rowid", tuple(params))]

    def installed_patches(self, scan_id: int) -> set[tuple[str, str, str]]:
        """(machine, bulletin, patch), casefolded, of every patch the scan found installed (read from the
        findings table: no assessment is decoded)."""
        rows = self._rows("SELECT m.machine, f.bulletin, f.patch FROM machines m JOIN assessments a ON "
                          "a.key = m.assessment_key JOIN assessment_findings f ON f.assessment = a.id "
                          "WHERE m.scan_id = ? AND f.status = ?", (scan_id, INSTALLED))
        return {(machine.casefold(), bulletin, patch.strip().casefold()) for machine, bulletin, patch in rows}

    def patch_tallies(self, scan_id: int, bulletins: Iterable[str]) -> list[PatchTally]:
        """Per patch of BULLETINS and status: the count of machines (and names of those missing it)."""
        wanted = sorted(set(bulletins))
        if not wanted:
            return []
        with connect(self.share) as conn, conn:
            return patch_tallies(conn, scan_id, wanted)

    def assessments(self, keys: Iterable[str]) -> dict[str, Assessment]:
        """Stored assessments by key (those recorded before hfstage kept them are absent)."""
        return {key: stored_assessment(blob) for key, blob in self.assessment_blobs(keys).items()}

    def assessment_blobs(self, keys: Iterable[str]) -> dict[str, bytes]:
        """Stored assessments by key as the history keeps them (`assessment_blob`: the JSON whose SHA-256 is the key),
        undecoded: the report's scan.json entry of each is these bytes."""
        wanted = list(dict.fromkeys(keys))
        out: dict[str, bytes] = {}
        with connect(self.share) as conn:
            for start in range(0, len(wanted), 500):
                chunk = wanted[start:start + 500]
                marks = ",".join("?" * len(chunk))
                for key, data in conn.execute(f"SELECT key, data FROM assessments WHERE key IN ({marks})", chunk):
                    if data:
                        out[key] = zlib.decompress(data)
        return out

    def last_changes(self) -> dict[str, str]:
        """Per machine, when its findings last differed from the full scan before (or first appeared)."""
        rows = self._rows(
            "SELECT machine, started_at, signature, LAG(signature) OVER (PARTITION BY machine ORDER BY s.id) AS before "
            "FROM machines m JOIN scans s ON s.id = m.scan_id WHERE s.kind = 'full' ORDER BY s.id")
        changed: dict[str, str] = {}
        for machine, started_at, signature, before in rows:
            if before is None or signature != before:
                changed[machine] = started_at
        return changed

    def scan_totals(self, since: str | None = None) -> list[ScanTotals]:
        """Per full scan: accepted machines, by status, applicable and installed patches (for trends); pending
        machines are the site's only once accepted."""
        sql = ("SELECT s.id, s.started_at, s.catalog_version, m.status, COUNT(*), SUM(m.applicable), "
               "SUM(m.installed), SUM(m.missing) FROM scans s JOIN machines m ON m.scan_id = s.id "
               "WHERE s.kind = 'full' AND m.standing = 'accepted'" + (" AND s.started_at >= ?" if since else "") +
               " GROUP BY s.id, m.status ORDER BY s.id")
        totals: dict[int, ScanTotals] = {}
        for scan_id, started_at, version, status, n, applicable, installed, missing in self._rows(
                sql, (since,) if since else ()):
            t = totals.setdefault(scan_id, ScanTotals(scan_id, started_at, version, 0, {}, 0, 0, 0))
            t.by_status[status] = n
            t.machines += n
            t.applicable += applicable or 0
            t.installed += installed or 0
            t.missing += missing or 0
        return list(totals.values())

    # --- recording ---------------------------------------------------------------------

    def record_scan(self, machines: Iterable[Recorded], catalog_version: str, command: str, kind: str = FULL,
                    as_of: dt.datetime | None = None) -> int:
        """Store one scan with every machine in one transaction; returns its id.

        AS_OF records the scan under another date (back-filled months, the demo).
        """
        now = (as_of or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
        with connect(self.share) as conn, conn:
            cur = conn.execute("INSERT INTO scans (started_at, catalog_version, user, host, command, kind) "
                               "VALUES (?, ?, ?, ?, ?, ?)",
                               (now, catalog_version, getpass.getuser(), socket.gethostname(), command, kind))
            scan_id = cur.lastrowid
            rows = [self._row(conn, scan_id, m) for m in machines]
            conn.executemany(f"INSERT INTO machines ({self._MACHINE_COLUMNS}) VALUES "
                             f"({','.join('?' * len(_ROW_COLUMNS))})", rows)
        return scan_id

    def _row(self, conn, scan_id: int, m: Recorded) -> tuple:
        if m.reused is not None:
            if m.reused.startup is None:  # its assessment was stored before hfstage kept them: read it once
                _remember_startup(conn, m.reused.assessment_key, None)
            return (scan_id, *_values(m.reused)[1:])
        if m.encoded is not None:
            e = m.encoded
            row, data, findings = e.row, lambda: e.data, lambda: pickle.loads(e.findings)
        else:
            a = m.assessment
            blob = assessment_blob(a)
            row = row_for(a, m.input_key, scan_id, blob)
            data = lambda: zlib.compress(blob, 1)  # noqa: E731 - 3x faster than 6, 20% larger
            findings = lambda: _finding_rows(a)  # noqa: E731
        key = row.assessment_key
        if conn.execute("SELECT 1 FROM assessments WHERE key = ?", (key,)).fetchone() is None:
            number = conn.execute("INSERT INTO assessments (key, machine, data) VALUES (?, ?, ?)",
                                  (key, row.machine, data())).lastrowid
            conn.executemany(
                "INSERT INTO assessment_findings (assessment, bulletin, patch, qnumber, product, status, severity, "
                "kind, reason, title, url, date_posted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(number, *f) for f in findings()])
        _remember_startup(conn, key, row.startup)
        return (scan_id, *_values(row)[1:])


def _remember_startup(conn, key: str, kinds: str | None) -> None:
    """Keep the startup notices of assessment KEY (KINDS; None: decode the stored assessment, unless it was
    recorded before hfstage stored assessments)."""
    if kinds is None:
        found = conn.execute("SELECT data FROM assessments WHERE key = ?", (key,)).fetchone()
        if found is None or not found[0]:
            return
        kinds = ",".join(stored_assessment(zlib.decompress(found[0])).startup_kinds())
    conn.execute("INSERT OR IGNORE INTO assessment_startup (key, format, kinds) VALUES (?, ?, ?)",
                 (key, startup_format(), kinds))


_ROW_COLUMNS = tuple(c.strip() for c in History._MACHINE_COLUMNS.split(","))  # MachineRow's stored fields


def _values(row: MachineRow) -> tuple:
    """ROW's columns in order (its fields are plain values: dataclasses.astuple's deep copy is not needed)."""
    return tuple(getattr(row, name) for name in _ROW_COLUMNS)
