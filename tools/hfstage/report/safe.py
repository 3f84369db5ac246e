"""Output that other people and programs read: links, spreadsheet cells, terminal text.

Catalog values and client-written values reach reports; a `javascript:` link from a
catalog must not run in the report, a CSV cell starting with = must not run in a
spreadsheet, and an ANSI escape from a results log must not reach the admin's terminal.
"""

from __future__ import annotations

import csv
import functools
import io
import re

_SAFE_SCHEMES = ("http://", "https://")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
# C0 and C1 controls but tab and the line ends, and lone surrogates (a client's name that is not UTF-8)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_CONTROL_NO_CR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def safe_url(url: object) -> str | None:
    """URL when it is a plain http(s) link, else None (the report shows the text without a link)."""
    text = str(url or "").strip()
    if not text.lower().startswith(_SAFE_SCHEMES) or any(c.isspace() or c in "\"'<>`" for c in text):
        return None
    return text


def _defused(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA) else text


def csv_cell(value: object) -> str:
    """VALUE for a CSV cell: a spreadsheet will not evaluate it (OWASP: prefix a quote), and no control
    character but tab, CR and LF is kept (the csv writer quotes those; a CR stays a CR)."""
    text = "" if value is None else str(value)
    return _defused(text if text.isprintable() else _CONTROL.sub("?", text))  # printable: nothing to replace


def csv_row(values) -> list[str]:
    """VALUES as csv_cell makes each: a row whose text is all printable (nearly every one) is checked at once."""
    texts = ["" if v is None else str(v) for v in values]
    if "".join(texts).isprintable():
        return [_defused(t) for t in texts]
    return [csv_cell(t) for t in texts]


def csv_lines(rows) -> str:
    """ROWS as csv.writer (line end "\\n") writes them with csv_row's cells: each distinct cell made safe and quoted
    once (5,000 machines' scan.csv is some 60,000 rows whose cells are mostly the same few hundred texts), the
    writer's own quoting, a row of one cell written by the writer itself (an empty one is quoted there alone)."""
    out = []
    for row in rows:
        cells = ["" if v is None else str(v) for v in row]
        out.append(",".join(map(_quoted, cells)) + "\n" if len(cells) > 1 else _written([csv_cell(c) for c in cells]))
    return "".join(out)


@functools.lru_cache(maxsize=16384)
def _quoted(text: str) -> str:
    """TEXT as a cell of a row of several (csv.writer quotes each cell on its own: an empty one stays empty)."""
    return _written([csv_cell(text)])[:-1] if text else ""


def _written(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(row)
    return buffer.getvalue()


def tsv_cell(value: object) -> str:
    """VALUE for a tab-separated cell (HFNetChk's layout): no tab or line end can move it to another cell or
    line, and a spreadsheet will not evaluate it."""
    text = "" if value is None else str(value)
    return _defused(_CONTROL.sub("?", text.replace("\t", " ").replace("\r", " ").replace("\n", " ")))


def clean_text(text: str) -> str:
    """TEXT hfstage composed for the terminal, newlines and tabs kept: no escape, no CR that would overwrite a
    line, nothing the terminal cannot encode. (A client's name inside it went through errors.shown.)"""
    return _CONTROL_NO_CR.sub("?", text)


def file_text(text: str) -> str:
    """A file format hfstage rendered (CSV, JSON, HTML) on its way to stdout: its CR LF line ends kept,
    every other control character (a terminal escape) removed."""
    return _CONTROL.sub("?", text)
