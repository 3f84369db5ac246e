"""The machine table's lines are rendered once per distinct line and root (issue 20: the reports step).

A machine is on the index's first page, on All machines and on its status's and problems' lists: 5,000
machines made some 15,000 rows of 31 list pages. report.html renders a line's row once (html.machine_rows)
and reuses it. A line that differs in any field, a table of another root, other labels: none may come from
the cache.
"""

from __future__ import annotations

import dataclasses

import pytest

from hfstage.report.attention import labels
from hfstage.report.html import html_env
from hfstage.report.machine_lines import MachineLine
from hfstage.report.site import STATUS_CLASS

LINE = MachineLine("PC1", "Windows 2000 SP2", "needs patches", "2 missing", 2, 1, "2026-12-01", False,
                   "1 installed", ("failed",), 3)
CHANGES = {"machine": "PC2", "os": "Windows XP", "status": "compliant", "detail": "1 missing", "missing": 5,
           "critical": 0, "seen": "2026-11-01", "stale": True, "last_run": "1 failed", "needs": ("stale",), "rank": 4}


def _table(lines: list[MachineLine], root: str = "../", label_of: dict | None = None) -> str:
    table = html_env().get_template("_machines.html.j2").module.machine_table
    page = str(table(lines, root, label_of or labels(), STATUS_CLASS))
    return page.split("<tbody>\n", 1)[1].split("</tbody>", 1)[0]


def test_every_field_of_a_line_is_in_its_key():
    assert set(CHANGES) == {f.name for f in dataclasses.fields(MachineLine)}


@pytest.mark.parametrize("field", CHANGES)
def test_a_line_that_differs_in_one_field_gets_its_own_row(field):
    before = _table([LINE])
    assert _table([LINE]) == before  # the second one came from the cache
    assert _table([dataclasses.replace(LINE, **{field: CHANGES[field]})]) != before


def test_the_table_is_each_lines_row_on_its_line_for_its_root_and_labels():
    row = html_env().get_template("_machine_row.html.j2")
    other = dataclasses.replace(LINE, machine="PC2")
    assert _table([LINE, other]) == "".join(row.render(m=m, root="../", labels=labels(), status_class=STATUS_CLASS)
                                            + "\n" for m in (LINE, other))
    assert 'href="machines/PC1.html"' in _table([LINE], root="")
    assert ">it failed<" in _table([LINE], label_of={**labels(), "failed": "it failed"})
    assert _table([]) == '<tr><td colspan="8">none</td></tr>\n'
