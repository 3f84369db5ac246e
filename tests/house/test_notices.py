"""Notices between stages are typed (hfstage.notices: a kind, a subject, the text) and filtered by kind.

The story: the inventory used to say "...: left in place: ..." and the month and the report picked those
lines out by searching for the words; the scan report showed a machine's install problems because their
text began with "install:". Rewording a message would silently have changed what the admin is shown. Now
the kind decides: a notice reworded is still shown, a notice that merely reads like another kind is not,
and an assessment stored in the history keeps the kind of each notice.
"""

from __future__ import annotations

import shutil

import pytest

from hfstage import notices
from hfstage.assess import Assessment
from hfstage.inventory import Limits, inventory
from hfstage.notices import Notice, of_kind
from hfstage.pipeline import ScanResult, Site
from hfstage.report import render_text
from hfstage.scripts import parse_log
from tests.conftest import DATA


def _text(warnings: list[Notice], verbose: bool = False) -> str:
    a = Assessment("PC1", "Windows 2000", "3", warnings=warnings, status="needs patches")
    return render_text([a], verbose=verbose)


def test_the_scan_report_shows_install_notices_by_their_kind_not_their_words():
    shown = Notice(notices.INSTALL, "PC1", "the package failed twice (reworded: no 'install:' in front)")
    look_alike = Notice(notices.FACTS, "PC1", "install: this only reads like an install problem")
    text = _text([shown, look_alike])
    assert "(the package failed twice" in text
    assert "this only reads like" not in text
    assert "this only reads like" in _text([shown, look_alike], verbose=True)  # -v shows every notice


def test_a_results_log_becomes_notices_of_their_kinds():
    log = ("HFRESULT;2003-09-01;08:00;MS01-031;Q299553;Q299553_W2K_SP3_x86_en.EXE;1603;gave-up\r\n"
           "HFRESULT;2003-09-01;08:00;-;startup;-;-;no-rights\r\n"
           "HFRESULT;not;a;line;the;scripts;write\r\n")
    found = parse_log("PC1", log).problems()
    assert {n.kind for n in found} == {notices.INSTALL, notices.RESULTS}
    assert all(n.subject == "PC1" for n in found)
    assert [n.text for n in of_kind(found, notices.RESULTS)] == [
        "results: 1 line(s) not in the form hfstage's scripts write were ignored"]


def test_an_assessment_keeps_its_notices_kinds_through_the_history():
    a = Assessment("PC1", "Windows 2000", "3", warnings=[Notice(notices.INSTALL, "PC1", "failed"),
                                                         Notice(notices.NOT_KNOWN, "PC1", "not known: SYSTEM")])
    again = Assessment.from_dict(a.to_dict())
    assert again.warnings == a.warnings
    older = {**a.to_dict(), "warnings": ["install: recorded before notices had kinds"]}
    assert Assessment.from_dict(older).warnings == [Notice(notices.NOTE, "PC1",
                                                           "install: recorded before notices had kinds")]


def test_a_notice_kind_must_be_known():
    with pytest.raises(ValueError):
        Notice("left in place", "x", "y")


def test_a_spool_left_in_place_reaches_the_report_by_its_kind(share):
    """The 9x spool names a machine that has its own folder: left in place, and the site report's problem list
    says so; the spool that was filed is not a problem."""
    inventory_root = share.folder("inventory")
    shutil.copytree(DATA / "inventory" / "W98", inventory_root / "W98")
    claimant = inventory_root / "_unnamed" / "mallory"
    claimant.mkdir(parents=True)
    shutil.copyfile(DATA / "inventory" / "W98" / next(p.name for p in (DATA / "inventory" / "W98").glob("*.reg")),
                    claimant / "hf01.reg")
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    result = inventory(share, None, limits=Limits())
    (left,) = result.notes
    assert left.kind == notices.SPOOL_LEFT and left.subject == str(claimant)
    problems = ScanResult("1", "full", 1, [], inventory=result).problems
    assert str(left) in problems
    Site.open(share.root)  # the share is a real one: the conductor opens it
