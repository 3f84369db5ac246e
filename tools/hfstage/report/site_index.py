"""The report's front: index.html (what needs the admin first, then the tiles, the machines problems
first, the bulletins by severity), the machine lists it links to, and machines.js.

A 5,000-machine site must open at once and work from file:// with no network: the index holds the
first PAGE machines; every list (all machines, each status, each problem) is also written as static
pages of PAGE rows, so the report is complete without JavaScript and prints; machines.js assigns every
machine's line to a variable (Chromium will not fetch() a file:// JSON file, but it runs a script it is
given), and report.js uses it to sort, filter and page through all of them.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import KIND_PATCH, MACHINE_STATUSES, Assessment
from hfstage.history import FindingRow
from hfstage.report.approvals import Approvals
from hfstage.report.attention import Attention, Situation, attention, labels
from hfstage.report.bulletin_info import BulletinInfo
from hfstage.report.machine_lines import MachineLine, machine_lines
from hfstage.report.machine_page import MachinePage
from hfstage.report.safe import csv_cell
from hfstage.resources import data

PAGE = 500  # machine rows per page: the index's table and each static list page
PROBLEMS_SHOWN = 20  # the share's file problems the index lists (5,000 refused files must not bury the rest)
ASSETS = ("report.js",)  # copied from data/report_assets beside index.html
MACHINES_JS = "machines.js"
MACHINES_CSV = "machines.csv"  # the same lines for a spreadsheet


@dataclass
class SiteExtras:
    """What the report shows beside the scan (the pipeline gathers it; a bare SiteView has none of it)."""

    share: str = "SHARE"
    situation: Situation | None = None
    bulletins: dict[str, BulletinInfo] = field(default_factory=dict)
    page: Callable[[Assessment], MachinePage] | None = None  # a machine's page beside its findings
    page_keys: dict[str, str] = field(default_factory=dict)  # machine -> what that is made from
    scripts_now: bool = False  # the scripts on the share were made from this scan
    approvals: Approvals = field(default_factory=Approvals)  # rings and approvals: the index's and bulletins'


@dataclass(frozen=True)
class MachineList:
    """One list of machines, written as lists/<slug>-<n>.html: all of them, a status, or a problem."""

    slug: str
    title: str
    lines: list[MachineLine]
    only: str = ""  # what report.js keeps of machines.js for it: "status=...", "need=..." or "" (all)

    def pages(self) -> int:
        return max(1, -(-len(self.lines) // PAGE))

    def href(self, page: int = 1) -> str:
        return f"lists/{self.slug}-{page}.html"


def status_slug(status: str) -> str:
    return "status-" + status.replace(" ", "-")


def machine_lists(lines: list[MachineLine], items: list[Attention]) -> list[MachineList]:
    """Every list the index links to: all machines, one per status present, one per problem."""
    out = [MachineList("all", "All machines, problems first", lines)]
    for status in MACHINE_STATUSES:
        mine = [line for line in lines if line.status == status]
        if mine:
            out.append(MachineList(status_slug(status), f"Machines: {status}", mine, f"status={status}"))
    for item in items:
        names = set(item.machines)
        out.append(MachineList(f"needs-{item.kind}", item.text, [line for line in lines if line.machine in names],
                               f"need={item.kind}"))
    return out


def index_context(situation: Situation, missing: list[FindingRow], share: str, approvals: Approvals | None = None,
                  waiting: dict[tuple[str, str, str], list[str]] | None = None) -> dict:
    """The index's parts that depend on the machines: the attention list, the lines, the lists, and the approval
    mode with what waits for approval per ring (WAITING: the plan's, from the published scripts)."""
    items = attention(situation, share, waiting)
    lines = machine_lines(situation, missing, items)
    lists = machine_lists(lines, items)
    return {"attention": items, "lines": lines, "lists": {m.slug: m for m in lists}, "labels": labels(),
            "page_size": PAGE, "problems_shown": PROBLEMS_SHOWN, "service_packs": service_packs(missing),
            "stale": sum(line.stale for line in lines),
            "approval": approval_view(approvals or Approvals(), waiting or {})}


def approval_view(approvals: Approvals, waiting: dict[tuple[str, str, str], list[str]]) -> dict:
    """The index's Approval section: the mode, the rings with how many machines each, and per ring (site.ini's
    order, then all) each patch waiting for approval with its machines and the command that approves it."""
    gate = approvals.gate
    per_ring: dict[str, list[dict]] = {ring: [] for ring in approvals.rings()}
    for (bulletin, qnumber, package), machines in sorted(waiting.items()):
        mine: dict[str, list[str]] = {}
        for m in machines:
            mine.setdefault(gate.ring_of(m), []).append(m)
        for ring, names in mine.items():
            per_ring.setdefault(ring, []).append({
                "bulletin": bulletin, "qnumber": qnumber, "package": package, "machines": sorted(names),
                "command": f"hfstage approve {approvals.share} {bulletin} --ring {ring}"})
    return {"mode": gate.mode, "rings": [(r, list(m)) for r, m in gate.rings],
            "waiting": [(ring, rows) for ring, rows in per_ring.items() if rows],
            "patches": len(waiting), "machines": len({m for ms in waiting.values() for m in ms})}


def service_packs(missing: list[FindingRow]) -> list[dict]:
    """Each service pack missing somewhere and the machines that miss it (a tile and a table, never a bulletin)."""
    found: dict[str, set[str]] = {}
    for f in missing:
        if f.kind != KIND_PATCH:
            found.setdefault(f.patch, set()).add(f.machine)
    return [{"name": name, "machines": sorted(machines, key=str.casefold)}
            for name, machines in sorted(found.items(), key=lambda kv: (-len(kv[1]), kv[0]))]


def list_names(lists: dict[str, MachineList]) -> list[str]:
    """The files below reports\\ the LISTS are written as."""
    return [m.href(n) for m in lists.values() for n in range(1, m.pages() + 1)]


def list_pages(env, lists: dict[str, MachineList], common: dict) -> dict[str, str]:
    """lists/<slug>-<n>.html for every list: name below reports\\ -> page."""
    template = env.get_template("list.html.j2")
    out = {}
    for m in lists.values():
        for n in range(1, m.pages() + 1):
            out[m.href(n)] = template.render(root="../", lst=m, page=n, rows=m.lines[(n - 1) * PAGE:n * PAGE],
                                             generated="", **common)
    return out


def machines_js(lines: list[MachineLine], label_of: dict[str, str]) -> str:
    """Every machine's line as data for report.js: repeated texts (OS, status, detail) are stored once."""
    strings: dict[str, int] = {}

    def ref(text: str) -> int:
        return strings.setdefault(text, len(strings))

    rows = [[m.machine, ref(m.os), ref(m.status), ref(m.detail), m.missing, m.critical, m.seen, int(m.stale),
             ref(m.last_run), [ref(k) for k in m.needs], m.rank] for m in lines]
    doc = {"columns": ["machine", "os", "status", "detail", "missing", "critical", "seen", "stale", "last_run",
                       "needs", "rank"],
           "strings": list(strings), "rows": rows, "labels": label_of, "statuses": list(MACHINE_STATUSES)}
    # a script, not JSON: a page opened from file:// may run it, but may not fetch() a JSON file
    return "window.HFSTAGE_MACHINES = " + json.dumps(doc, separators=(",", ":"), ensure_ascii=True) + ";\n"


def machines_csv(lines: list[MachineLine], label_of: dict[str, str]) -> str:
    """Every machine's line, problems first, for a spreadsheet: what needs the admin, last evidence, stale."""
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(["machine", "needs you", "status", "missing", "critical", "os", "last evidence", "stale",
                  "last run", "detail"])
    out.writerows([[csv_cell(c) for c in (m.machine, "; ".join(label_of[k] for k in m.needs), m.status, m.missing,
                                          m.critical, m.os, m.seen, "yes" if m.stale else "", m.last_run, m.detail)]
                   for m in lines])
    return buf.getvalue()


def assets() -> dict[str, str]:
    return {name: data("report_assets", name).read_text(encoding="utf-8") for name in ASSETS}


def stale_lists(folder: Path, keep: set[str]) -> list[Path]:
    """List pages written before that no list has now."""
    pages = folder / "lists"
    return [p for p in pages.glob("*.html") if f"lists/{p.name}" not in keep] if pages.is_dir() else []
