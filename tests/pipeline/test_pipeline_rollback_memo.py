"""The rollback history is brought up to date without reading back assessments that cannot change it.

The story: keeping each machine's rollback across months meant reading back, every month, the assessment
of every machine that hfstage's scripts ever ran on (about half a second per 1,000 machines on a month
with no change). A machine's history can only change when a patch in it could end, or when the scan finds
installed a patch its scripts ran: the history's findings table tells that without decoding anything, and
the rollback memo remembers the machines whose inputs changed nothing last time.
"""

from __future__ import annotations

from hfstage import resources
from hfstage.history import History
from hfstage.pipeline import Site, build_demo_share, month, scripts_generate
from hfstage.share import ROLLBACK


def _spy(monkeypatch) -> list[str]:
    asked: list[str] = []
    real = History.assessments

    def assessments(self, keys):
        keys = list(keys)
        asked.extend(keys)
        return real(self, keys)

    monkeypatch.setattr(History, "assessments", assessments)
    return asked


def test_a_month_with_nothing_installed_reads_no_assessment_back_for_the_rollback(tmp_path, monkeypatch):
    share = build_demo_share(tmp_path / "demo")
    cab = share.folder("incoming") / "month1.cab"
    cab.write_bytes((resources.data("examples", "incoming") / "month1" / "mssecure.cab").read_bytes())
    done = month(Site(share), cab, say=lambda line: None, jobs=1)
    scripted = [p.machine for p in done.scripts.plans if p.steps]
    assert scripted  # the scripts ran packages on some machines: their history is kept
    asked = _spy(monkeypatch)
    again = scripts_generate(Site.open(share.root))
    assert again.written == [] and again.skipped == len(done.scan.rows)  # nothing changed, nothing made again
    assert asked == [], f"{len(asked)} assessments read back although nothing was installed"


def test_a_machine_whose_history_may_change_is_read_once_then_remembered(tmp_path, monkeypatch):
    """A patch in a machine's rollback can end at any scan: its assessment is read; when that changed nothing,
    the memo remembers it and the next run with the same inputs reads nothing."""
    share = build_demo_share(tmp_path / "demo")
    cab = share.folder("incoming") / "month1.cab"
    cab.write_bytes((resources.data("examples", "incoming") / "month1" / "mssecure.cab").read_bytes())
    month(Site(share), cab, say=lambda line: None, jobs=1)
    site = Site.open(share.root)
    rows = site.history.machines(site.history.latest_scan().id)
    row = next(r for r in rows if not r.error and r.os)
    from hfstage.history import InstalledPatch, InstallLedger

    InstallLedger(share).apply([InstalledPatch(row.machine, "MS00-000", "demo.exe", "Q000000", row.os or "", "NT",
                                               "hotfix", "demo.exe", "demo.exe 1", None, 1, "2003-08-15", 1,
                                               "2.0.0.1")], [])
    asked = _spy(monkeypatch)
    scripts_generate(Site.open(share.root))  # its rollback changed: read for the history, and for its scripts
    assert set(asked) == {row.assessment_key}
    assert share.record(ROLLBACK).known(row.machine, share.record(ROLLBACK).entries[row.machine][0])
    asked.clear()
    scripts_generate(Site.open(share.root))
    assert asked == []
