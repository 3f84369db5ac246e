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
from hfstage.report.approvals import Approvals
from hfstage.report.attention import Attention, Situation, alarms, attention, failures, is_stale, month_item
from hfstage.report.bulletin_info import BulletinInfo, bulletin_info, kb_articles
from hfstage.report.compliance import Compliance, compliance, compliance_rows, render_compliance, trend
from hfstage.report.findings import render_csv, render_html, render_json, render_tab, render_text, summary
from hfstage.report.html import html_env
from hfstage.report.machine_page import MachinePage, evidence_facts, evidence_view, page_key, script_view
from hfstage.report.ranking import bulletin_order, most_severe
from hfstage.report.safe import clean_text, csv_cell, file_text, safe_url, tsv_cell
from hfstage.report.site import ReportResult, SiteView, tiles, write_site_report
from hfstage.report.site_index import SiteExtras, assets

__all__ = [
    "Approvals",
    "PLAN_FORMATS", "Attention", "BulletinInfo", "Compliance", "Deployment", "add_deployment", "MachinePage",
    "MonthPlan", "PlanItem", "ReportResult", "SiteExtras", "SiteView", "Situation", "alarms", "assets", "attention",
    "build_plan", "bulletin_info", "bulletin_order", "clean_text", "compliance", "compliance_rows", "csv_cell",
    "evidence_facts", "evidence_view", "failures", "file_text", "html_env", "is_stale", "kb_articles", "month_item",
    "most_severe", "page_key", "plan_changes", "render_compliance", "render_csv", "render_html", "render_json",
    "render_plan", "render_tab", "render_text", "safe_url", "script_view", "summary", "tiles", "trend", "tsv_cell",
    "write_site_report",
]
