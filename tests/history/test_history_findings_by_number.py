"""Migration 9: an assessment's findings point at it by its number, and a history of the schema before is kept.

The story (issue 20, speed): the findings' index was an index of 64-character SHA-256 keys, in no order, ~115,000
inserts at random places each full month of 5,000 machines. Findings now point at their assessment's INTEGER
PRIMARY KEY (which VACUUM keeps), so the index grows at its end. A site's history written before is moved over
whole: every assessment, every finding in its order, and what the history's readers answer from them.
"""

from __future__ import annotations

import sqlite3
import zlib

from hfstage.history import History
from hfstage.history.db import MIGRATIONS, connect_database, db_path
from hfstage.share import Share, init_share

# the assessment tables as schema 8 had them, made from the current ones (a test's way to a history of before)
FINDINGS_BY_KEY = """
    CREATE TABLE assessments_by_key (key TEXT PRIMARY KEY, machine TEXT NOT NULL, data BLOB NOT NULL);
    INSERT INTO assessments_by_key SELECT key, machine, data FROM assessments ORDER BY id;
    CREATE TABLE findings_by_key (key TEXT NOT NULL, bulletin TEXT NOT NULL, patch TEXT NOT NULL, qnumber TEXT,
        product TEXT NOT NULL, status TEXT NOT NULL, severity TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL,
        title TEXT, url TEXT, date_posted TEXT);
    INSERT INTO findings_by_key SELECT a.key, f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.kind,
        f.reason, f.title, f.url, f.date_posted FROM assessment_findings f JOIN assessments a ON a.id = f.assessment
        ORDER BY f.rowid;
    DROP TABLE assessment_findings;
    DROP TABLE assessments;
    ALTER TABLE assessments_by_key RENAME TO assessments;
    ALTER TABLE findings_by_key RENAME TO assessment_findings;
    CREATE INDEX assessment_findings_key ON assessment_findings(key);
"""

_FINDING = "('{key}', '{bulletin}', '{patch}', 'Q{n}', 'Windows 2000', '{status}', 'Critical', 'patch', 'r{n}', " \
    "'t', 'u', '2001-05-01')"


def _schema_8_history(share: Share) -> None:
    """A history as hfstage wrote it before migration 9: two scans, three assessments (one shared by both scans),
    their findings inserted out of key order."""
    with connect_database(db_path(share), MIGRATIONS[:8], "history") as conn, conn:
        for scan in (1, 2):
            conn.execute("INSERT INTO scans (started_at, catalog_version, user, host, command, kind) VALUES "
                         f"('2003-0{scan}-15T12:00:00+00:00', '1.0', 'admin', 'dc', 'month', 'full')")
        for key, machine in (("kc", "PC1"), ("ka", "PC2"), ("kb", "PC1")):
            conn.execute("INSERT INTO assessments (key, machine, data) VALUES (?, ?, ?)",
                         (key, machine, zlib.compress(b"{}")))
        machines = [(1, "PC1", "kc"), (1, "PC2", "ka"), (2, "PC1", "kb"), (2, "PC2", "ka")]
        conn.executemany("INSERT INTO machines (scan_id, machine, status, status_detail, applicable, installed, "
                         "missing, assessment_key, signature) VALUES (?, ?, 'needs patches', '', 2, 1, 1, ?, ?)",
                         [(s, m, k, k) for s, m, k in machines])
        rows = [("kc", "MS01-033", "c2.exe", 2, "missing"), ("ka", "MS01-044", "a1.exe", 1, "installed"),
                ("kc", "MS01-022", "c1.exe", 1, "installed"), ("kb", "MS02-001", "b1.exe", 3, "missing"),
                ("ka", "MS01-011", "a2.exe", 4, "missing")]
        for key, bulletin, patch, n, status in rows:
            conn.execute("INSERT INTO assessment_findings VALUES " + _FINDING.format(
                key=key, bulletin=bulletin, patch=patch, n=n, status=status))


def test_a_history_of_schema_8_keeps_every_finding_in_its_order(tmp_path):
    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    _schema_8_history(share)
    history = History(share)
    assert [(f.machine, f.bulletin, f.patch, f.status, f.reason) for f in history.findings(1)] == [
        ("PC1", "MS01-033", "c2.exe", "missing", "r2"), ("PC1", "MS01-022", "c1.exe", "installed", "r1"),
        ("PC2", "MS01-044", "a1.exe", "installed", "r1"), ("PC2", "MS01-011", "a2.exe", "missing", "r4")]
    assert [(f.machine, f.bulletin) for f in history.findings(2)] == [
        ("PC1", "MS02-001"), ("PC2", "MS01-044"), ("PC2", "MS01-011")]
    assert history.installed_patches(1) == {("pc1", "MS01-022", "c1.exe"), ("pc2", "MS01-044", "a1.exe")}
    assert [(t.bulletin, t.status, t.machines, t.missing_on) for t in history.patch_tallies(2, ["MS01-011"])] == [
        ("MS01-011", "missing", 1, ("PC2",))]
    assert set(history.assessment_blobs(["ka", "kb", "kc"])) == {"ka", "kb", "kc"}
    with sqlite3.connect(db_path(share)) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
        columns = [r[1] for r in conn.execute("PRAGMA table_info(assessment_findings)")]
        assert columns[0] == "assessment" and "key" not in columns
        numbers = dict(conn.execute("SELECT key, id FROM assessments"))
        assert conn.execute("SELECT COUNT(*) FROM assessment_findings WHERE assessment NOT IN "
                            "(SELECT id FROM assessments)").fetchone()[0] == 0
        assert sorted(numbers.values()) == [1, 2, 3]  # stored in their order, numbered from it


def test_a_new_assessment_after_the_migration_gets_the_next_number(tmp_path):
    from hfstage.assess import Assessment, Finding
    from hfstage.history.store import Recorded

    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    _schema_8_history(share)
    finding = Finding(machine="PC3", product="Windows 2000", bulletin="MS03-026", patch="Q823980.exe",
                      qnumber="Q823980", title="RPC", status="missing", reason="not installed", severity="Critical")
    a = Assessment(machine="PC3", os="Windows 2000", service_pack="SP4", findings=[finding])
    scan = History(share).record_scan([Recorded(a, None)], "1.0", "month")
    assert [(f.machine, f.bulletin, f.status) for f in History(share).findings(scan)] == [
        ("PC3", "MS03-026", "missing")]
    with sqlite3.connect(db_path(share)) as conn:
        assert conn.execute("SELECT MAX(id) FROM assessments").fetchone()[0] == 4
