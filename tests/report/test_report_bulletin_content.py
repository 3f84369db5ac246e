"""A bulletin's page is rendered again only when what it shows changed (issue 20 section 6).

Patch Tuesday's month brought a new catalog, and every bulletin page was drawn again for it: each named the
catalog's version at its foot, and each page's key held that version. As for machine pages, the page names
no catalog (the index does) and its key is what it shows: its title, severities, links, dates, the catalog's
text about it, each machine missing it with the patch, product, reason and approval, and the rings. Each case
below first proves the skip (a new catalog, the same rows: the page is not drawn again) and then changes one
thing the page shows, under yet another catalog, and proves the page follows: a key that left that thing out
would keep the old page.
"""

from __future__ import annotations

import dataclasses

import pytest

from hfstage.assess import Assessment
from hfstage.history import FindingRow, MachineRow, assessment_key
from hfstage.report import Approvals, MonthPlan, SiteExtras, SiteView, Situation, write_site_report
from hfstage.report.bulletin_info import BulletinInfo, KbArticle
from hfstage.scripts import Gate
from hfstage.share import Share, init_share

PAGE = "bulletins/MS02-045.html"
ROW = FindingRow("PC1", "MS02-045", "Q326830_W2K_SP4_X86_EN.exe", "Q326830", "Windows 2000 Server SP2", "missing",
                 "Moderate", "patch", "File version is less than expected.", "Unchecked buffer in network share "
                 "provider", "http://www.microsoft.com/technet/security/bulletin/MS02-045.asp", "2002-08-22")
INFO = BulletinInfo("MS02-045", ROW.title or "", "A buffer overrun in the share provider.", "Summary",
                    [KbArticle("Q326830", "326830", "http://support.microsoft.com/?kbid=326830")],
                    date_posted="2002-08-22")
BASE = {"rows": [ROW], "info": INFO, "approvals": Approvals()}

CHANGES = {  # one thing the page shows, changed: (the change, a text it brings to the page or takes away)
    "the title": ({"rows": [dataclasses.replace(ROW, title="Another title")]}, "Another title"),
    "the severity": ({"rows": [dataclasses.replace(ROW, severity="Critical")]}, ">Critical<"),
    "the bulletin's link": ({"rows": [dataclasses.replace(ROW, url="http://example.test/MS02-045")]},
                            "http://example.test/MS02-045"),
    "the date posted": ({"rows": [dataclasses.replace(ROW, date_posted="2002-09-01")]}, "2002-09-01"),
    "a machine missing it": ({"rows": [ROW, dataclasses.replace(ROW, machine="PC2")]}, "machines/PC2.html"),
    "the patch": ({"rows": [dataclasses.replace(ROW, patch="Q326830_NT4.exe")]}, "Q326830_NT4.exe"),
    "the product": ({"rows": [dataclasses.replace(ROW, product="Windows NT 4.0 SP6a")]}, "Windows NT 4.0 SP6a"),
    "the reason": ({"rows": [dataclasses.replace(ROW, reason="Registry key not found.")]},
                   "Registry key not found."),
    "the approval": ({"approvals": Approvals(Gate("manual"))}, "<td>auto</td>"),
    "the rings": ({"approvals": Approvals(Gate("auto", (("pilot", ("PC1",)),)))}, "<td>pilot</td>"),
    "the catalog's text": ({"info": dataclasses.replace(INFO, summary="Another summary.")}, "Another summary."),
    "a KB article": ({"info": dataclasses.replace(INFO, kb=[])}, "?kbid=326830"),
    "Microsoft's rating": ({"info": dataclasses.replace(INFO, microsoft="Critical")}, "(from the catalog)"),
    "the site's override": ({"info": dataclasses.replace(INFO, override="Low")}, "site's override"),
    "the date revised": ({"info": dataclasses.replace(INFO, date_revised="2002-10-02")}, "revised 2002-10-02"),
}


def _write(share: Share, version: str, shown: dict) -> tuple[str, bool]:
    """The report of the machines of SHOWN's rows under catalog VERSION: (MS02-045's page, whether written)."""
    rows = []
    for name in dict.fromkeys(r.machine for r in shown["rows"]):
        a = Assessment(name, "Windows 2000 Server", "2", status="needs patches")
        rows.append(MachineRow(len(rows) + 1, name, a.os, a.service_pack, None, None, a.status, a.status_detail, 1,
                               0, 1, None, assessment_key(a), None))
    extras = SiteExtras(situation=Situation(rows), bulletins={"MS02-045": shown["info"]},
                        approvals=shown["approvals"])
    view = SiteView(version, 1, rows, shown["rows"], lambda keys: {}, extras=extras)
    result = write_site_report(share, view, MonthPlan(version, None, "", 1), [])
    page = share.folder("reports") / PAGE
    return page.read_text(encoding="utf-8"), page in result.written


@pytest.mark.parametrize("what", CHANGES)
def test_a_new_catalog_draws_a_bulletin_page_again_only_when_what_it_shows_changed(tmp_path, what):
    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    before, written = _write(share, "1.0.1.148", BASE)
    assert written and "1.0.1.148" not in before  # the page names no catalog: the index does

    page, written = _write(share, "1.0.1.149", BASE)
    assert (page, written) == (before, False)  # a new catalog, the same rows: not drawn again

    change, text = CHANGES[what]
    page, written = _write(share, "1.0.1.150", {**BASE, **change})
    assert written and (text in page) != (text in before)
