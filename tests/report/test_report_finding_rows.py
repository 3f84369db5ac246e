"""A machine page's finding rows are rendered once per distinct row (issue 20 section 6).

Most of a machine page's rendering was its findings table, and machines of one OS and service pack share
their rows: report.html renders a row once per distinct ShownFinding (every field the row shows, and all
its template may read) and reuses it. A row that differs in anything it shows must not come from the cache:
each case changes one field of a finding already rendered and proves the page shows the change.
"""

from __future__ import annotations

import dataclasses

import pytest

from hfstage.assess import NOT_APPLICABLE, Assessment, Finding
from hfstage.report.html import ShownFinding, html_env, shown_finding
from hfstage.report.site import STATUS_CLASS

BASE = Finding("PC1", "Windows 2000 Server SP2", "MS02-045", "Q326830_W2K_SP4_X86_EN.exe", "Q326830",
               "Unchecked buffer in network share provider", "missing", "File version is less than expected.",
               evidence=["%windir%\\system32\\srvsvc.dll 5.0.2195.1"], severity="Moderate", cve_ids=["CAN-2002-0720"],
               bugtraq_ids=["5556"])
CHANGES = {"kind": "service pack", "status": "installed", "unverified": True, "bulletin": "MS02-046",
           "qnumber": "Q326831", "patch": "Q326831.exe", "product": "Windows 2000 Server SP3", "severity": "Critical",
           "reason": "Registry key not found.", "evidence": ["%windir%\\system32\\srv.sys 5.0.2195.1"],
           "cve_ids": ["CAN-2002-0721"], "bugtraq_ids": ["5557"]}


def _page(finding: Finding | list[Finding]) -> str:
    findings = finding if isinstance(finding, list) else [finding]
    a = Assessment("PC1", "Windows 2000 Server", "2", findings=findings, status="needs patches")
    return html_env().get_template("machine.html.j2").render(
        a=a, page=None, rollback=[], root="../", generated="", catalog_version="", scan_id=1,
        status_class=STATUS_CLASS, share="S", scripts_now=True, stale_days=14)


def test_every_field_a_row_shows_is_in_its_key():
    assert set(CHANGES) == set(ShownFinding._fields)


@pytest.mark.parametrize("field", CHANGES)
def test_a_finding_that_differs_in_one_field_gets_its_own_row(field):
    before = _page(BASE)
    assert _page(BASE) == before  # the second one came from the cache
    after = _page(dataclasses.replace(BASE, **{field: CHANGES[field]}))
    assert after != before


def test_the_findings_table_is_each_applicable_findings_row_on_its_line():
    """The rows come from one call (html.finding_rows), joined as the template's loop wrote them: each row and a
    line end, none for a not-applicable finding, and a line that says so when no finding applies."""
    row = html_env().get_template("_finding_row.html.j2")
    other = dataclasses.replace(BASE, bulletin="MS02-046")
    unrelated = dataclasses.replace(BASE, bulletin="MS01-999", status=NOT_APPLICABLE)

    def table(page: str) -> str:
        return page.rsplit("<tbody>\n", 1)[1].split("</tbody>", 1)[0]

    assert table(_page([BASE, unrelated, other])) == "".join(row.render(f=shown_finding(f)) + "\n"
                                                             for f in (BASE, other))
    assert table(_page([unrelated])) == '<tr><td colspan="6">No applicable patches.</td></tr>\n'
