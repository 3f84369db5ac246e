"""The month's startup notices are read from the scan's rows, not from every assessment (issue 20 section 6).

"1 Windows XP machine(s) run startup scripts without waiting for the network" and "3 machine(s) stop startup
scripts before a service pack could finish" were made by decoding the stored assessment (30 KB of JSON) of every
2000/XP machine, every month, even when nothing had changed: the larger part of a no-change month's scan step.
The history now keeps, per stored assessment and format version of the code that makes assessments (the scans
memo's), the kinds of startup notice it earns, and gives them with each machine row; an assessment stored before,
or under another format version, has them read once when the next scan reuses it.
"""

from __future__ import annotations

import dataclasses

from hfstage.history import FULL
from hfstage.history.db import connect
from hfstage.pipeline import Site, month, scan
from hfstage.pipeline.runcontext import startup_notices
from tests.conftest import demo_with_cabinet


def _refuse(keys):
    raise AssertionError(f"decoded {len(keys)} assessment(s) for the startup notices")


def _month(tmp_path) -> Site:
    share = demo_with_cabinet(tmp_path / "share", "month1")
    month(Site(share), say=lambda line: None)
    return Site(share)


def test_the_rows_give_the_startup_notices_the_assessments_give(tmp_path):
    site = _month(tmp_path)
    rows = site.history.machines(site.history.latest_scan(FULL).id)
    from_rows = startup_notices(rows, _refuse)
    # as rows recorded before hfstage kept them
    unknown = [dataclasses.replace(r, startup=None) if hasattr(r, "startup") else r for r in rows]
    from_assessments = startup_notices(unknown, site.history.assessments)
    assert from_rows == from_assessments and len(from_rows) == 2
    assert "XPSP1" in from_rows[0] and "DC01, W2KSRV, WEB01" in from_rows[1]


def test_an_assessment_stored_before_gets_its_startup_notices_when_the_next_scan_reuses_it(tmp_path):
    site = _month(tmp_path)
    with connect(site.share) as conn, conn:
        conn.execute("DELETE FROM assessment_startup")  # assessments stored before schema 7
    result = scan(Site(site.share), command="scan")
    assert result.assessed == 0, "nothing changed: every row is reused"
    stored = site.history.assessments([r.assessment_key for r in result.rows])
    for row in result.rows:
        a = stored.get(row.assessment_key)
        assert row.startup_kinds() == (set(a.startup_kinds()) if a else None), row.machine
    assert any(row.startup_kinds() for row in result.rows)
    assert len(startup_notices(result.rows, _refuse)) == 2


def test_what_is_kept_holds_only_for_the_format_version_it_was_made_by(tmp_path, monkeypatch):
    """Assessment.startup_kinds may say otherwise in another hfstage, about the very same assessment (same key)."""
    from hfstage.history import store

    site = _month(tmp_path)
    latest = site.history.latest_scan(FULL).id
    assert any(r.startup_kinds() for r in site.history.machines(latest))
    monkeypatch.setattr(store, "startup_format", lambda: "another hfstage")
    assert all(r.startup is None for r in site.history.machines(latest)), "kept by another format: not known"
    result = scan(Site(site.share), command="scan")
    assert all(r.startup is not None for r in result.rows if r.assessment_key in site.history.assessments(
        [r.assessment_key for r in result.rows])), "kept again, under this format"
    assert len(startup_notices(result.rows, _refuse)) == 2
