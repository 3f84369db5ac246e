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
from hfstage.report.safe import csv_cell


@dataclass
class Compliance:
    by: str
    scan: ScanRow
    rows: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)


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


def _by_machine(history: History, scan: ScanRow) -> list[dict]:
    counts: dict[str, dict[str, int]] = {}
    for f in history.findings(scan.id, MISSING):
        if f.kind != KIND_PATCH:
            continue  # a missing service pack is the machine's status, not one of its missing patches
        per = counts.setdefault(f.machine, dict.fromkeys(SEVERITIES, 0))
        per[f.severity if f.severity in per else "Unrated"] += 1
    changes = history.last_changes()
    return [{"machine": m.machine, "os": m.os, "service_pack": m.service_pack, "status": m.status,
             "status_detail": m.status_detail, "error": m.error, "missing": m.missing,
             "missing_by_severity": counts.get(m.machine, dict.fromkeys(SEVERITIES, 0)),
             "last_scan": scan.started_at, "last_change": changes.get(m.machine), "standing": m.standing,
             "evidence": m.binding} for m in history.machines(scan.id)]


def _by_patch(history: History, scan: ScanRow, key: str) -> list[dict]:
    """Missing patches (or bulletins) of one scan with the machines that miss them, most missed first."""
    groups: dict[tuple, dict] = {}
    for f in history.findings(scan.id, MISSING):
        ident = (f.bulletin,) if key == "bulletin" else (f.bulletin, f.patch)
        item = groups.setdefault(ident, {"bulletin": f.bulletin, "severity": f.severity, "missing_on": set()})
        if key != "bulletin":
            item["patch"] = f.patch
        if severity_rank(f.severity) < severity_rank(item["severity"]):
            item["severity"] = f.severity
        item["missing_on"].add(f.machine)
    out = [{**g, "machines": len(g["missing_on"]), "missing_on": sorted(g["missing_on"])} for g in groups.values()]
    return sorted(out, key=lambda g: (-g["machines"], severity_rank(g["severity"]), g["bulletin"], g.get("patch", "")))


def compliance(history: History, by: str = "machine", since: str | None = None) -> Compliance:
    """The latest full scan (the site's record), grouped BY machine, patch or bulletin, and the trend."""
    if by not in ("machine", "patch", "bulletin"):
        raise UsageError(f"--by {by}: use machine, patch or bulletin")
    scans = history.scans(since)
    if not scans:
        raise UsageError(f"{history.share.state}: no full scan recorded{' since ' + since if since else ''}; "
                         "run `hfstage scan` or `hfstage month` first")
    latest = scans[-1]
    result = Compliance(by, latest, trend=trend(history, since))
    result.rows = _by_machine(history, latest) if by == "machine" else _by_patch(history, latest, by)
    return result


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
        head = ["machine", "os", "sp", "status", "missing", *SEVERITIES, "last scan", "last change", "standing",
                "evidence", "detail"]
        table = [[r["machine"], r["os"] or "", r["service_pack"] or "", r["status"], r["missing"],
                  *[r["missing_by_severity"][s] for s in SEVERITIES], r["last_scan"], r["last_change"] or "",
                  r["standing"], r["evidence"] or "", r["status_detail"] if r["status"] != COMPLIANT else ""]
                 for r in result.rows]
    else:
        head = ["bulletin"] + (["patch"] if result.by == "patch" else []) + ["severity", "machines", "missing on"]
        table = [[r["bulletin"]] + ([r["patch"]] if result.by == "patch" else [])
                 + [r["severity"], r["machines"], " ".join(r["missing_on"])] for r in result.rows]
    return head, table
