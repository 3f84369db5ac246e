"""The month reads its scan's missing findings from the history once (issue 20 section 6).

The scripts step read them for the fetch list, then the reports step read the very same rows twice more: once
for the report's extras (the fetch list, the bulletins' text) and once for the report itself. A scan's rows do
not change once recorded, so the scripts step's list is handed on to the reports; a report drawn outside the
month (`hfstage scan`, `hfstage approve`) reads them once too. What the report shows is what it showed: its
site-wide pages (index, bulletins: what the findings make) are compared with a report drawn afterwards from
the history alone (machine pages differ there by design: they describe the scripts a month would make).
"""

from __future__ import annotations

from hfstage.history import History
from hfstage.pipeline import Site, month, site_report
from hfstage.pipeline.approving import latest_scan
from tests.conftest import demo_with_cabinet


def _counting(monkeypatch) -> list[tuple]:
    asked: list[tuple] = []
    original = History.findings

    def findings(self, scan_id, status=None, bulletins=None):
        asked.append((scan_id, status, bulletins))
        return original(self, scan_id, status, bulletins)

    monkeypatch.setattr(History, "findings", findings)
    return asked


def _pages(share) -> dict[str, bytes]:
    folder = share.root / "reports"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.html"))
            if p.parent.name != "machines"}


def test_a_month_reads_its_missing_findings_once_and_reports_what_the_history_holds(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    asked = _counting(monkeypatch)
    result = month(Site(share), say=lambda line: None)
    assert asked.count((result.scan.scan_id, "missing", None)) == 1, asked
    drawn = _pages(share)
    assert "index.html" in drawn and any(name.startswith("bulletins") for name in drawn)

    for page in (share.root / "reports").rglob("*.html"):
        page.unlink()
    asked.clear()
    site = Site(share)
    site_report(site, latest_scan(site))  # as `hfstage approve` redraws it: nothing handed in
    assert asked.count((result.scan.scan_id, "missing", None)) == 1, asked
    assert _pages(share) == drawn
