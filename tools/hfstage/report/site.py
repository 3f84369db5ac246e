"""The static HTML report of one run: summary with trend, a page per machine and bulletin, the plan."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hfstage.assess.model import MISSING, Assessment
from hfstage.assess.policy import SEVERITIES
from hfstage.report import findings as fmt
from hfstage.report.compliance import trend
from hfstage.report.html import html_env
from hfstage.report.plan import MonthPlan, render_plan
from hfstage.report.svg import trend_chart
from hfstage.share import Share


def _bulletins(assessments: list[Assessment]) -> list[dict]:
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    found: dict[str, dict] = {}
    for a in assessments:
        for f in a.findings:
            if f.status != MISSING:
                continue
            b = found.setdefault(f.bulletin, {"id": f.bulletin, "title": f.title, "severity": f.severity,
                                              "url": f.url, "date_posted": f.date_posted, "machines": []})
            b["machines"].append(f)
            if rank[f.severity] < rank[b["severity"]]:
                b["severity"] = f.severity
    return sorted(found.values(), key=lambda b: (rank[b["severity"]], -len(b["machines"]), b["id"]))


def write_site_report(share: Share, folder: Path, assessments: list[Assessment], catalog_version: str,
                      scan_id: int | None, plan: MonthPlan) -> None:
    """Write every page of the report into FOLDER (a new, empty staging folder)."""
    env = html_env()
    summary = fmt.summary(assessments)
    read = summary["machines"] - summary["errors"]
    common = {"catalog_version": catalog_version, "scan_id": scan_id,
              "generated": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    bulletins = _bulletins(assessments)
    index = env.get_template("index.html.j2").render(
        root="", assessments=assessments, summary=summary, bulletins=bulletins,
        percent_fully_patched=round(100.0 * summary["fully_patched"] / read, 1) if read else 0.0,
        severities=[(s, summary["missing_by_severity"][s]) for s in SEVERITIES if s in summary["missing_by_severity"]],
        chart=trend_chart(trend(share)), **common)
    (folder / "index.html").write_text(index, encoding="utf-8")
    (folder / "machines").mkdir()
    for a in assessments:
        page = env.get_template("machine.html.j2").render(root="../", a=a, **common)
        (folder / "machines" / f"{a.machine}.html").write_text(page, encoding="utf-8")
    (folder / "bulletins").mkdir()
    for b in bulletins:
        page = env.get_template("bulletin.html.j2").render(root="../", b=b, **common)
        (folder / "bulletins" / f"{b['id']}.html").write_text(page, encoding="utf-8")
    (folder / "plan.html").write_text(render_plan(share, "html", plan), encoding="utf-8")
    (folder / "plan.md").write_text(render_plan(share, "md", plan), encoding="utf-8")
    (folder / "scan.txt").write_text(fmt.render_text(assessments, verbose=True), encoding="utf-8")
    (folder / "scan.csv").write_text(fmt.render_csv(assessments), encoding="utf-8")
    fmt.write_json(folder / "scan.json", assessments, catalog_version, scan_id)
