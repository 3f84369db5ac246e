"""How `hfstage month` ends: what needs the admin, most urgent first, each with the command that shows
more; and, when it is interrupted (Ctrl-C), which step stopped and what state the share is in."""

from __future__ import annotations

from pathlib import Path

from hfstage.progress import interrupted
from hfstage.report import Attention, month_item

# What the share holds when a step is interrupted: each step writes in a way that leaves it whole.
WHEN_INTERRUPTED = {
    "catalog import": "catalogs\\ holds a catalog whole or not at all (it is renamed into place), and the current "
                      "catalog changed only if the import had finished",
    "catalog diff": "this step only reads: nothing changed",
    "inventory": "the facts already read are kept in state\\facts and the others will be read again; nothing "
                 "clients read changed",
    "scan": "the scan was not recorded (the history keeps a scan whole or not at all); nothing clients read changed",
    "plan": "this step only reads: nothing changed",
    "scripts": "each script is whole (written aside, then renamed): some machines may have this month's, the "
               "others keep last month's until the next run makes them",
    "reports": "each report page is whole: some may be new, the others old until the next run renders them",
}


class MonthInterrupted(KeyboardInterrupt):
    """Ctrl-C during `hfstage month`: the message says which step stopped and what the share holds."""

    step = ""  # "4/7 (scan)"


def interrupted_at(number: int, steps: tuple[str, ...], share: Path) -> MonthInterrupted:
    name = steps[number - 1]
    where = interrupted()
    done = f"steps 1-{number - 1} ({', '.join(steps[:number - 1])}) finished and are kept; " if number > 1 else ""
    e = MonthInterrupted(f"month stopped at step {number}/{len(steps)} ({name}" + (f", at {where}" if where else "")
                         + f"): {done}{WHEN_INTERRUPTED[name]}. Run `hfstage month {share}` again to finish")
    e.step = f"{number}/{len(steps)} ({name})"
    return e


def dry_run_interrupted(e: KeyboardInterrupt) -> MonthInterrupted:
    at = f" at step {e.step}" if isinstance(e, MonthInterrupted) else ""
    return MonthInterrupted(f"the dry run stopped{at}: nothing changed on the share (a dry run works in a copy, "
                            "which the next run removes)")


def month_items(scripts, share: Path, netlogon: Path, held_back: list[str]) -> list[Attention]:
    """What the scripts step leaves for the admin to do: packages held back, NT 4.0 jobs, netlogon to copy."""
    out = []
    if held_back:
        out.append(month_item("held-back", held_back, share=share))
    if scripts.jobs:
        out.append(month_item("nt4-job", (), n=scripts.jobs, share=share, job=netlogon / "schedule_nt4.bat"))
    return out


def netlogon_item(share: Path, netlogon: Path) -> Attention:
    return month_item("netlogon", (), share=share, netlogon=netlogon / "*.bat")


def needs_lines(items: list[Attention]) -> list[str]:
    """The end of the month's summary: everything that needs the admin, most urgent first, numbered."""
    if not items:
        return ["Nothing needs you this month."]
    ordered = sorted(items, key=lambda a: a.rank)
    return ["What needs you, most urgent first:"] + [f"  {n}. {a.line()}" for n, a in enumerate(ordered, 1)]
