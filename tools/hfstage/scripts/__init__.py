"""Client scripts: per-machine install and rollback scripts, the dispatcher, the collectors,
batch-value checks and the command.com linter, and what clients report back."""

from hfstage.scripts.approval import ALL, Gate
from hfstage.scripts.batch import BatchText, UnsafeValue, check_batch_value, check_file_name, check_machine_name
from hfstage.scripts.catalog_reads import CatalogReads, plan_reads
from hfstage.scripts.collectors import CollectorResult, render_collectors, write_collectors
from hfstage.scripts.commands import exit_ladder
from hfstage.scripts.lint import LintProblem, lint_file, lint_text
from hfstage.scripts.machine_plans import (
    QCHAIN,
    UNCOUNTED,
    MachinePlan,
    Step,
    markers_count,
    os_key,
    plan_machine,
    reported_still_missing,
)
from hfstage.scripts.results import (
    NO_RIGHTS,
    InstallEvent,
    MachineResults,
    PatchResult,
    collect_results,
    parse_log,
    results_summary,
)
from hfstage.scripts.rollback import LedgerChanges, Rollback, build_rollback, ledger_changes, rollback_lines
from hfstage.scripts.settings import ScriptSettings, package_choices, script_settings
from hfstage.scripts.write import GenerateResult, entry_points, generate_scripts, script_contents

__all__ = [
    "NO_RIGHTS", "UNCOUNTED", "markers_count",
    "ALL", "Gate",
    "QCHAIN", "InstallEvent", "LedgerChanges", "Rollback", "build_rollback", "ledger_changes", "rollback_lines",
    "CatalogReads", "plan_reads",
    "BatchText", "CollectorResult", "GenerateResult", "LintProblem", "MachinePlan", "MachineResults", "PatchResult",
    "ScriptSettings", "Step", "UnsafeValue", "check_batch_value", "check_file_name", "check_machine_name",
    "collect_results", "entry_points", "exit_ladder", "generate_scripts", "lint_file", "lint_text", "os_key",
    "package_choices", "parse_log", "plan_machine", "render_collectors", "reported_still_missing", "results_summary",
    "script_contents", "script_settings", "write_collectors",
]
