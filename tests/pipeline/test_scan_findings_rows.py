"""`hfstage month` decides its exit code without decoding every assessment (issue 20 section 6).

With --fail-on (critical by default) the month ended by reading back every machine's stored assessment (30 KB of
JSON each, 5,000 of them when more than 500 were assessed, every month, even one in which nothing changed) only
to find each machine's status and its missing patches' severities. Those are in the history's machine rows and
findings table: the same lines, in the same order, read from there.
"""

from __future__ import annotations

import dataclasses

import pytest

from hfstage.history import History
from hfstage.pipeline import Site, alarms, all_assessments, month, scan_findings
from tests.conftest import demo_with_cabinet


@pytest.fixture
def month_scan(tmp_path):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    result = month(Site(share), say=lambda line: None).scan
    # as a month of more than KEEP_IN_MEMORY machines leaves it: no assessment kept in memory
    return Site(share), dataclasses.replace(result, fresh={})


def test_the_exit_findings_are_those_the_assessments_give_without_decoding_one(month_scan, monkeypatch):
    site, result = month_scan
    thresholds = ("any", "critical", "important", "moderate", "low")
    expected = {t: alarms(all_assessments(site, result), result.results, t) for t in thresholds}

    def refuse(self, keys):
        keys = list(keys)
        if keys:
            raise AssertionError(f"decoded {len(keys)} assessment(s) for the exit code")
        return {}

    monkeypatch.setattr(History, "assessments", refuse)
    for threshold in thresholds:
        assert scan_findings(site, result, threshold) == expected[threshold], threshold
    assert any(" missing (Critical)" in line for line in expected["critical"])
    assert any(line.endswith(": unreadable") for line in expected["any"])
    assert scan_findings(site, result, "none") == []
