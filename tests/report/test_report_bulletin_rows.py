"""A bulletin page's rows are rendered once per distinct row but for the machine's name (issue 20: the reports
step): report.html.bulletin_rows renders a row with a stand-in name and puts each machine's name, escaped, in
its place. Each row must read as the row template renders it for that machine, whatever its texts hold.
"""

from __future__ import annotations

from types import SimpleNamespace

from hfstage.report.html import BulletinRow, html_env

ROWS = [SimpleNamespace(machine="PC1", patch="Q1.exe", product="Windows 2000", reason="key <absent> & more"),
        SimpleNamespace(machine="PC&2", patch="Q1.exe", product="Windows 2000", reason="key <absent> & more"),
        SimpleNamespace(machine="PC3", patch="Q1.exe", product="Windows 2000", reason="file \"x\" 'older'"),
        SimpleNamespace(machine="PC4", patch="Q1.exe", product="Windows 2000", reason="odd \x00machine\x00 text")]
APPROVALS = {("PC1", "Q1.exe"): "auto", ("PC&2", "Q1.exe"): "auto", ("PC3", "Q1.exe"): "waiting <approve>",
             ("PC4", "Q1.exe"): "auto"}


def _expected(rows) -> str:
    row = html_env().get_template("_bulletin_row.html.j2")
    return "".join(row.render(f=BulletinRow(f.machine, f.patch, f.product, f.reason),
                              approval=APPROVALS[(f.machine, f.patch)]) + "\n" for f in rows)


def test_each_row_is_its_template_rendered_for_its_machine():
    rows = html_env().globals["bulletin_rows"]
    assert str(rows(ROWS, APPROVALS)) == _expected(ROWS)
    assert str(rows(ROWS, APPROVALS)) == _expected(ROWS)  # the second time from the cache
    assert 'href="../machines/PC&amp;2.html">PC&amp;2<' in str(rows(ROWS, APPROVALS))
    assert "\x00machine\x00 text" in str(rows(ROWS[3:], APPROVALS))  # a text holding the stand-in: drawn whole
    assert str(rows([], {})) == ""


def test_the_bulletin_page_lists_its_machines_with_the_rows():
    b = {"id": "MS01-001", "title": "t", "severity": "Critical", "url": "", "date_posted": "2001-01-01",
         "machines": ROWS[:3], "cve": [], "info": None, "approval": APPROVALS, "rings": [], "count": 3}
    page = html_env().get_template("bulletin.html.j2").render(root="../", b=b, generated="", catalog_version="",
                                                              scan_id=1, status_class={}, share="S", scripts_now=True)
    assert "<tbody>\n" + _expected(ROWS[:3]) + "</tbody>" in page
