"""One order wherever bulletins are ranked (the index, `report --by bulletin|patch`, the central table):
most severe first, then the most machines, then the bulletin's ID, so a Moderate bulletin missing on many
machines never sits above a Critical one."""

from __future__ import annotations

from hfstage.assess import severity_rank


def bulletin_order(severity: str, machines: int, *names: str) -> tuple:
    """The sort key: SEVERITY's rank, then MACHINES (more first), then NAMES (bulletin, patch) as text."""
    return (severity_rank(severity), -machines, *names)


def most_severe(severities) -> str:
    """The most severe of SEVERITIES (Unrated when there is none): a bulletin is as severe as its worst patch."""
    return min(severities, key=severity_rank, default="Unrated")
