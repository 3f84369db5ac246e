"""`hfstage report`: compliance from the history, per machine, per patch or bulletin, per month.

The trend and the summary tiles are the same numbers: machines whose recorded status is
`compliant`, over every machine of the scan.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field

from hfstage.assess import COMPLIANT, KIND_PATCH, MACHINE_STATUSES, MISSING, SEVERITIES, UNREADABLE, severity_rank
from hfstage.errors import UsageError
from hfstage.history import History, ScanRow, ScanTotals
from hfstage.report.approvals import Approvals
from hfstage.report.attention import Situation
from hfstage.report.ranking import bulletin_order
from hfstage.report.safe import csv_cell


@dataclass
class Compliance:
    by: str
    scan: ScanRow
    rows: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)
    approval_mode: str = "auto"  # site.ini [approval] mode: each row carries its ring and approval states


def percent(part: int, whole: int, empty: float = 0.0) -> float:
    return round(100.0 * part / whole, 1) if whole else empty


def summary_counts(statuses: dict[str, int], patch_severities: list[str], service_packs: int) -> dict:
    """The summary every JSON form carries, with the tiles' definitions: 'missing' counts missing patches,
    a missing service pack is a finding of its own (service_packs_missing), never in the patch counts."""
    machines = sum(statuses.values())
    compliant = statuses.get(COMPLIANT, 0)
    return {"machines": machines, "compliant": compliant, "percent_compliant": percent(compliant, machines),
            "errors": statuses.get(UNREADABLE, 0),
            "by_status": {s: statuses[s] for s in MACHINE_STATUSES if statuses.get(s)},
            "missing": len(patch_severities),
            "missing_by_severity": {s: n for s in SEVERITIES if (n := patch_severities.count(s))},
            "service_packs_missing": service_packs}


def trend_point(t: ScanTotals) -> dict:
    compliant = t.by_status.get(COMPLIANT, 0)
    return {"month": t.started_at[:7], "scan_id": t.scan_id, "catalog_version": t.catalog_version,
            "machines": t.machines, "compliant": compliant, "by_status": t.by_status,
            "percent_compliant": percent(compliant, t.machines),
            "percent_installed": percent(t.installed, t.applicable, 100.0)}


def trend(history: History, since: str | None = None) -> list[dict]:
    """Per month, from the month's last full scan."""
    last_per_month: dict[str, ScanTotals] = {}
    for t in history.scan_totals(since):
        last_per_month[t.started_at[:7]] = t
    return [trend_point(t) for _, t in sorted(last_per_month.items())]


def approval_summary(states: list[str]) -> str:
    """One cell for a machine's missing patches: how many are auto, approved, waiting, revised."""
    words = [s.split(" (", 1)[0].split(" by ", 1)[0] for s in states]
    return ", ".join(f"{words.count(w)} {w}" for w in dict.fromkeys(words))


def _by_machine(history: History, scan: ScanRow, seen: Situation, gate: Approvals) -> list[dict]:
    counts: dict[str, dict[str, int]] = {}
    approvals: dict[str, list[dict]] = {}
    for f in history.findings(scan.id, MISSING):
        approvals.setdefault(f.machine, []).append({"bulletin": f.bulletin if f.kind == KIND_PATCH else "SP",
                                                    "patch": f.patch, "approval": gate.of(f)})
        if f.kind != KIND_PATCH:
            continue  # a missing service pack is the machine's status, not one of its missing patches
        per = counts.setdefault(f.machine, dict.fromkeys(SEVERITIES, 0))
        per[f.severity if f.severity in per else "Unrated"] += 1
    changes = history.last_changes()
    return [{"machine": m.machine, "os": m.os, "service_pack": m.service_pack, "status": m.status,
             "status_detail": m.status_detail, "error": m.error, "missing": m.missing,
             "missing_by_severity": counts.get(m.machine, dict.fromkeys(SEVERITIES, 0)),
             "last_scan": scan.started_at, "last_change": changes.get(m.machine),
             "last_evidence": seen.seen.get(m.machine), "stale": seen.stale(m.machine), "standing": m.standing,
             "evidence": m.binding, "ring": gate.gate.ring_of(m.machine), "approvals": approvals.get(m.machine, [])}
            for m in history.machines(scan.id)]


def _by_patch(history: History, scan: ScanRow, key: str, gate: Approvals) -> list[dict]:
    """Missing patches (or bulletins) of one scan with the machines that miss them, most severe first, then the
    most missed. A missing service pack is a row of its own kind, named by the service pack: never a bulletin
    "SP"."""
    groups: dict[tuple, dict] = {}
    for f in history.findings(scan.id, MISSING):
        service_pack = f.kind != KIND_PATCH
        bulletin = f.patch if service_pack and key == "bulletin" else f.bulletin
        ident = (f.kind, bulletin) if key == "bulletin" else (f.kind, f.bulletin, f.patch)
        item = groups.setdefault(ident, {"bulletin": bulletin, "kind": f.kind, "severity": f.severity,
                                         "missing_on": set(), "approval": {}})
        item["approval"].setdefault(gate.gate.ring_of(f.machine), set()).add(gate.of(f))
        if key != "bulletin":
            item["patch"] = f.patch
        if severity_rank(f.severity) < severity_rank(item["severity"]):
            item["severity"] = f.severity
        item["missing_on"].add(f.machine)
    out = [{**g, "machines": len(g["missing_on"]), "missing_on": sorted(g["missing_on"]),
            "approval": {ring: sorted(g["approval"][ring]) for ring in gate.rings() if ring in g["approval"]}}
           for g in groups.values()]
    return sorted(out, key=lambda g: bulletin_order(g["severity"], g["machines"], g["bulletin"], g.get("patch", "")))


def compliance(history: History, by: str = "machine", since: str | None = None,
               seen: Situation | None = None, gate: Approvals | None = None) -> Compliance:
    """The latest full scan (the site's record), grouped BY machine, patch or bulletin, and the trend; SEEN: when
    the server last saw fresh evidence from each machine, and after how many days it is stale; GATE: the rings
    and approvals, for each machine's ring and each missing patch's approval state."""
    if by not in ("machine", "patch", "bulletin"):
        raise UsageError(f"--by {by}: use machine, patch or bulletin")
    scans = history.scans(since)
    if not scans:
        raise UsageError(f"{history.share.state}: no full scan recorded{' since ' + since if since else ''}; "
                         "run `hfstage scan` or `hfstage month` first")
    latest = scans[-1]
    gate = gate or Approvals()
    result = Compliance(by, latest, trend=trend(history, since), approval_mode=gate.gate.mode)
    result.rows = _by_machine(history, latest, seen or Situation([]), gate) if by == "machine" else \
        _by_patch(history, latest, by, gate)
    return result


def _bulletin_cell(row: dict, by: str) -> str:
    if row["kind"] == KIND_PATCH:
        return row["bulletin"]
    return "service pack" if by == "patch" else f"{row['bulletin']} (service pack)"


def render_compliance(result: Compliance, fmt: str) -> str:
    """csv or json (the text tables are a view of the CLI's: pipeline.views)."""
    if fmt == "json":
        return json.dumps({**result.__dict__, "scan": result.scan.__dict__}, indent=1, sort_keys=True) + "\n"
    if fmt != "csv":
        raise UsageError(f"--format {fmt}: use csv or json")
    head, table = compliance_rows(result)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([head, *[[csv_cell(c) for c in row] for row in table]])
    return buf.getvalue()


def compliance_rows(result: Compliance) -> tuple[list[str], list[list]]:
    """The header and rows of RESULT's table (by machine, patch or bulletin)."""
    if result.by == "machine":
        # ring and approval last: the columns before them keep the places spreadsheets already read them at
        head = ["machine", "os", "sp", "status", "missing", *SEVERITIES, "last scan", "last change", "last evidence",
                "stale", "standing", "evidence", "detail", "ring", "approval"]
        table = [[r["machine"], r["os"] or "", r["service_pack"] or "", r["status"], r["missing"],
                  *[r["missing_by_severity"][s] for s in SEVERITIES], r["last_scan"], r["last_change"] or "",
                  (r["last_evidence"] or "never")[:16], "yes" if r["stale"] else "", r["standing"],
                  r["evidence"] or "", r["status_detail"] if r["status"] != COMPLIANT else "", r["ring"],
                  approval_summary([a["approval"] for a in r["approvals"]])] for r in result.rows]
    else:
        head = ["bulletin"] + (["patch"] if result.by == "patch" else []) + ["severity", "machines", "missing on",
                                                                             "approval per ring"]
        table = [[_bulletin_cell(r, result.by)] + ([r["patch"]] if result.by == "patch" else [])
                 + [r["severity"], r["machines"], " ".join(r["missing_on"]),
                    "; ".join(f"{ring}: {' / '.join(states)}" for ring, states in r["approval"].items())]
                 for r in result.rows]
    return head, table
