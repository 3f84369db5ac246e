"""A share upgraded from history schema 2 keeps in its rollback what the old scripts installed.

The story (review finding 6): migration 3 created the rollback tables (scripted, installed) empty, and the
ledger confirms a patch only when a `scripted` row says hfstage's script ran it. The previous hfstage
(schema 2) kept no such rows, so a patch its script installed (the client's success line and done marker,
found installed by the next scan) never entered the rollback. Migration 4 now records where the rollback
history began; what a full scan before it found missing, whose package is under hotfixes\\, is taken as
what those scripts ran, and listed once the client's words and a scan agree, as for any step.
"""

from __future__ import annotations

import sqlite3

from hfstage.history.db import db_path
from tests.history import test_rollback_history as rh
from tests.history.test_history_findings_by_number import FINDINGS_BY_KEY

plain_site, short = rh.plain_site, rh.short
PACKAGE, INSTALLED_KEY = rh.PACKAGE, rh.INSTALLED_KEY


def _downgrade(share) -> None:
    """What the schema-2 hfstage left: scans, no rollback tables, findings under their assessment's key."""
    with sqlite3.connect(db_path(share)) as conn:
        conn.executescript(FINDINGS_BY_KEY)
        conn.executescript("DROP TABLE scripted; DROP TABLE installed; DROP TABLE IF EXISTS rollback_origin; "
                           "DROP TABLE IF EXISTS approval_events; DROP TABLE IF EXISTS approvals_imported; "
                           "ALTER TABLE machines DROP COLUMN standing; ALTER TABLE machines DROP COLUMN binding; "
                           "PRAGMA user_version = 2;")


def _reported(share, done: bool = True, log: str = "success") -> None:
    size = (share.folder("hotfixes") / PACKAGE).stat().st_size
    if done:
        (share.folder("inventory") / "W2KSRV" / "done.txt").write_text(f"[{PACKAGE} {size}] \r\n")
    if log:
        (share.folder("results") / "W2KSRV.log").write_text(
            f"HFRESULT;-;-;MS02-045;Q326830;{PACKAGE};0;{log}\r\n")


def test_rollback_keeps_patches_installed_by_the_scripts_of_a_share_upgraded_from_schema_2(plain_site, run):
    """The reviewer's share: results line, done marker, the next scan finds it: MS02-045 is in the rollback."""
    share = plain_site
    _downgrade(share)
    _reported(share)
    rh._merge(share, "W2KSRV", INSTALLED_KEY)
    rh._month(run, share, "2003-09-15", "month2.xml")
    assert rh._listed(share, "W2KSRV") == [f"MS02-045 Q326830 {PACKAGE} (update)"]


def test_the_done_marker_alone_is_enough_as_for_any_step(plain_site, run):
    """The results line was lost (a share out of reach): the done marker naming the package still says it."""
    share = plain_site
    _downgrade(share)
    _reported(share, done=True, log="")
    rh._merge(share, "W2KSRV", INSTALLED_KEY)
    rh._month(run, share, "2003-09-15", "month2.xml")
    assert rh._listed(share, "W2KSRV") == [f"MS02-045 Q326830 {PACKAGE} (update)"]


def test_what_nobody_says_hfstage_installed_stays_out(plain_site, run):
    """Found installed, but neither a success line nor a marker says hfstage's script did it: not listed;
    and `already-installed` (the old script found it there) is not hfstage's install either."""
    share = plain_site
    _downgrade(share)
    _reported(share, done=False, log="already-installed")
    rh._merge(share, "W2KSRV", INSTALLED_KEY)
    rh._month(run, share, "2003-09-15", "month2.xml")
    assert rh._listed(share, "W2KSRV") == []


def test_a_new_share_takes_nothing_from_before_its_rollback_began(plain_site, run):
    """On a share that started with the rollback tables, the same words without a scripted row (the package
    was never in W2KSRV's script) list nothing: only an upgraded share's old scans speak for old scripts."""
    share = plain_site
    with sqlite3.connect(db_path(share)) as conn:
        conn.execute("DELETE FROM scripted WHERE machine = 'W2KSRV'")
        assert conn.execute("SELECT last_legacy_scan FROM rollback_origin").fetchone()[0] is None
    _reported(share)
    rh._merge(share, "W2KSRV", INSTALLED_KEY)
    rh._month(run, share, "2003-09-15", "month2.xml")
    assert rh._listed(share, "W2KSRV") == []
