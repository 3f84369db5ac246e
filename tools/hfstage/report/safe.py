"""Output that other people and programs read: links, spreadsheet cells, terminal text.

Catalog values and client-written values reach reports; a `javascript:` link from a
catalog must not run in the report, a CSV cell starting with = must not run in a
spreadsheet, and an ANSI escape from a results log must not reach the admin's terminal.
"""

from __future__ import annotations

import re

_SAFE_SCHEMES = ("http://", "https://")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def safe_url(url: object) -> str | None:
    """URL when it is a plain http(s) link, else None (the report shows the text without a link)."""
    text = str(url or "").strip()
    if not text.lower().startswith(_SAFE_SCHEMES) or any(c.isspace() or c in "\"'<>`" for c in text):
        return None
    return text


def csv_cell(value: object) -> str:
    """VALUE for a CSV cell a spreadsheet will not evaluate (OWASP: prefix a quote)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def clean_text(text: str) -> str:
    """TEXT without control characters (terminal escapes), newlines and tabs kept."""
    return _CONTROL.sub("?", text)
