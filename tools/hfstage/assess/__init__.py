"""Assessment: which patches apply to each machine, which are installed, and each machine's status."""

from hfstage.assess.engine import applicable_patches, assess_all, assess_contained, assess_machine
from hfstage.assess.index import CatalogIndex, service_pack_position
from hfstage.assess.model import (
    COMPLIANT,
    HFNETCHK_LABEL,
    INCOMPLETE,
    INSTALLED,
    KIND_PATCH,
    KIND_SERVICE_PACK,
    MACHINE_STATUSES,
    MISSING,
    NEEDS_PATCHES,
    NOT_APPLICABLE,
    NOT_COVERED,
    NOTE,
    SERVICE_PACK_MISSING,
    SEVERITIES,
    SUPERSEDED,
    UNREADABLE,
    UNVERIFIED,
    WAITING,
    WARNING,
    Assessment,
    Finding,
    findings_at_or_above,
    severity_rank,
)
from hfstage.assess.policy import SitePolicy, load_policy, policy_problems

__all__ = [
    "COMPLIANT", "HFNETCHK_LABEL", "INCOMPLETE", "INSTALLED", "KIND_PATCH", "KIND_SERVICE_PACK", "MACHINE_STATUSES",
    "MISSING",
    "NEEDS_PATCHES", "NOTE", "NOT_APPLICABLE", "NOT_COVERED", "SERVICE_PACK_MISSING", "SEVERITIES", "SUPERSEDED",
    "UNREADABLE", "UNVERIFIED", "WAITING", "WARNING", "Assessment", "CatalogIndex", "Finding", "SitePolicy",
    "applicable_patches", "assess_all", "assess_contained", "assess_machine", "findings_at_or_above", "load_policy",
    "policy_problems", "service_pack_position", "severity_rank",
]
