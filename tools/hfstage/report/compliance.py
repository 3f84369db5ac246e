"""`hfstage report`: compliance from history, per machine, per patch or bulletin, per month."""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.assess.policy import SEVERITIES
from hfstage.errors import UsageError
from hfstage.report.history import rows
from hfstage.share import Share


@dataclass
class Compliance:
    by: str
    scan: dict | None
    rows: list[dict] = field(default_factory=list)
    trend: list[dict] = field(default_factory=list)


def _scans(share: Share, since: str | None) -> list[dict]:
    sql = "SELECT * FROM scans" + (" WHERE started_at >= ?" if since else "") + " ORDER BY id"
    return [dict(r) for r in rows(share, sql, (since,) if since else ())]


def trend(share: Share, since: str | None = None) -> list[dict]:
    """Per month, from the month's last scan: % of applicable patches installed, machines fully patched."""
    last_per_month: dict[str, dict] = {}
    for scan in _scans(share, since):
        last_per_month[scan["started_at"][:7]] = scan
    out = []
    for month, scan in sorted(last_per_month.items()):
        machines = rows(share, "SELECT * FROM machines WHERE scan_id = ?", (scan["id"],))
        applicable = sum(m["applicable"] for m in machines)
        installed = sum(m["installed"] for m in machines)
        out.append({
            "month": month, "scan_id": scan["id"], "catalog_version": scan["catalog_version"],
            "machines": len(machines),
            "fully_patched": (full := sum(1 for m in machines if not m["error"] and m["missing"] == 0)),
            "percent_fully_patched": round(100.0 * full / len(machines), 1) if machines else 0.0,
            "percent_installed": round(100.0 * installed / applicable, 1) if applicable else 100.0,
        })
    return out


def _by_machine(share: Share, scan_id: int) -> list[dict]:
    out = []
    for m in rows(share, "SELECT * FROM machines WHERE scan_id = ? ORDER BY machine", (scan_id,)):
        counts = {s: 0 for s in SEVERITIES}
        for r in rows(share, "SELECT severity, COUNT(*) AS n FROM findings WHERE scan_id = ? AND machine = ? "
                             "AND status = 'missing' GROUP BY severity", (scan_id, m["machine"])):
            counts[r["severity"]] = r["n"]
        out.append({"machine": m["machine"], "os": m["os"], "service_pack": m["service_pack"], "error": m["error"],
                    "missing": m["missing"], "missing_by_severity": counts,
                    "last_scan": _scan_time(share, scan_id), "last_change": _last_change(share, m["machine"])})
    return out


def _scan_time(share: Share, scan_id: int) -> str:
    return rows(share, "SELECT started_at FROM scans WHERE id = ?", (scan_id,))[0]["started_at"]


def _last_change(share: Share, machine: str) -> str | None:
    """When the machine's findings last differed from the scan before."""
    previous, changed = None, None
    for scan in rows(share, "SELECT s.id, s.started_at FROM scans s JOIN machines m ON m.scan_id = s.id "
                            "WHERE m.machine = ? ORDER BY s.id", (machine,)):
        state = sorted((r["bulletin"], r["patch"], r["status"]) for r in rows(
            share, "SELECT bulletin, patch, status FROM findings WHERE scan_id = ? AND machine = ?",
            (scan["id"], machine)))
        if state != previous:
            changed = scan["started_at"]
        previous = state
    return changed


def _by_patch(share: Share, scan_id: int, key: str) -> list[dict]:
    """Missing patches (or bulletins) of one scan with the machines that miss them, most missed first."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    groups: dict[tuple, dict] = {}
    for r in rows(share, "SELECT bulletin, patch, severity, machine FROM findings WHERE scan_id = ? "
                         "AND status = 'missing'", (scan_id,)):
        ident = (r["bulletin"],) if key == "bulletin" else (r["bulletin"], r["patch"])
        item = groups.setdefault(ident, {"bulletin": r["bulletin"], "severity": r["severity"], "missing_on": set()})
        if key != "bulletin":
            item["patch"] = r["patch"]
        if rank[r["severity"]] < rank[item["severity"]]:
            item["severity"] = r["severity"]
        item["missing_on"].add(r["machine"])
    out = [{**g, "machines": len(g["missing_on"]), "missing_on": sorted(g["missing_on"])} for g in groups.values()]
    return sorted(out, key=lambda g: (-g["machines"], rank[g["severity"]], g["bulletin"], g.get("patch", "")))


def compliance(share: Share, by: str = "machine", since: str | None = None) -> Compliance:
    share.check()
    if by not in ("machine", "patch", "bulletin"):
        raise UsageError(f"--by {by!r}: use machine, patch or bulletin")
    scans = _scans(share, since)
    if not scans:
        raise UsageError(f"{share.folder('state')}: no scans recorded{' since ' + since if since else ''}; "
                         "run `hfstage scan` first")
    latest = scans[-1]
    result = Compliance(by, latest, trend=trend(share, since))
    result.rows = _by_machine(share, latest["id"]) if by == "machine" else _by_patch(share, latest["id"], by)
    return result


def render_compliance(result: Compliance, fmt: str) -> str:
    """text (tables), csv or json."""
    import csv
    import io
    import json

    from tabulate import tabulate

    if fmt == "json":
        return json.dumps(result.__dict__, indent=1, sort_keys=True) + "\n"
    if result.by == "machine":
        head = ["machine", "os", "sp", "missing", *SEVERITIES, "last scan", "last change", "error"]
        table = [[r["machine"], r["os"] or "", r["service_pack"] or "", r["missing"],
                  *[r["missing_by_severity"][s] for s in SEVERITIES], r["last_scan"], r["last_change"] or "",
                  r["error"] or ""] for r in result.rows]
    else:
        head = ["bulletin"] + (["patch"] if result.by == "patch" else []) + ["severity", "machines", "missing on"]
        table = [[r["bulletin"]] + ([r["patch"]] if result.by == "patch" else [])
                 + [r["severity"], r["machines"], " ".join(r["missing_on"])] for r in result.rows]
    trend_head = ["month", "catalog", "machines", "fully patched", "% installed"]
    trend_rows = [[t["month"], t["catalog_version"], t["machines"], t["fully_patched"], t["percent_installed"]]
                  for t in result.trend]
    if fmt == "csv":
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([head, *table])
        return buf.getvalue()
    return (f"Latest scan {result.scan['id']} at {result.scan['started_at']} (catalog "
            f"{result.scan['catalog_version']})\n\n{tabulate(table, headers=head)}\n\nTrend by month\n"
            f"{tabulate(trend_rows, headers=trend_head)}\n")
