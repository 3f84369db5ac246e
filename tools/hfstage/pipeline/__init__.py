"""The conductor: each command's library function, loading the share once and passing typed
results from stage to stage (init, share check, catalogs, inventory, scan, month, plan, report,
results, packages, scripts, sites, demo); and the text views the CLI prints (pipeline.views).
The CLI imports nothing else for a command on a share."""

from hfstage.assess import findings_at_or_above
from hfstage.pipeline import views
from hfstage.pipeline.approvals import approval_history_text, approvals_text
from hfstage.pipeline.approving import ApprovalChange, approve, unapprove
from hfstage.pipeline.catalogs import (
    CatalogShow,
    catalog_diff,
    catalog_import,
    catalog_list,
    catalog_show,
    catalog_use,
    create_share,
    diff_text,
    import_text,
    share_check,
)
from hfstage.pipeline.central import central_create, central_import, central_make_report, export_bundle, site_keygen
from hfstage.pipeline.demo import build_demo_share, demo
from hfstage.pipeline.inventory import inventory
from hfstage.pipeline.machines import MachineLine, machines_accept, machines_list, machines_retire
from hfstage.pipeline.month import STEPS, MonthResult, StepFailed, dry_run_month, month, site_report
from hfstage.pipeline.packages import PackagesReport, packages_confirm, packages_report, packages_verify
from hfstage.pipeline.provision import ProvisionReport, share_provision
from hfstage.pipeline.reads import committed_read
from hfstage.pipeline.reporting import month_plan, plan, report
from hfstage.pipeline.results import ResultsReport, results
from hfstage.pipeline.scan import (
    SCAN_FORMATS,
    ScanResult,
    all_assessments,
    read_machine_list,
    render_scan,
    scan,
    scan_findings,
)
from hfstage.pipeline.scripts import publish_set, scripts_collectors, scripts_generate
from hfstage.pipeline.site import ConfigProblems, Site
from hfstage.report import PLAN_FORMATS, alarms, clean_text, failures, file_text
from hfstage.share import atomic_write_text as write_output
from hfstage.share import set_wait

__all__ = [
    "publish_set",
    "ApprovalChange", "approval_history_text",
    "MachineLine", "ProvisionReport", "machines_accept", "machines_list", "machines_retire", "share_provision",
    "PLAN_FORMATS", "SCAN_FORMATS", "STEPS", "CatalogShow", "ConfigProblems", "MonthResult", "PackagesReport",
    "ResultsReport", "ScanResult", "Site", "StepFailed", "alarms", "all_assessments", "build_demo_share",
    "catalog_diff", "catalog_import", "catalog_list", "catalog_show", "catalog_use", "central_create",
    "central_import", "central_make_report", "committed_read", "approvals_text", "approve", "unapprove", "clean_text",
    "create_share", "demo", "diff_text", "dry_run_month", "export_bundle", "failures", "file_text",
    "findings_at_or_above", "import_text", "inventory", "month", "month_plan", "packages_confirm", "packages_report",
    "packages_verify", "plan", "read_machine_list", "render_scan", "report", "results", "scan", "scan_findings",
    "scripts_collectors", "scripts_generate", "set_wait", "share_check", "site_keygen", "site_report", "views",
    "write_output",
]
