"""The month of a new catalog and no inventory change, as the admin sees it: no machine read, all projected.

Patch Tuesday: the admin drops next month's signed cabinet into incoming\\ and runs `hfstage month`; no
client collected anything new. The inventory step says what it did (no machine read, every collected
machine projected onto the new catalog), and the month's findings are those of a month that read every
machine again: the same scan, machine by machine, as a second share given the same machines and only the
new catalog.
"""

from __future__ import annotations

import shutil

from hfstage.pipeline import Site, build_demo_share, month
from tests.conftest import EXAMPLES


def _cab(share, name):
    shutil.copyfile(EXAMPLES / "incoming" / name / "mssecure.cab", share.folder("incoming") / f"{name}.cab")


def _rows(result) -> dict:
    """Each machine's verdict (its error's text names its share's path: only whether it has one)."""
    return {r.machine: (r.status, r.applicable, r.installed, r.missing, r.signature, r.error is None)
            for r in result.scan.rows}


def test_patch_tuesday_reads_no_machine_and_finds_what_a_full_read_finds(tmp_path):
    say = []
    share = build_demo_share(tmp_path / "demo")
    _cab(share, "month1")
    month(Site(share), say=say.append)
    _cab(share, "month2")
    say.clear()
    projected = month(Site(share), say=say.append)
    line = next(s for s in say if "inventory:" in s)
    assert "12 machines (0 read, 12 projected onto the new catalog, 0 unchanged)" in line
    fresh = build_demo_share(tmp_path / "fresh")
    _cab(fresh, "month2")
    assert _rows(month(Site(fresh), say=lambda s: None)) == _rows(projected)


def test_a_new_catalog_that_changes_no_machine_draws_no_machine_page_again(tmp_path, monkeypatch):
    """Every Patch Tuesday every machine page was made again (5,000 decoded, planned and compared), although most
    assessments were as before: each page's key held the catalog's version twice, once as such and once inside
    the facts hash (the facts carry the label of the catalog they were projected under). A catalog that says what
    the last one said under a new version changes no page: none is asked for."""
    from hfstage.catalog import import_catalog
    from hfstage.pipeline.report_view import PageMaker

    share = build_demo_share(tmp_path / "demo")
    _cab(share, "month1")
    month(Site(share), say=lambda s: None)
    text = (EXAMPLES / "catalog" / "month1.xml").read_text()
    (tmp_path / "relabelled.xml").write_text(text.replace('DataVersion="2.0.0.1"', 'DataVersion="2.0.0.2"', 1))
    import_catalog(share, xml=tmp_path / "relabelled.xml", allow_unsigned=True)
    asked, page = [], PageMaker.__call__
    monkeypatch.setattr(PageMaker, "__call__",
                        lambda self, a, mine=None: asked.append(a.machine) or page(self, a, mine))
    say = []
    month(Site(share), say=say.append)
    assert "12 projected onto the new catalog" in next(s for s in say if "inventory:" in s)
    assert asked == []
    assert " 0 machine pages rendered" in next(s for s in say if "machine pages rendered" in s)
