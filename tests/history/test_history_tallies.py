"""The plan's patch tallies are counted once per set of assessments (the tallies memo, issue 20 section 6).

Every month the plan step joined each machine of the latest full scan to its findings and counted them by
patch and status (100,000 rows at 5,000 machines), though in a month where no assessment changed the count
is last month's. The count is now kept in the history under the scan's (machine, assessment key) pairs, the
bulletins counted and the history code's format. These tests change each of those inputs and check that the
answer is the fresh count, never the remembered one; each fails when the memo's key leaves its input out.
"""

from __future__ import annotations

import dataclasses

from hfstage.assess import INSTALLED, MISSING
from hfstage.history import FULL, History, Recorded
from hfstage.history import tallies as memo
from hfstage.history.db import connect


def _fresh(history: History, scan_id: int, bulletins) -> list:
    """The count made from the findings, not remembered."""
    with connect(history.share) as conn:
        return memo._counted(conn, scan_id, sorted(set(bulletins)))


def _bulletins(history: History, scan_id: int) -> list[str]:
    return sorted({f.bulletin for f in history.findings(scan_id)})


def _scan_with(history: History, rows, changed=None, dropped: str | None = None) -> int:
    """A new full scan of ROWS' machines, their assessments reused but CHANGED's (an Assessment), DROPPED left out."""
    out = []
    for row in rows:
        if row.machine == dropped:
            continue
        if changed is not None and row.machine == changed.machine:
            out.append(Recorded(changed, "changed"))
        else:
            out.append(Recorded(None, row.input_key, row))
    return history.record_scan(out, "test", "scan", FULL)


def test_a_second_count_of_the_same_assessments_is_the_remembered_one(month1_site, monkeypatch):
    history = History(month1_site)
    scan_id = history.latest_scan(FULL).id
    wanted = _bulletins(history, scan_id)
    first = history.patch_tallies(scan_id, wanted)
    assert first == _fresh(history, scan_id, wanted) and any(t.missing_on for t in first)

    def counted_again(*args):
        raise AssertionError("counted again although no assessment changed")

    monkeypatch.setattr(memo, "_counted", counted_again)
    assert history.patch_tallies(scan_id, wanted) == first
    later = _scan_with(history, history.machines(scan_id))  # next month, every assessment reused
    assert history.patch_tallies(later, wanted) == first


def test_other_bulletins_are_counted_again(month1_site):
    history = History(month1_site)
    scan_id = history.latest_scan(FULL).id
    wanted = _bulletins(history, scan_id)
    everything = history.patch_tallies(scan_id, wanted)
    some = history.patch_tallies(scan_id, wanted[:1])
    assert some == _fresh(history, scan_id, wanted[:1]) and some != everything


def _counted(site) -> tuple[History, list[str], list, list]:
    """The history of SITE, the bulletins of its latest full scan, their tallies (now remembered), its rows."""
    history = History(site)
    scan_id = history.latest_scan(FULL).id
    wanted = _bulletins(history, scan_id)
    return history, wanted, history.patch_tallies(scan_id, wanted), history.machines(scan_id)


def test_a_changed_assessment_is_counted_again(month1_site):
    history, wanted, before, rows = _counted(month1_site)
    row = next(r for r in rows if r.missing)
    assessment = history.assessments([row.assessment_key])[row.assessment_key]
    found = next(i for i, f in enumerate(assessment.findings) if f.status == MISSING)
    assessment.findings[found] = dataclasses.replace(assessment.findings[found], status=INSTALLED)
    later = _scan_with(history, rows, changed=assessment)  # the same machines, one of them patched
    after = history.patch_tallies(later, wanted)
    assert after == _fresh(history, later, wanted) and after != before


def test_a_machine_that_left_is_counted_no_more(month1_site):
    history, wanted, before, rows = _counted(month1_site)
    gone = next(r for r in rows if r.missing).machine
    later = _scan_with(history, rows, dropped=gone)
    after = history.patch_tallies(later, wanted)
    assert after == _fresh(history, later, wanted) and after != before
    assert not any(gone in t.missing_on for t in after)


def _by_findings(history: History, scan_id: int, wanted) -> list:
    """The tallies counted in Python from the scan's findings rows: what the SQL count must give."""
    groups: dict = {}
    for f in history.findings(scan_id, bulletins=wanted):
        n, names, reasons = groups.setdefault((f.bulletin, f.patch, f.status), [0, [], []])
        groups[f.bulletin, f.patch, f.status][0] = n + 1
        names += [f.machine] if f.status == MISSING else []
        reasons.append(f.reason)
    return [memo.PatchTally(b, p, s, n, tuple(sorted(names)), min(reasons))
            for (b, p, s), (n, names, reasons) in sorted(groups.items())]


def test_the_count_is_the_findings_rows_counted(month1_site):
    history = History(month1_site)
    scan_id = history.latest_scan(FULL).id
    wanted = _bulletins(history, scan_id)
    assert _fresh(history, scan_id, wanted) == _by_findings(history, scan_id, wanted)


def test_a_month_where_some_machines_changed_counts_only_their_findings(month1_site, monkeypatch):
    """The kept count, less the findings of the machines that changed or left, plus those of the machines that
    changed or came: the fresh count, though no finding but theirs is read. The changed machine's reasons are
    all made the greatest, so every tally whose least reason was its own gets another (fails before: every
    finding was counted again)."""
    history, wanted, before, rows = _counted(month1_site)
    changed = next(r for r in rows if r.missing)
    gone = next(r for r in rows if r.machine != changed.machine).machine
    assessment = history.assessments([changed.assessment_key])[changed.assessment_key]
    assessment.findings = [dataclasses.replace(f, reason="~" + f.reason) for f in assessment.findings]
    later = _scan_with(history, rows, changed=assessment, dropped=gone)
    with connect(history.share) as conn, conn:
        conn.execute("INSERT INTO machines (scan_id, machine, applicable, installed, missing, assessment_key) "
                     "SELECT scan_id, 'NEWCOMER', applicable, installed, missing, assessment_key FROM machines "
                     "WHERE scan_id = ? AND machine = ?", (later, changed.machine))
    expected = _by_findings(history, later, wanted)
    assert expected != before and any(not t.reason.startswith("~") for t in expected)
    assert any("NEWCOMER" in t.missing_on for t in expected) and not any(gone in t.missing_on for t in expected)

    def counted_again(*args):
        raise AssertionError("every finding counted again although few machines changed")

    monkeypatch.setattr(memo, "_groups", counted_again)
    assert history.patch_tallies(later, wanted) == expected
    assert history.patch_tallies(later, wanted) == expected  # and kept as it is


def test_a_kept_count_whose_scan_no_longer_gives_its_key_is_counted_again(month1_site):
    """The kept count names its scan; when that scan's pairs no longer give the kept key (here: its rows
    changed under it), the count is made from every finding, not from the kept one."""
    history, wanted, before, rows = _counted(month1_site)
    scan_id = rows[0].scan_id
    later = _scan_with(history, rows, dropped=rows[0].machine)
    with connect(history.share) as conn, conn:
        conn.execute("DELETE FROM machines WHERE scan_id = ? AND machine = ?", (scan_id, rows[-1].machine))
    assert history.patch_tallies(later, wanted) == _by_findings(history, later, wanted)
