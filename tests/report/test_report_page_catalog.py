"""A new catalog looks again only at the machine pages whose script's plan reads a changed catalog entry
(issue 20 section 6: Patch Tuesday's month).

A machine page shows its assessment (its key is its content's SHA-256) and its script, planned from the
catalog. Keyed on the catalog's version, every page was decoded and planned again each Patch Tuesday, though a
new catalog leaves ~91% of assessments byte for byte as they were. The page is now keyed on the catalog entries
its plan reads (the scripts memo's CatalogReads, named by the page memo's value) and the site's OS rules.

Each case reports the demo share's latest scan through the pipeline's own page maker twice: under the catalog
as imported, then under a new catalog version. The first proves the skip (no page made, none rendered); the
others change one thing a plan reads and prove the page that reads it is made and shows it: a key that left
that thing out would keep the old page.
"""

from __future__ import annotations

import copy

from hfstage.history import FULL
from hfstage.inventory import InventoryResult
from hfstage.packages import load_installers
from hfstage.pipeline import Site
from hfstage.pipeline.report_view import PageMaker
from hfstage.report import MonthPlan, SiteExtras, SiteView, Situation, write_site_report
from tests.reportsite import site_with_problems

MACHINE, BULLETIN, PATCH = "XPSP1", "MS03-039", "WindowsXP-KB824146-x86-ENU.exe"  # in its script in the demo
COMMAND = "WindowsXP-KB824146-x86-ENU.exe&#34; -u -q -z"  # that script line, as its page shows it


class CountingMaker(PageMaker):
    """The pipeline's page maker, counting the pages it is asked for."""

    asked: list[str]

    def __call__(self, a, mine=None):
        self.asked.append(a.machine)
        return super().__call__(a, mine)


def _report(site: Site, catalog, version: str, rules: dict | None = None) -> tuple[list[str], int, str]:
    """The latest full scan reported under CATALOG as VERSION: (pages asked for, pages rendered, MACHINE's page)."""
    scan = site.history.latest_scan(FULL)
    rows = site.history.machines(scan.id)
    situation = Situation(rows)
    maker = CountingMaker(catalog, site.scripts, site.book, load_installers(), rules or site.rules, "", {},
                          situation, InventoryResult())
    maker.asked = []
    extras = SiteExtras(share="\\\\DC1\\hfstage", situation=situation, page=maker,
                        page_keys={r.machine: "as before" for r in rows})
    view = SiteView(version, scan.id, rows, [], site.history.assessments, extras=extras, jobs=0)
    result = write_site_report(site.share, view, MonthPlan(version, None, "", scan.id), [])
    page = (site.share.folder("reports") / "machines" / f"{MACHINE}.html").read_text(encoding="utf-8")
    return maker.asked, result.rendered_pages, page


def _site(tmp_path) -> tuple[Site, object]:
    share, _ = site_with_problems(tmp_path / "demo")
    site = Site(share)
    _report(site, site.catalog, "1.0.1.148")
    return site, site.catalog


def test_a_new_catalog_that_changes_no_entry_a_plan_reads_makes_no_page(tmp_path):
    site, catalog = _site(tmp_path)
    asked, rendered, _ = _report(site, copy.deepcopy(catalog), "1.0.1.149")
    assert (asked, rendered) == ([], 0)


def test_a_patch_entry_a_plan_reads_changed_makes_that_page_again(tmp_path):
    site, catalog = _site(tmp_path)
    _, _, before = _report(site, catalog, "1.0.1.148")
    changed = copy.deepcopy(catalog)
    patch = changed.patch(BULLETIN, PATCH)
    patch.no_reboot = not patch.no_reboot  # the step's restart column
    asked, rendered, page = _report(site, changed, "1.0.1.149")
    assert MACHINE in asked and rendered >= 1 and page != before


def test_the_site_rules_changed_make_the_pages_again(tmp_path):
    site, catalog = _site(tmp_path)
    _, _, before = _report(site, catalog, "1.0.1.148")
    assert COMMAND in before
    rules = copy.deepcopy(site.rules)
    os_name = next(r.os for r in site.history.machines(site.history.latest_scan(FULL).id) if r.machine == MACHINE)
    rules["os"] = [r for r in rules["os"] if r["name"] != os_name]  # no plan for its OS any more
    asked, _, page = _report(site, copy.deepcopy(catalog), "1.0.1.149", rules)
    assert MACHINE in asked and COMMAND not in page
