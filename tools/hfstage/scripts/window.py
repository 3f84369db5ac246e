"""A maintenance window ("Sat Sun 22:00-06:00") as the install script checks it.

Servers and domain controllers install only inside it. The script reads the day from the
first word of `date /t` (an English abbreviation; use `any` where the locale writes none)
and the time from `time /t`; a window that passes midnight is an evening part on the named
days and a morning part on the days after them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.errors import UsageError

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_SPEC = re.compile(r"^(?P<days>[A-Za-z ,]+?)\s+(?P<h1>\d{1,2}):(?P<m1>\d{2})\s*-\s*(?P<h2>\d{1,2}):(?P<m2>\d{2})$")


@dataclass(frozen=True)
class Window:
    text: str
    start: int  # minutes after midnight
    end: int
    evening_days: list[str] = field(default_factory=list)  # "*" = any day
    evening_end: int = 1440
    morning_days: list[str] = field(default_factory=list)


def parse_window(text: str, where: str) -> Window | None:
    """The window site.ini gives ([maintenance] window), or None when there is none."""
    text = text.strip()
    if not text:
        return None
    m = _SPEC.match(text)
    if not m:
        raise UsageError(f"{where}: window = {text}: write days and hours, like 'Sat Sun 22:00-06:00' or "
                         "'any 01:00-05:00'")
    start, end = (int(m["h1"]) * 60 + int(m["m1"]), int(m["h2"]) * 60 + int(m["m2"]))
    if not (0 <= start < 1440 and 0 < end <= 1440) or start == end:
        raise UsageError(f"{where}: window = {text}: hours run from 00:00 to 24:00")
    words = [w.capitalize()[:3] for w in re.split(r"[ ,]+", m["days"].strip()) if w]
    if words == ["Any"]:
        days = ["*"]
    elif all(w in DAYS for w in words):
        days = words
    else:
        raise UsageError(f"{where}: window = {text}: days are {' '.join(DAYS)} or any")
    if start < end:
        return Window(text, start, end, days, end, [])
    following = ["*"] if days == ["*"] else [DAYS[(DAYS.index(d) + 1) % 7] for d in days]
    return Window(text, start, end, days, 1440, following)
