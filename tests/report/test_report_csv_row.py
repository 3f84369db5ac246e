"""A CSV row's cells checked at once are the cells checked one by one (issue 20 section 6).

scan.csv of 5,000 machines is some 60,000 rows of 19 cells; report.safe.csv_row checks a row whose text is all
printable in one call and defuses each cell, and falls back to csv_cell for a row with a control character.
Whatever the cells (a formula, a C1 control, a lone surrogate from a client's name, None, a number), the row
must be what csv_cell makes of each; and rows written cell by cell (csv_lines), what csv.writer writes of them.
"""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from hfstage.report.safe import csv_cell, csv_lines, csv_row
from tests.conftest import FUZZ

CELLS = st.one_of(st.none(), st.integers(), st.text(alphabet=st.characters(codec=None, min_codepoint=0,
                                                                             max_codepoint=0xFFFF), max_size=12),
                  st.sampled_from(["=1+1", "+SUM(A1)", "-2", "@x", "\tx", "\rx", "a\x85b", "\ud800", "ok"]))


@FUZZ
@given(st.lists(CELLS, max_size=8))
def test_a_row_is_its_cells_each_made_safe(row):
    assert csv_row(row) == [csv_cell(c) for c in row]


@FUZZ
@given(st.lists(st.lists(CELLS, max_size=6), max_size=4))
def test_rows_written_cell_by_cell_are_the_writers_rows(rows):
    """scan.csv's fragments quote each distinct cell once (csv_lines): the bytes csv.writer writes of csv_row's
    cells, a row of one empty cell (which the writer quotes) and rows of none included."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([csv_row(row) for row in rows])
    assert csv_lines(rows) == buffer.getvalue()
