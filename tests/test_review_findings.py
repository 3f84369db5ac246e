"""Defects found by a cold adversarial review of main (issues 19 and 22, part 2), one test each.

Each test fails on main as it was reviewed and names the defect; none of them fixes anything.
"""

from __future__ import annotations

import sqlite3

from hfstage.history.db import db_path
from tests.test_rollback_history import INSTALLED_KEY, PACKAGE, _listed, _merge, _month, plain_site, short  # noqa: F401


def test_rollback_keeps_patches_installed_by_the_scripts_of_a_share_upgraded_from_schema_2(plain_site, run):
    """Issue 19.5 on an upgraded share: the previous hfstage (history schema 2) wrote W2KSRV's script that
    installs MS02-045; the client reports it (results line and done marker) and the next scan finds it.
    The upgrade's migration starts the rollback history empty, and the month writes a rollback script
    that no longer removes MS02-045, although the history's scans, the client's words and the package on
    the share say hfstage's script installed it."""
    site = plain_site
    with sqlite3.connect(db_path(site)) as conn:  # what the schema-2 hfstage left: no rollback tables
        conn.executescript("DROP TABLE scripted; DROP TABLE installed; PRAGMA user_version = 2;")
    size = (site.folder("hotfixes") / PACKAGE).stat().st_size
    (site.folder("inventory") / "W2KSRV" / "done.txt").write_text(f"[{PACKAGE} {size}] \r\n")
    (site.folder("results") / "W2KSRV.log").write_text(f"HFRESULT;-;-;MS02-045;Q326830;{PACKAGE};0;success\r\n")
    _merge(site, "W2KSRV", INSTALLED_KEY)
    _month(run, site, "2003-09-15", "month2.xml")
    assert _listed(site, "W2KSRV") == [f"MS02-045 Q326830 {PACKAGE} (update)"]
