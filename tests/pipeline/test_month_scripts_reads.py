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
from tests.bindhelp import merge
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
    month(Site(share), say=lambda line: None)
    assert len((share.folder("reports") / "missing-packages.txt").read_text().splitlines()) > 1  # machines need some
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


def test_a_month_with_no_change_decodes_no_assessment_for_the_fetch_lists_languages(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share")
    month(Site(share), say=lambda line: None)
    assert _asked_in_scripts(monkeypatch, share) == Counter()


def test_a_machine_whose_language_changed_is_named_in_it_the_next_month(tmp_path, monkeypatch):
    """The memo's language is its assessment's: a new language is a new assessment, so the machine is read."""
    monkeypatch.setattr(importlib.import_module("hfstage.pipeline.scan"), "KEEP_IN_MEMORY", 0)  # as at 5,000
    share = demo_with_cabinet(tmp_path / "share")
    month(Site(share), say=lambda line: None)
    before = (share.folder("reports") / "missing-packages.txt").read_text()
    nls = "\\ControlSet001\\Control\\Nls"
    merge(share.folder("inventory") / "W2KSRV" / "SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM",
          f'[{nls}]\n\n[{nls}\\Language]\n"Default"="0407"\n"InstallLanguage"="0407"\n', tmp_path)
    month(Site(share), say=lambda line: None)
    after = (share.folder("reports") / "missing-packages.txt").read_text()
    assert "German (0407)" not in before and "German (0407)" in after
