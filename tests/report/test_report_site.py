"""The report an admin works in (issue 25.2), read as files: a month after clients ran their scripts.

NT4WKS's install failed with 1603, DC01 gave up on MS02-045, XPSP1's script ran without rights, WEB01
owes a restart, W95 stopped reporting a month ago, and three servers need a package nobody carried in.
The index must put all of that first, each item a link to the machines concerned (a static list page:
the report is complete without JavaScript); the machine table must be problems first; a machine's page
must say what its script does, what its last run did, what its rollback removes and how far its
evidence goes; a bulletin's page must carry the catalog's own text, its KB links, Microsoft's severity
and the site's override as the site's; "stale" must reach text, CSV and JSON too.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil

import pytest

from tests.conftest import DATA
from tests.reportsite import cli, site_with_problems, stale


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    share, out = site_with_problems(tmp_path_factory.mktemp("report") / "demo")
    stale(share, "W95")
    return share, out


def _read(share, name: str) -> str:
    return (share.folder("reports") / name).read_text(encoding="utf-8")


def _rows(page: str, table_id: str = "machine-table") -> list[str]:
    """The machine names of a page's machine table, in order."""
    body = page[page.index(f'id="{table_id}"'):]
    body = body[:body.index("</table>")]
    return re.findall(r'<tr><td><a href="[^"]*machines/([A-Z0-9]+)\.html">', body)


def test_the_index_puts_what_needs_the_admin_first_each_a_link_to_its_machines(site):
    share, _ = site
    index = _read(share, "index.html")
    assert re.findall(r'data-kind="([a-z-]+)"', index) == ["failed", "gave-up", "unreadable", "no-rights", "reboot",
                                                          "packages", "stale"]
    assert index.index('id="needs"') < index.index('id="statuses"') < index.index('id="machine-table"')
    expected = {"failed": ["NT4WKS"], "gave-up": ["DC01"], "unreadable": ["BADTRUNC"], "no-rights": ["XPSP1"],
                "reboot": ["WEB01"], "packages": ["DC01", "W2KSRV", "WEB01"], "stale": ["W95"]}
    for kind, machines in expected.items():
        item = index[index.index(f'data-kind="{kind}"'):]
        item = item[:item.index("</li>")]
        assert f'href="lists/needs-{kind}-1.html"' in item
        assert re.findall(r'href="machines/([A-Z0-9]+)\.html"', item) == machines
        assert sorted(_rows(_read(share, f"lists/needs-{kind}-1.html"))) == machines  # and its page: only those
    assert "1 machine(s) where an install or a removal failed" in index and "hfstage results" in index


def test_the_machine_table_is_problems_first_and_status_rows_link_to_their_machines(site):
    share, _ = site
    index = _read(share, "index.html")
    assert _rows(index)[:7] == ["NT4WKS", "DC01", "BADTRUNC", "XPSP1", "WEB01", "W2KSRV", "W95"]
    assert 'href="lists/status-service-pack-missing-1.html">service pack missing</a>' in index
    assert sorted(_rows(_read(share, "lists/status-service-pack-missing-1.html"))) == ["DC01", "W2KSRV", "WEB01"]
    assert sorted(_rows(_read(share, "lists/all-1.html"))) == sorted(_rows(index))  # all 12, without JavaScript
    table = index[index.index('id="machine-table"'):]
    row = table[table.index('machines/W95.html">W95</a>'):]
    assert '<span class="badge warning">stale</span>' in row[:row.index("</tr>")]


def test_service_packs_are_counted_as_service_packs_not_as_a_bulletin(site):
    share, _ = site
    index = _read(share, "index.html")
    assert re.search(r'id="service-packs"><a href="#service-packs-table">3</a>', index)
    bulletins = index[index.index('id="bulletins-table"'):]
    bulletins = bulletins[:bulletins.index("</table>")]
    assert re.findall(r'href="bulletins/([^"]+)\.html"', bulletins) == ["MS03-039", "MS01-033", "MS02-045"]
    assert not (share.folder("reports") / "bulletins" / "SP.html").exists()
    assert "Windows 2000 Service Pack 4" in index[index.index('id="service-packs-table"'):]


def test_a_machine_page_says_what_its_script_does_did_and_would_remove_and_what_its_evidence_is(site):
    share, _ = site
    page = _read(share, "machines/NT4WKS.html")
    script = page[page.index('id="script"'):page.index('id="results"')]
    assert "WindowsNT4Workstation-KB824146-x86-ENU.exe" in script and "-z %HF_UI%" in script  # its switches
    assert "hotfix" in script and "decided by: package" in script and "qchain.exe" in script
    assert "Ring: all; [approval] mode = auto" in script and "<td>auto</td>" in script  # every package approved
    did = page[page.index('id="results"'):page.index('id="rollback"')]
    assert "1603" in did and "failed" in did and "MS03-039" in did
    assert "removes nothing" in page[page.index('id="rollback"'):page.index('id="evidence"')]
    evidence = page[page.index('id="evidence"'):page.index('id="findings"')]
    assert "Last fresh evidence" in evidence and ">high<" in evidence and "SOFTWARE, SYSTEM" in evidence
    assert "stale" not in evidence
    w95 = _read(share, "machines/W95.html")
    evidence = w95[w95.index('id="evidence"'):w95.index('id="findings"')]
    assert '<span class="badge warning">stale</span>' in evidence and ">low<" in evidence
    assert "Windows 9x: no file security" in evidence
    xp = _read(share, "machines/XPSP1.html")
    assert "without administrator rights" in xp[xp.index('id="results"'):xp.index('id="rollback"')]


def test_a_bulletin_page_carries_the_catalogs_text_kb_links_and_both_severities(site):
    share, _ = site
    page = _read(share, "bulletins/MS02-045.html")
    assert "The SMB implementation has an unchecked buffer." in page  # the catalog's Issue text
    assert '<a href="http://support.microsoft.com/?kbid=326830">KB 326830</a>' in page
    assert "site&#39;s override" in page or "site's override" in page
    assert "site.ini [severity] rates it Important; Microsoft rates it Moderate" in page
    assert "Moderate (from the catalog)" in page
    assert re.search(r"Machines missing it \(3\)", page)
    assert '<a href="http://support.microsoft.com/?kbid=824146">' in _read(share, "bulletins/MS03-039.html")


def test_stale_reaches_text_csv_and_json(site):
    share, _ = site
    _, text, _ = cli("report", share.root)
    w95 = next(line for line in text.splitlines() if line.startswith("W95 "))
    assert " yes " in w95
    _, data, _ = cli("report", share.root, "--format", "json")
    rows = {r["machine"]: r for r in json.loads(data)["rows"]}
    assert rows["W95"]["stale"] is True and rows["NT4WKS"]["stale"] is False and rows["W95"]["last_evidence"]
    _, table, _ = cli("report", share.root, "--format", "csv")
    stale_column = {r["machine"]: r["stale"] for r in csv.DictReader(io.StringIO(table))}
    assert stale_column["W95"] == "yes" and stale_column["DC01"] == ""
    machines = {r["machine"]: r for r in csv.DictReader(io.StringIO(_read(share, "machines.csv")))}
    assert machines["W95"]["stale"] == "yes" and machines["W95"]["needs you"] == "stale"
    assert list(machines)[:2] == ["NT4WKS", "DC01"] and machines["NT4WKS"]["needs you"] == "install failed"


def test_machines_js_holds_every_machine_problems_first_as_a_script(site):
    share, _ = site
    text = _read(share, "machines.js")
    prefix = "window.HFSTAGE_MACHINES = "
    assert text.startswith(prefix) and text.rstrip().endswith(";")
    data = json.loads(text[len(prefix):].rstrip().rstrip(";"))
    names = [row[0] for row in data["rows"]]
    assert len(names) == 12 and names[:2] == ["NT4WKS", "DC01"]
    w95 = next(row for row in data["rows"] if row[0] == "W95")
    assert w95[7] == 1 and data["strings"][w95[2]] == "not covered by the catalog"


def test_the_month_ends_with_what_needs_the_admin_most_urgent_first(site):
    _, out = site
    tail = out[out.index("What needs you, most urgent first:"):].splitlines()
    assert [re.match(r"\s+(\d+)\. ", line).group(1) for line in tail[1:9]] == [str(n) for n in range(1, 9)]
    assert "NT4WKS -> hfstage results " in tail[1] and "DC01 -> hfstage results " in tail[2]
    assert "BADTRUNC -> hfstage inventory " in tail[3]
    assert "XPSP1" in tail[4] and "WEB01" in tail[5] and "--missing" in tail[6]
    assert "schedule_nt4.bat as a domain administrator" in tail[7] and "to NETLOGON" in tail[8]


def test_the_plan_has_navigation_and_headers_that_do_not_break(site):
    share, _ = site
    plan = _read(share, "plan.html")
    assert '<nav><a href="index.html">Summary</a>' in plan and '<script src="report.js">' in plan
    style = plan[:plan.index("</style>")]
    assert "th { background: #f3f3f3; white-space: nowrap; }" in style
    assert not re.search(r"th[^{]*\{[^}]*overflow-wrap", style)  # a header never breaks mid-word


def test_a_share_still_holding_the_old_default_plan_template_gets_the_new_one(tmp_path):
    """init never overwrites SHARE\\templates: a share made before holds the template whose columns broke."""
    share, _ = site_with_problems(tmp_path / "demo")
    template = share.root / "templates" / "plan.html.j2"
    shutil.copyfile(DATA / "plan_html_before_issue25.j2", template)  # the template hfstage shipped before
    _, plan, _ = cli("plan", share.root, "--format", "html")
    assert "<nav>" in plan and "white-space: nowrap" in plan
    template.write_text(template.read_text().replace("<h1>", "<h1>Site plan: "))  # adapted by the site: its own
    _, plan, _ = cli("plan", share.root, "--format", "html")
    assert "<h1>Site plan: " in plan and "<nav>" not in plan


def test_a_large_site_keeps_its_index_to_one_page_and_every_machine_in_the_lists(tmp_path, monkeypatch):
    monkeypatch.setattr("hfstage.report.site_index.PAGE", 5)
    share, _ = site_with_problems(tmp_path / "demo")
    index = _read(share, "index.html")
    assert len(_rows(index)) == 5 and "The first 5 of 12 machines" in index
    pages = [_rows(_read(share, f"lists/all-{n}.html")) for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [5, 5, 2] and sum(pages, [])[:5] == _rows(index)
    assert not (share.folder("reports") / "lists" / "all-4.html").exists()


def test_every_link_between_report_pages_leads_to_a_page(site):
    """From file:// a broken link is a dead end: every relative link of every page names a file that exists."""
    share, _ = site
    reports = share.folder("reports")
    checked = 0
    for page in reports.rglob("*.html"):
        for target in re.findall(r'(?:href|src)="([^"#:]+)(?:#[^"]*)?"', page.read_text(encoding="utf-8")):
            assert (page.parent / target).resolve().is_file(), f"{page.relative_to(reports)} -> {target}"
            checked += 1
    assert checked > 200
    assert "Links in the form Microsoft's 2003 bulletins used" in _read(share, "bulletins/MS03-039.html")
