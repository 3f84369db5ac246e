"""What the CLI prints: to stdout or stderr, with control characters made visible.

Client-written values (machine names, results lines) reach the terminal; an ANSI escape
in one of them must not reach the admin's terminal as an escape.
"""

from __future__ import annotations

import json
import sys

from hfstage.pipeline import clean_text, file_text


def out(text: str = "") -> None:
    sys.stdout.write(clean_text(text) + ("" if text.endswith("\n") else "\n"))


def raw(text: str) -> None:
    """Text hfstage rendered itself in a file format (CSV, JSON, HTML): control characters removed, CR LF kept."""
    sys.stdout.write(file_text(text))


def err(text: str) -> None:
    sys.stderr.write(clean_text(text).rstrip("\n") + "\n")


def out_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=1, sort_keys=True, default=str) + "\n")
