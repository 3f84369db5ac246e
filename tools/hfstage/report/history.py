"""Scan history in SQLite on the share (state/history.sqlite), with versioned migrations.

Writers hold the share lock; the database runs in WAL mode so readers never block, and
every scan is recorded in one transaction: a crash leaves the previous scans intact.
"""

from __future__ import annotations

import datetime as dt
import getpass
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hfstage.assess.model import MISSING, Assessment
from hfstage.errors import InputError
from hfstage.share import Share

DB_NAME = "history.sqlite"
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
]


def db_path(share: Share) -> Path:
    return share.folder("state") / DB_NAME


@contextmanager
def connect(share: Share) -> Iterator[sqlite3.Connection]:
    """A connection with the schema migrated to the latest version."""
    path = db_path(share)
    try:
        conn = sqlite3.connect(path, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        _migrate(conn)
    except sqlite3.DatabaseError as e:
        raise InputError(f"{path}: history database unreadable: {e}") from e
    try:
        yield conn
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > len(MIGRATIONS):
        raise sqlite3.DatabaseError(f"schema version {version} is newer than this hfstage knows "
                                    f"({len(MIGRATIONS)}); upgrade hfstage")
    for number, script in enumerate(MIGRATIONS[version:], version + 1):
        # One transaction per migration: the schema and its version number move together.
        conn.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")


def _counted(a: Assessment) -> tuple[int, int, int]:
    """Applicable patches whose state is known (installed, warning, missing), installed (incl. warnings), missing.

    Notes (cannot be confirmed) and superseded or not-applicable patches are not counted.
    """
    applicable = [f for f in a.findings if f.status in ("installed", "warning", "missing")]
    installed = sum(1 for f in applicable if f.status in ("installed", "warning"))
    return len(applicable), installed, sum(1 for f in applicable if f.status == MISSING)


def record_scan(share: Share, assessments: list[Assessment], catalog_version: str, command: str,
                as_of: dt.datetime | None = None) -> int:
    """Store one scan with every machine and finding in one transaction; returns its id.

    AS_OF records the scan under another date (back-filled months, the demo).
    """
    now = (as_of or dt.datetime.now(dt.timezone.utc)).isoformat(timespec="seconds")
    with connect(share) as conn, conn:
        cur = conn.execute("INSERT INTO scans (started_at, catalog_version, user, host, command) "
                           "VALUES (?, ?, ?, ?, ?)",
                           (now, catalog_version, getpass.getuser(), socket.gethostname(), command))
        scan_id = cur.lastrowid
        for a in assessments:
            applicable, installed, missing = _counted(a)
            conn.execute("INSERT INTO machines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (scan_id, a.machine, a.os, a.service_pack, a.error, applicable, installed, missing))
            conn.executemany(
                "INSERT INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(scan_id, f.machine, f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.reason)
                 for f in a.findings])
    return scan_id


def rows(share: Share, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    with connect(share) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute(sql, params).fetchall()
