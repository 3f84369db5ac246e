"""Assessment results: one Finding per machine and applicable patch, and one status per machine.

A machine's status never overstates: `compliant` only when every applicable patch was
verified installed from complete evidence. The same words appear in every report.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from hfstage.notices import FAST_LOGON, SCRIPT_WAIT, Notice, of_kind

INSTALLED = "installed"
MISSING = "missing"
WARNING = "warning"
NOTE = "note"
SUPERSEDED = "superseded"
NOT_APPLICABLE = "not-applicable"
STATUSES = (MISSING, WARNING, NOTE, INSTALLED, SUPERSEDED, NOT_APPLICABLE)
# How HFNetChk worded each status in its reports.
HFNETCHK_LABEL = {MISSING: "Patch NOT Found", WARNING: "Warning", NOTE: "Note", INSTALLED: "Installed",
                  SUPERSEDED: "Superseded", NOT_APPLICABLE: "Not applicable"}
KIND_PATCH = "patch"
KIND_SERVICE_PACK = "service pack"
GAP_INVENTORY = "inventory"  # a note because the machine's inputs lack evidence
GAP_CATALOG = "catalog"  # a note because the catalog gives nothing to check

# Machine statuses, most urgent first: a machine gets the first that holds.
UNREADABLE = "unreadable"
WAITING = "waiting for first collection"
SERVICE_PACK_MISSING = "service pack missing"
NEEDS_PATCHES = "needs patches"
NOT_COVERED = "not covered by the catalog"
INCOMPLETE = "incomplete inventory"
UNVERIFIED = "unverified"
COMPLIANT = "compliant"
MACHINE_STATUSES = (UNREADABLE, WAITING, SERVICE_PACK_MISSING, NEEDS_PATCHES, NOT_COVERED, INCOMPLETE, UNVERIFIED,
                    COMPLIANT)
SEVERITIES = ("Critical", "Important", "Moderate", "Low", "Unrated")


@dataclass
class Finding:
    machine: str
    product: str
    bulletin: str
    patch: str
    qnumber: str | None
    title: str
    status: str
    reason: str
    evidence: list[str] = field(default_factory=list)
    severity: str = "Unrated"
    testing: list[str] = field(default_factory=list)
    superseded_by: list[str] = field(default_factory=list)
    baseline: bool = False
    url: str | None = None
    no_reboot: bool = False
    date_posted: str | None = None
    date_revised: str | None = None
    kind: str = KIND_PATCH
    gap: str | None = None  # for notes: GAP_INVENTORY or GAP_CATALOG
    unverified: bool = False  # the registry says installed, but the file evidence was not collected
    cve_ids: list[str] = field(default_factory=list)
    bugtraq_ids: list[str] = field(default_factory=list)
    rereleased: bool = False  # an earlier package of this patch is installed; the revised one is not
    registered: bool = False  # missing, but the machine's registry has its Hotfix or Updates key: a package ran
    decided_by: list[str] = field(default_factory=list)  # the catalog's kinds of check that made the verdict


@dataclass
class Assessment:
    machine: str
    os: str | None
    service_pack: str | None
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    warnings: list[Notice] = field(default_factory=list)  # what the admin should know, each of its kind
    status: str = COMPLIANT
    status_detail: str = ""
    role: str | None = None
    pending_reboot: bool = False  # the SYSTEM hive held PendingFileRenameOperations
    # %SystemRoot% as the client's registry says it (C:\\WINNT): what a client wrote, so shown in reports
    # only; no script ever runs from it (a scheduled job uses %SystemRoot% as Windows expands it on the machine)
    reported_system_root: str | None = None
    done: list[str] = field(default_factory=list)  # package identities the client's scripts marked installed
    # how its scripts must run (the machine's own settings; inventory.settings)
    version: str | None = None  # the OS version (4.0, 5.0, 5.1; 4.10.2222 on 9x)
    language: str | None = None  # language ID, four hex digits
    installer_version: str | None = None  # Windows Installer (msi.dll)
    fast_logon: bool | None = None  # XP: startup scripts may run before the network is up (KB 305293)
    script_wait: int | None = None  # MaxGPOScriptWait seconds, 0 = no limit (2000/XP/2003)
    # where it stands (inventory.lifecycle): only accepted machines are counted, scripted and sent centrally
    standing: str = "accepted"
    # who wrote its evidence (inventory.binding): machine account, user or unbound, and which account
    binding: str | None = None
    binding_owner: str | None = None
    stale_since: str | None = None  # its collector could not replace its files since (the server's clock)

    @property
    def counted(self) -> bool:
        """Whether the site's compliance counts it: only accepted machines are the site's."""
        return self.standing == "accepted"

    def shown(self, show_superseded: bool = False, baseline: bool = False) -> list[Finding]:
        """Findings a report shows: never not-applicable; superseded only on request."""
        out = []
        for f in self.findings:
            if f.status == NOT_APPLICABLE or (f.status == SUPERSEDED and not show_superseded):
                continue
            if baseline and not f.baseline:
                continue
            out.append(f)
        return out

    def count(self, status: str) -> int:
        return sum(1 for f in self.findings if f.status == status)

    @property
    def compliant(self) -> bool:
        return self.status == COMPLIANT

    def startup_kinds(self) -> list[str]:
        """The month's startup notices this machine earns: its XP does not wait for the network (its own setting,
        KB 305293); its MaxGPOScriptWait keeps a service pack it misses out of its startup script."""
        return [FAST_LOGON] * bool(self.fast_logon) + [SCRIPT_WAIT] * bool(of_kind(self.warnings, SCRIPT_WAIT))

    def to_dict(self) -> dict:
        # Findings hold only strings, bools and lists of strings: a shallow copy is enough,
        # and much faster than dataclasses.asdict for 5,000 machines.
        return {**{k: v for k, v in self.__dict__.items() if k not in ("findings", "warnings")},
                "warnings": [w.to_dict() for w in self.warnings], "findings": [dict(f.__dict__) for f in self.findings]}

    @classmethod
    def from_dict(cls, data: dict) -> Assessment:
        findings = [_finding_from(f) for f in data.get("findings", [])]
        fields = set(cls.__dataclass_fields__) - {"findings", "warnings"}
        warnings = [Notice.from_dict(w, str(data.get("machine", ""))) for w in data.get("warnings", [])]
        return cls(**{k: v for k, v in data.items() if k in fields}, findings=findings, warnings=warnings)


_FINDING_FIELDS = frozenset(Finding.__dataclass_fields__)


def _finding_from(data: dict) -> Finding:
    """A stored finding: one with exactly today's fields is filled in place (the history reads back 5,000
    machines' findings a month); an older or newer one goes through the constructor, which fills defaults."""
    if data.keys() == _FINDING_FIELDS:
        finding = Finding.__new__(Finding)
        finding.__dict__.update(data)
        return finding
    return Finding(**{k: v for k, v in data.items() if k in _FINDING_FIELDS})


def finding_values(finding: Finding) -> tuple:
    """FINDING's fields in their order: a template for finding_from_template."""
    return tuple(getattr(finding, name) for name in _FINDING_NAMES)


def finding_from_template(values: tuple, machine: str, product: str) -> Finding:
    """A finding of MACHINE's PRODUCT from a template's VALUES (finding_values), its lists its own: made by
    position (some 100,000 findings a month; 26 keywords cost twice as much)."""
    args = [*values]
    args[_MACHINE], args[_PRODUCT] = machine, product
    for i in _LISTS:
        args[i] = list(args[i])
    return Finding(*args)


_FINDING_NAMES = tuple(f.name for f in fields(Finding))
_MACHINE, _PRODUCT = _FINDING_NAMES.index("machine"), _FINDING_NAMES.index("product")
_LISTS = tuple(i for i, f in enumerate(fields(Finding)) if f.default_factory is list)


def severity_rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES) - 1


def findings_at_or_above(assessments: list[Assessment], threshold: str) -> list[str]:
    """What makes a run exit 1 with --fail-on THRESHOLD: missing patches and service packs rated
    THRESHOLD or worse, and machines whose state is unknown (unreadable, incomplete); machines the
    catalog does not cover only at 'any': nothing the site can do makes them pass a stricter threshold."""
    if threshold == "none":
        return []
    limit = len(SEVERITIES) - 1 if threshold == "any" else severity_rank(threshold.title())
    unknown = (UNREADABLE, NOT_COVERED, INCOMPLETE) if threshold == "any" else (UNREADABLE, INCOMPLETE)
    out = []
    for a in assessments:
        if a.status in unknown:
            out.append(f"{a.machine}: {a.status}")
        out += [f"{a.machine}: {f.bulletin} {f.patch} missing ({f.severity})" for f in a.findings
                if f.status == MISSING and severity_rank(f.severity) <= limit]
    return out
