"""The history database (state\\history.sqlite): connection, integrity check, migrations.

Writers hold the share lock; the database runs in WAL mode so readers never block, and
every scan is recorded in one transaction: a crash leaves the previous scans intact. A
damaged database is named with the way out and kept, never silently replaced.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hfstage.errors import LockedError, StateError, os_fault
from hfstage.share import HISTORY, PRIVATE, Share

_CHECKED: set[str] = set()  # databases checked by this process (quick_check once per run)
MIGRATIONS = [
    # 1: scans, machines per scan, findings per machine and scan
    """
    CREATE TABLE scans (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,
        catalog_version TEXT NOT NULL,
        user TEXT NOT NULL,
        host TEXT NOT NULL,
        command TEXT NOT NULL
    );
    CREATE TABLE machines (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        machine TEXT NOT NULL,
        os TEXT,
        service_pack TEXT,
        error TEXT,
        applicable INTEGER NOT NULL,
        installed INTEGER NOT NULL,
        missing INTEGER NOT NULL,
        PRIMARY KEY (scan_id, machine)
    );
    CREATE TABLE findings (
        scan_id INTEGER NOT NULL REFERENCES scans(id),
        machine TEXT NOT NULL,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL,
        qnumber TEXT,
        product TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        reason TEXT NOT NULL
    );
    CREATE INDEX findings_scan_machine ON findings(scan_id, machine);
    """,
    # 2: machine statuses; assessments stored once per content (a month with no change adds
    # one small row per machine); full and partial scans; findings moved to assessments.
    """
    ALTER TABLE scans ADD COLUMN kind TEXT NOT NULL DEFAULT 'full';
    ALTER TABLE machines ADD COLUMN status TEXT;
    ALTER TABLE machines ADD COLUMN status_detail TEXT;
    ALTER TABLE machines ADD COLUMN role TEXT;
    ALTER TABLE machines ADD COLUMN input_key TEXT;
    ALTER TABLE machines ADD COLUMN assessment_key TEXT;
    ALTER TABLE machines ADD COLUMN signature TEXT;
    CREATE TABLE assessments (
        key TEXT PRIMARY KEY,
        machine TEXT NOT NULL,
        data BLOB NOT NULL
    );
    CREATE TABLE assessment_findings (
        key TEXT NOT NULL,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL,
        qnumber TEXT,
        product TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        title TEXT,
        url TEXT,
        date_posted TEXT
    );
    CREATE INDEX assessment_findings_key ON assessment_findings(key);
    -- scans recorded before statuses existed never checked completeness: never "compliant"
    UPDATE machines SET status = CASE WHEN error IS NOT NULL THEN 'unreadable'
                                      WHEN missing > 0 THEN 'needs patches' ELSE 'unverified' END,
                        status_detail = 'recorded before hfstage judged completeness',
                        assessment_key = 'legacy:' || scan_id || ':' || machine;
    INSERT INTO assessments (key, machine, data) SELECT assessment_key, machine, X'' FROM machines;
    INSERT INTO assessment_findings (key, bulletin, patch, qnumber, product, status, severity, kind, reason)
        SELECT 'legacy:' || scan_id || ':' || machine, bulletin, patch, qnumber, product, status, severity,
               'patch', reason FROM findings;
    UPDATE machines SET signature = assessment_key;
    DROP TABLE findings;
    CREATE INDEX machines_machine ON machines(machine, scan_id);
    """,
    # 3: what hfstage's scripts installed on each machine, for its rollback script: every package a
    # script was made to run (scripted), and each one the client reported installed and a scan confirmed
    # (installed), kept across months and catalogs until it is removed or a service pack contains it
    """
    CREATE TABLE scripted (
        machine TEXT NOT NULL COLLATE NOCASE,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL COLLATE NOCASE,
        qnumber TEXT NOT NULL,
        product TEXT NOT NULL,
        family TEXT NOT NULL,
        kind TEXT NOT NULL,
        package TEXT NOT NULL,
        identity TEXT NOT NULL,
        catalog_version TEXT NOT NULL,
        first_at TEXT NOT NULL,
        PRIMARY KEY (machine, bulletin, patch, identity)
    );
    CREATE TABLE installed (
        machine TEXT NOT NULL COLLATE NOCASE,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL COLLATE NOCASE,
        qnumber TEXT NOT NULL,
        product TEXT NOT NULL,
        family TEXT NOT NULL,
        kind TEXT NOT NULL,
        package TEXT NOT NULL,
        identity TEXT NOT NULL,
        service_pack TEXT,
        seq INTEGER NOT NULL,
        confirmed_at TEXT NOT NULL,
        confirmed_scan INTEGER NOT NULL,
        catalog_version TEXT NOT NULL,
        state TEXT NOT NULL,
        ended_at TEXT,
        reason TEXT,
        PRIMARY KEY (machine, bulletin, patch)
    );
    """,
    # 4: each machine's standing in its scan (only accepted machines are counted; scans recorded before machines
    # had a lifecycle were all counted, so their machines are accepted) and who wrote its evidence
    """
    ALTER TABLE machines ADD COLUMN standing TEXT NOT NULL DEFAULT 'accepted';
    ALTER TABLE machines ADD COLUMN binding TEXT;
    """,
    # 5: where the rollback history began. Scans recorded before it are of scripts that kept no record of
    # what they ran (schema 2): the ledger takes from them what they, the clients' words and a later scan
    # prove hfstage's scripts installed. A new database has none (NULL).
    """
    CREATE TABLE rollback_origin (last_legacy_scan INTEGER);
    INSERT INTO rollback_origin SELECT MAX(id) FROM scans
        WHERE started_at < COALESCE((SELECT MIN(first_at) FROM scripted), '9999');
    """,
    # 6: the admins' approvals (issue 21), one row per approve or unapprove, never changed but for `audited`
    # (its line is in state\audit.log); the current approvals are what these events leave standing.
    # approvals_imported: when state\approvals.json (where approvals were kept before) was taken in.
    """
    CREATE TABLE approval_events (
        seq INTEGER PRIMARY KEY,
        action TEXT NOT NULL,
        approval TEXT NOT NULL,
        ring TEXT NOT NULL,
        packages TEXT NOT NULL,
        by_user TEXT NOT NULL,
        at TEXT NOT NULL,
        catalog_version TEXT NOT NULL,
        note TEXT NOT NULL,
        audited INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE approvals_imported (at TEXT NOT NULL, approvals INTEGER NOT NULL);
    """,
    # 7: the kinds of startup-script notice each stored assessment earns (Fast Logon, MaxGPOScriptWait), so the
    # month's startup notices decode no assessment; per assessment content and the assessment code's format
    # version (the scans memo's), which decides them; one stored before is added when a scan reuses it.
    """
    CREATE TABLE IF NOT EXISTS assessment_startup (
        key TEXT NOT NULL,
        format TEXT NOT NULL,
        kinds TEXT NOT NULL,
        PRIMARY KEY (key, format)
    );
    """,
    # 8: the plan's patch tallies of the latest full scan, by everything they are counted from (the tallies memo,
    # share.TALLIES): a month whose machines' assessments are as they were counts 100,000 findings no more.
    """
    CREATE TABLE IF NOT EXISTS patch_tallies (key TEXT PRIMARY KEY, tallies TEXT NOT NULL);
    """,
    # 9: an assessment's findings point at it by a number, not by its 64-character key: the findings' index then
    # grows at its end as assessments are stored, where an index of keys (SHA-256, in no order) took ~115,000
    # inserts at random places each full month of 5,000 machines (~40% of the scan's writing, more as the history
    # grows). The number is the assessment's INTEGER PRIMARY KEY, which VACUUM keeps (a plain rowid it may change).
    """
    CREATE TABLE assessments_by_id (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        machine TEXT NOT NULL,
        data BLOB NOT NULL
    );
    INSERT INTO assessments_by_id (key, machine, data) SELECT key, machine, data FROM assessments ORDER BY rowid;
    CREATE TABLE findings_by_id (
        assessment INTEGER NOT NULL,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL,
        qnumber TEXT,
        product TEXT NOT NULL,
        status TEXT NOT NULL,
        severity TEXT NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        title TEXT,
        url TEXT,
        date_posted TEXT
    );
    INSERT INTO findings_by_id SELECT a.id, f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.kind,
        f.reason, f.title, f.url, f.date_posted
        FROM assessment_findings f JOIN assessments_by_id a ON a.key = f.key ORDER BY f.rowid;
    DROP TABLE assessment_findings;
    DROP TABLE assessments;
    ALTER TABLE assessments_by_id RENAME TO assessments;
    ALTER TABLE findings_by_id RENAME TO assessment_findings;
    CREATE INDEX assessment_findings_assessment ON assessment_findings(assessment);
    """,
]


def db_path(share: Share) -> Path:
    return share.state_file(HISTORY)


@contextmanager
def connect(share: Share) -> Iterator[sqlite3.Connection]:
    """A connection with the schema checked and migrated to the latest version."""
    with connect_database(db_path(share), MIGRATIONS, "history") as conn:
        yield conn


@contextmanager
def connect_database(path: Path, migrations: list[str], what: str) -> Iterator[sqlite3.Connection]:
    """A connection to the SQLite database at PATH (the WHAT database), checked once per process, in WAL
    mode, migrated to the last of MIGRATIONS; a damaged one is named with the way out, never replaced."""
    new = not path.exists()
    try:
        conn = sqlite3.connect(path, timeout=30)
        if new:
            os.chmod(path, PRIVATE)  # SQLite gives its WAL and shared-memory files the same mode
    except sqlite3.OperationalError as e:
        raise StateError(f"{path}: cannot open the {what} database: {e}") from e
    except OSError as e:
        raise os_fault(path, e, "set the mode of") from e
    try:
        conn.row_factory = sqlite3.Row
        _check(conn, path)
        conn.execute("PRAGMA journal_mode=WAL")
        _migrate(conn, path, migrations)
        yield conn
    except sqlite3.DatabaseError as e:
        fault = _damaged(path, e, what)
        if fault is None:
            raise  # a query hfstage got wrong: a bug, not the user's database
        raise fault from e
    finally:
        conn.close()


def _check(conn: sqlite3.Connection, path: Path) -> None:
    key = str(path.resolve())
    if key in _CHECKED or not path.exists() or path.stat().st_size == 0:
        return
    verdict = conn.execute("PRAGMA quick_check").fetchone()[0]
    if verdict != "ok":
        raise sqlite3.DatabaseError(f"quick_check: {verdict}")
    _CHECKED.add(key)


_DAMAGE = ("malformed", "not a database", "quick_check", "file is encrypted", "unsupported file format")


def _damaged(path: Path, e: Exception, what: str) -> Exception | None:
    text = str(e).splitlines()[0] if str(e) else type(e).__name__
    if any(w in text for w in ("readonly", "read-only")):
        return os_fault(path, OSError(errno.EROFS, text), "write")
    if "database or disk is full" in text:
        return os_fault(path, OSError(errno.ENOSPC, text), "write")
    if "database is locked" in text:
        return LockedError(f"{path}: the {what} database is locked by another program; try again")
    if "disk I/O error" in text or "unable to open" in text:
        return os_fault(path, OSError(errno.EIO, text), "read or write")
    if not any(w in text for w in _DAMAGE):
        return None
    return StateError(f"{path}: the {what} database is damaged ({text}); it was left as it is: move it aside "
                      f"(e.g. rename it to {path.name}.damaged) and the next run starts a new one, or restore it "
                      "from a backup")


def _migrate(conn: sqlite3.Connection, path: Path, migrations: list[str]) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(migrations):
        raise StateError(f"{path}: schema version {version} is newer than this hfstage knows "
                         f"({len(migrations)}); upgrade hfstage")
    for number, script in enumerate(migrations[version:], version + 1):
        # One transaction per migration: the schema and its version number move together.
        conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")
