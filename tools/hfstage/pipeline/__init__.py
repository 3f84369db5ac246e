"""The conductor: each command's library function, loading the share once and passing typed
results from stage to stage (scan, month, plan, report, results, scripts, demo)."""

from hfstage.pipeline.central import central_create, central_import, central_make_report, export_bundle, site_keygen
from hfstage.pipeline.demo import build_demo_share, demo
from hfstage.pipeline.inventory import inventory
from hfstage.pipeline.machines import MachineLine, machines_accept, machines_list, machines_retire
from hfstage.pipeline.month import STEPS, MonthResult, StepFailed, dry_run_month, month, site_report
from hfstage.pipeline.packages import PackagesReport, packages_confirm, packages_report, packages_verify
from hfstage.pipeline.provision import ProvisionReport, share_provision
from hfstage.pipeline.reporting import month_plan, plan, report
from hfstage.pipeline.results import ResultsReport, results
from hfstage.pipeline.scan import ScanResult, all_assessments, read_machine_list, scan
from hfstage.pipeline.scripts import scripts_collectors, scripts_generate
from hfstage.pipeline.site import ConfigProblems, Site

__all__ = [
    "MachineLine", "ProvisionReport", "machines_accept", "machines_list", "machines_retire", "share_provision",
    "STEPS", "ConfigProblems", "MonthResult", "PackagesReport", "ResultsReport", "ScanResult", "Site", "StepFailed",
    "all_assessments", "build_demo_share", "central_create", "central_import", "central_make_report", "demo",
    "dry_run_month", "export_bundle", "inventory", "month", "month_plan", "packages_confirm", "packages_report",
    "packages_verify", "plan", "read_machine_list", "report", "results", "scan", "scripts_collectors",
    "scripts_generate", "site_keygen", "site_report",
]
