"""The month's scripts step decodes each assessment it needs once, and none the scan has just made.

Decoding a stored assessment is most of what the scripts step costs in a month whose catalog changed
(every machine is planned again). The scan keeps the assessments it makes in memory when there are few
enough (up to KEEP_IN_MEMORY); the scripts must use those, not read them back from the history. And the
fetch list's languages (missing-packages.txt) come from the machines' assessments too: those the scripts
read are not decoded a second time.
"""

from __future__ import annotations

import importlib
from collections import Counter

from hfstage.history import History
from hfstage.pipeline import Site, month
from tests.conftest import demo_with_cabinet

month_module = importlib.import_module("hfstage.pipeline.month")  # the package's `month` is the function


def _asked_in_scripts(monkeypatch, share) -> Counter:
    """How many times the history was asked for each assessment during the month's scripts step."""
    asked: Counter = Counter()
    inside = []
    real_assessments, real_scripts = History.assessments, month_module._scripts

    def assessments(self, keys):
        keys = list(keys)
        if inside:
            asked.update(keys)
        return real_assessments(self, keys)

    def scripts(*args):
        inside.append(True)
        try:
            return real_scripts(*args)
        finally:
            inside.clear()
    monkeypatch.setattr(History, "assessments", assessments)
    monkeypatch.setattr(month_module, "_scripts", scripts)
    result = month(Site(share), say=lambda line: None)
    assert result.scripts.plans and (share.folder("reports") / "missing-packages.txt").is_file()
    return asked


def test_the_scripts_read_no_assessment_the_scan_kept(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share")
    assert _asked_in_scripts(monkeypatch, share) == Counter()


def test_the_fetch_lists_languages_decode_nothing_the_scripts_read(tmp_path, monkeypatch):
    # a large site: the scan keeps none of its assessments in memory
    monkeypatch.setattr(importlib.import_module("hfstage.pipeline.scan"), "KEEP_IN_MEMORY", 0)
    share = demo_with_cabinet(tmp_path / "share")
    asked = _asked_in_scripts(monkeypatch, share)
    assert asked and max(asked.values()) == 1, asked
