"""`hfstage scan`: inventory what changed, assess every machine, record the scan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfstage.assess.engine import assess_all
from hfstage.assess.model import MISSING, Assessment
from hfstage.assess.policy import SEVERITIES, load_policy
from hfstage.catalog.store import find_catalog
from hfstage.errors import InputError, UsageError
from hfstage.inventory.run import inventory_share
from hfstage.report.history import record_scan
from hfstage.share import Share


@dataclass
class ScanResult:
    assessments: list[Assessment]
    catalog_version: str
    scan_id: int | None


def read_machine_list(path: Path) -> list[str]:
    """Machine names, one per line (# comments allowed), like HFNetChk's -fh file."""
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as e:
        raise InputError(f"{path}: cannot read machine list: {e.strerror}") from e
    return [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]


def run_scan(share: Share, machines: list[str] | None = None, record: bool = True, command: str = "scan",
             jobs: int | None = None, as_of=None, stats: dict | None = None) -> ScanResult:
    """Assess the share's machines (all, or MACHINES) against its newest catalog."""
    share.check()
    with share.lock(wait_seconds=60):
        catalog = find_catalog(share).load()
        policy = load_policy(share)
        facts = inventory_share(share, jobs=jobs, stats=stats)
        if machines is not None:
            wanted = {m.lower() for m in machines}
            unknown = wanted - {f.machine.lower() for f in facts}
            if unknown:
                raise UsageError(f"no inventory for {', '.join(sorted(unknown))} under {share.folder('inventory')}")
            facts = [f for f in facts if f.machine.lower() in wanted]
        assessments = assess_all(facts, catalog, policy)
        _attach_install_results(share, assessments)
        scan_id = record_scan(share, assessments, catalog.data_version, command, as_of) if record else None
    return ScanResult(assessments, catalog.data_version, scan_id)


def misses_at_or_above(assessments: list[Assessment], severity: str) -> list[str]:
    """'MACHINE BULLETIN' for every missing patch rated SEVERITY or worse."""
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    if severity not in rank:
        raise UsageError(f"--fail-on-missing {severity!r}: use one of {', '.join(SEVERITIES)}")
    return [f"{f.machine} {f.bulletin}" for a in assessments for f in a.findings
            if f.status == MISSING and rank[f.severity] <= rank[severity]]


def _attach_install_results(share: Share, assessments: list[Assessment]) -> None:
    """Failures and loops the clients reported become warnings on their machines."""
    from hfstage.scripts.results import collect_results

    problems = {r.machine.lower(): r.problems() for r in collect_results(share)}
    for a in assessments:
        a.warnings.extend(problems.get(a.machine.lower(), []))
