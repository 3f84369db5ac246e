"""The central office's database (central.sqlite): sites, their bundles, and each bundle's machines,
missing patches and plan. One transaction per import; migrations as in a site's history."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hfstage.central.bundle import Bundle
from hfstage.history import connect_database
from hfstage.share import CENTRAL_DB

MIGRATIONS = [
    """
    CREATE TABLE sites (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        key TEXT NOT NULL
    );
    CREATE TABLE bundles (
        id INTEGER PRIMARY KEY,
        site_id TEXT NOT NULL REFERENCES sites(id),
        month TEXT NOT NULL,
        created_at TEXT NOT NULL,
        manifest_sha TEXT NOT NULL,
        catalog_version TEXT,
        hfstage_version TEXT,
        imported_at TEXT NOT NULL,
        UNIQUE (site_id, month)
    );
    CREATE TABLE machines (
        bundle_id INTEGER NOT NULL REFERENCES bundles(id),
        machine TEXT NOT NULL,
        os TEXT,
        status TEXT NOT NULL,
        missing INTEGER NOT NULL,
        critical INTEGER NOT NULL,
        last_reported TEXT,
        no_rights INTEGER NOT NULL,
        reboot_required INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        PRIMARY KEY (bundle_id, machine)
    );
    CREATE TABLE missing (
        bundle_id INTEGER NOT NULL REFERENCES bundles(id),
        machine TEXT NOT NULL,
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL,
        severity TEXT NOT NULL,
        title TEXT
    );
    CREATE INDEX missing_bundle ON missing(bundle_id);
    CREATE TABLE plan (
        bundle_id INTEGER NOT NULL REFERENCES bundles(id),
        bulletin TEXT NOT NULL,
        patch TEXT NOT NULL,
        severity TEXT,
        applies INTEGER NOT NULL,
        machines INTEGER NOT NULL,
        owner TEXT,
        approver TEXT
    );
    """,
    # 2: who wrote each machine's evidence at its site (bound to the machine account, a user, unbound)
    """
    ALTER TABLE machines ADD COLUMN evidence TEXT;
    """,
]


@dataclass(frozen=True)
class StoredBundle:
    id: int
    site_id: str
    month: str
    created_at: str
    manifest_sha: str
    catalog_version: str | None


@contextmanager
def connect(folder: Path) -> Iterator[sqlite3.Connection]:
    with connect_database(folder / CENTRAL_DB.name, MIGRATIONS, "central") as conn:
        yield conn


def stored_bundle(conn: sqlite3.Connection, site_id: str, month: str) -> StoredBundle | None:
    row = conn.execute("SELECT id, site_id, month, created_at, manifest_sha, catalog_version FROM bundles "
                       "WHERE site_id = ? AND month = ?", (site_id, month)).fetchone()
    return StoredBundle(*row) if row else None


def site_name(conn: sqlite3.Connection, site_id: str) -> str | None:
    row = conn.execute("SELECT name FROM sites WHERE id = ?", (site_id,)).fetchone()
    return row[0] if row else None


def store_bundle(conn: sqlite3.Connection, bundle: Bundle, key: str, imported_at: str) -> int:
    """Replace what is stored for the bundle's site and month with the bundle, in one transaction."""
    m = bundle.manifest
    results = {r.get("machine"): r for r in bundle.members["results.json"]}
    critical: dict[str, int] = {}
    for f in bundle.members["findings.json"]:
        if f.get("severity") == "Critical":
            critical[f.get("machine")] = critical.get(f.get("machine"), 0) + 1
    with conn:
        conn.execute("INSERT INTO sites (id, name, key) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
                     "name = excluded.name, key = excluded.key", (bundle.site_id, m["site_name"], key))
        old = stored_bundle(conn, bundle.site_id, bundle.month)
        if old is not None:
            for table in ("machines", "missing", "plan"):
                conn.execute(f"DELETE FROM {table} WHERE bundle_id = ?", (old.id,))
            conn.execute("DELETE FROM bundles WHERE id = ?", (old.id,))
        cur = conn.execute(
            "INSERT INTO bundles (site_id, month, created_at, manifest_sha, catalog_version, hfstage_version, "
            "imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (bundle.site_id, bundle.month, m["created_at"], bundle.manifest_sha, m.get("catalog_version"),
             m.get("hfstage_version"), imported_at))
        bid = cur.lastrowid
        conn.executemany(
            "INSERT INTO machines VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(bid, str(r.get("machine")), r.get("os"), str(r.get("status", "unknown")), int(r.get("missing") or 0),
              critical.get(r.get("machine"), 0), r.get("last_reported"),
              int(results.get(r.get("machine"), {}).get("blocked") == "no-rights"),
              int(bool(results.get(r.get("machine"), {}).get("reboot_required"))),
              int(results.get(r.get("machine"), {}).get("failed") or 0),
              str(r["evidence"]) if r.get("evidence") is not None else None)
             for r in bundle.members["machines.json"]])
        conn.executemany("INSERT INTO missing VALUES (?, ?, ?, ?, ?, ?)",
                         [(bid, str(f.get("machine")), str(f.get("bulletin")), str(f.get("patch")),
                           str(f.get("severity", "Unrated")), f.get("title")) for f in bundle.members["findings.json"]])
        conn.executemany("INSERT INTO plan VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(bid, str(p.get("bulletin")), str(p.get("patch")), p.get("severity"),
                           int(bool(p.get("applies"))), int(p.get("machines") or 0), p.get("owner") or "",
                           p.get("approver") or "") for p in bundle.members["plan.json"]])
    return bid
