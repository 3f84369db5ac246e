"""Reports: the scan in HFNetChk's layouts, CSV and JSON, compliance and trend from the history,
the patch application plan, and the site's static HTML report."""

from hfstage.report.application_plan import FORMATS as PLAN_FORMATS
from hfstage.report.application_plan import (
    Deployment,
    MonthPlan,
    PlanItem,
    add_deployment,
    build_plan,
    plan_changes,
    render_plan,
)
from hfstage.report.compliance import Compliance, compliance, compliance_rows, render_compliance, trend
from hfstage.report.findings import render_csv, render_html, render_json, render_tab, render_text, summary
from hfstage.report.html import html_env
from hfstage.report.safe import clean_text, csv_cell, file_text, safe_url, tsv_cell
from hfstage.report.site import ReportResult, SiteView, tiles, write_site_report

__all__ = [
    "PLAN_FORMATS", "Compliance", "Deployment", "MonthPlan", "PlanItem",
    "add_deployment", "ReportResult", "SiteView", "build_plan", "clean_text",
    "file_text", "tsv_cell",
    "compliance", "compliance_rows", "csv_cell", "html_env", "plan_changes", "render_compliance", "render_csv",
    "render_html", "render_json", "render_plan", "render_tab", "render_text", "safe_url", "summary", "tiles", "trend",
    "write_site_report",
]
