"""`hfstage plan`: the month's patch application plan, for the site's change process.

First what the published scripts install (every patch any machine's script runs, whatever month its
bulletin came out, with its machines, severity, testing phases, rollback and blank owner and approver),
then what applies here but no script runs, and why (from the scripts memo: the very lists the scripts were
rendered from). Then new and revised bulletins since the previous catalog, each with its severity, whether it
applies here (and why not), the machines that miss it, reboot, the minimum testing
phases (Table 6.2), the rollback method (as the conductor's package book decides it), blank
owner and approver, and the order of deployment. The layout is a Jinja2 template in
SHARE/templates/ (copied there by init).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import BytecodeCache, TemplateError

from hfstage.assess import MISSING, NOT_APPLICABLE, SitePolicy, severity_rank
from hfstage.catalog import Catalog, diff_catalogs
from hfstage.errors import UsageError
from hfstage.history import PatchTally
from hfstage.report.html import share_env
from hfstage.report.safe import safe_url
from hfstage.scripts import ALL, Gate

SP_SEVERITY = "Critical"  # a service pack replaces most of Windows: the most testing the table asks
FORMATS = {"text": "plan.txt.j2", "md": "plan.md.j2", "html": "plan.html.j2"}
# SHA-256 of plan templates earlier versions of hfstage copied to SHARE\templates\ (init never overwrites them):
# plan.html.j2 before issue 25, whose columns broke mid-word ("Applicabi|lity") and which had no navigation;
# plan.html.j2, plan.md.j2 and plan.txt.j2 before the plan grouped the scripts' installs per ring (issue 21).
EARLIER_DEFAULTS = {"1b2f3e7dad21c0d5d624f9e7922e8a740a3d2b5bf401b04623cffdb4e77f3482",
                    "d346197d9921f8a3b1fe560ede76d65ef7215dc6b9cb1893d4ed57fc1a4ce619",
                    "628d99f62603e93fa9ceee553467fd9d0aa7fb0ea9fcde83600baa852069514c",
                    "53210975a970870defd0b5a1c9bcbf7d4ddfcb235bf80a84ec3e7a87470c3f94"}


@dataclass
class PlanItem:
    order: int
    bulletin: str
    title: str
    change: str  # new or revised
    patch: str
    qnumber: str
    severity: str
    applies: bool
    why: str
    machines: list[str]
    reboot: bool
    testing: list[str]
    rollback: str
    url: str | None
    date_posted: str


@dataclass
class Deployment:
    """A patch the published scripts install, on which machines: one row of the contract."""

    bulletin: str
    qnumber: str
    patch: str
    title: str
    severity: str
    machines: list[str]
    testing: list[str]
    rollback: str
    reboot: bool
    approval: str = "auto"  # who approved it for its machines' rings (site.ini [approval] mode = manual)


@dataclass
class RingPlan:
    """What the scripts install on one ring's machines: the plan's sections, pilot first (site.ini's order)."""

    ring: str
    members: str  # how site.ini names the ring's machines
    deploy: list[Deployment] = field(default_factory=list)  # each with only this ring's machines and approval

    @property
    def machines(self) -> list[str]:
        return sorted({m for d in self.deploy for m in d.machines}, key=str.casefold)


@dataclass
class MonthPlan:
    catalog_version: str
    previous_version: str | None
    generated: str
    scan_id: int | None
    items: list[PlanItem] = field(default_factory=list)
    deploy: list[Deployment] = field(default_factory=list)  # what the scripts install, most severe first
    held: list[tuple[str, str]] = field(default_factory=list)  # (machine, why a patch that applies is not scripted)
    waiting: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)  # (bulletin, Q, package) -> machines
    rings: list[RingPlan] = field(default_factory=list)  # DEPLOY per ring, as the plan prints it

    def pairs(self) -> set[tuple[str, str, str]]:
        """(machine, bulletin, package) for every install the plan lists, ring by ring: what the scripts must run."""
        return {(m, d.bulletin, d.patch) for r in self.rings for d in r.deploy for m in d.machines}

    @property
    def applicable(self) -> list[PlanItem]:
        return [i for i in self.items if i.applies]


def plan_changes(new: Catalog, old: Catalog | None) -> dict[str, str]:
    """Bulletin -> 'new' or 'revised': what the plan covers."""
    if old is None:
        return {b: "new" for b in new.bulletins}
    d = diff_catalogs(old, new)
    return {b: "new" for b in d.new_bulletins} | {r["bulletin"]: "revised" for r in d.revised_bulletins}


def build_plan(new: Catalog, old: Catalog | None, tallies: list[PatchTally], scan_id: int | None,
               policy: SitePolicy, rollback: Callable[[str, str, str, str | None], str],
               changes: dict[str, str] | None = None) -> MonthPlan:
    """New and revised bulletins from OLD to NEW (or CHANGES), judged against the latest scan (its TALLIES);
    ROLLBACK (bulletin, package name, product, Q number: a catalog entry) says how the package the scripts run
    for it is removed."""
    by_patch: dict[tuple[str, str], list[PatchTally]] = {}
    for t in tallies:
        by_patch.setdefault((t.bulletin, t.patch), []).append(t)
    plan = MonthPlan(new.data_version, old.data_version if old else None,
                     dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), scan_id)
    changes = changes if changes is not None else plan_changes(new, old)
    for bulletin_id, change in changes.items():
        bulletin = new.bulletins[bulletin_id]
        for patch in bulletin.patches:
            rows_ = by_patch.get((bulletin_id, patch.name), [])
            missing = sorted({m for r in rows_ if r.status == MISSING for m in r.missing_on})
            applies, why = _applicability(rows_, patch, new, policy)
            products = [new.products[a.product_id].name for a in patch.affected if a.product_id in new.products]
            severity = policy.rate(patch, new)
            plan.items.append(PlanItem(
                order=0, bulletin=bulletin_id, title=bulletin.title, change=change, patch=patch.name,
                qnumber=patch.sq_number or "-", severity=severity, applies=applies, why=why, machines=missing,
                reboot=not patch.no_reboot, testing=policy.phases(severity),
                rollback=rollback(bulletin_id, patch.name, products[0] if products else "", patch.sq_number),
                url=safe_url(bulletin.url),
                date_posted=bulletin.date_posted.isoformat() if bulletin.date_posted else "",
            ))
    plan.items.sort(key=lambda i: (not i.applies, severity_rank(i.severity), -len(i.machines), i.date_posted,
                                   i.bulletin))
    for n, item in enumerate(plan.items, 1):
        item.order = n
    return plan


def add_deployment(plan: MonthPlan, catalog: Catalog, contents: dict[str, dict], policy: SitePolicy,
                   rollback: Callable[[str, str, str, str | None], str], gate: Gate | None = None) -> MonthPlan:
    """PLAN with what the published scripts install and leave out (CONTENTS: machine -> script_contents), per
    ring of GATE (site.ini [rings] in its order, then all), each install with who approved it for its ring."""
    gate = gate or Gate()
    patches = {(p.bulletin_id, p.name.strip()): p for p in catalog.patches()}
    machines: dict[tuple[str, str, str], list[str]] = {}
    for machine, content in sorted(contents.items()):
        for bulletin, qnumber, package in content["steps"]:
            machines.setdefault((bulletin, qnumber, package), []).append(machine)
        plan.held += [(machine, why) for why in content["held"]]
        for key in content.get("waiting", []):
            plan.waiting.setdefault(tuple(key), []).append(machine)
    for (bulletin, qnumber, package), where in machines.items():
        item = _deployment(bulletin, qnumber, package, where, patches.get((bulletin, package.strip())), catalog,
                           policy, rollback)
        item.approval = "; ".join(sorted({gate.approved_text(m, bulletin, qnumber) for m in where}))
        plan.deploy.append(item)
    plan.deploy.sort(key=lambda d: (severity_rank(d.severity), -len(d.machines), d.bulletin, d.patch))
    plan.rings = per_ring(plan.deploy, gate)
    return plan


def per_ring(deploy: list[Deployment], gate: Gate) -> list[RingPlan]:
    """DEPLOY split by ring, in site.ini's order then all (a ring with nothing to install is listed too)."""
    named = {ring: ", ".join(members) for ring, members in gate.rings}
    out = []
    for ring in [*named, ALL]:
        section = RingPlan(ring, named.get(ring, "every machine no other ring names"))
        for d in deploy:
            mine = [m for m in d.machines if gate.ring_of(m) == ring]
            if mine:
                section.deploy.append(dataclasses.replace(d, machines=mine, approval="; ".join(
                    sorted({gate.approved_text(m, d.bulletin, d.qnumber) for m in mine}))))
        out.append(section)
    return out


def _deployment(bulletin: str, qnumber: str, package: str, machines: list[str], patch, catalog: Catalog,
                policy: SitePolicy, rollback) -> Deployment:
    if patch is None:  # a service pack (site.ini [service_packs]): tested as the most severe patch is
        return Deployment(bulletin, qnumber, package, "service pack", SP_SEVERITY, machines,
                          policy.phases(SP_SEVERITY), "its own uninstall, by hand (README: Rollback)", True)
    products = [catalog.products[a.product_id].name for a in patch.affected if a.product_id in catalog.products]
    severity = policy.rate(patch, catalog)
    return Deployment(bulletin, qnumber, package, catalog.bulletins[bulletin].title, severity, machines,
                      policy.phases(severity), rollback(bulletin, patch.name, products[0] if products else "",
                                                        patch.sq_number), not patch.no_reboot)


def _applicability(found: list[PatchTally], patch, catalog, policy) -> tuple[bool, str]:
    statuses = {r.status for r in found}
    if statuses - {NOT_APPLICABLE}:
        missing = sum(r.machines for r in found if r.status == MISSING)
        return True, f"applies to {sum(r.machines for r in found)} machine(s); missing on {missing}"
    if found:
        return False, found[0].reason
    names = [catalog.products[a.product_id].name for a in patch.affected if a.product_id in catalog.products]
    declared = [n for n in names if policy.product_reason(n) is not None]
    if declared and len(declared) == len(names):
        return False, f"site does not run {', '.join(declared)}: {policy.product_reason(declared[0])}"
    return False, ("no machine here runs an affected product at an affected service pack ("
                   + (", ".join(sorted(set(names))) or "none listed") + ")")


def _never_adapted(path: Path) -> bool:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() in EARLIER_DEFAULTS
    except OSError:
        return False


def render_plan(plan: MonthPlan, fmt: str, site_templates: Path, compiled: BytecodeCache | None = None) -> str:
    """The plan in FMT from the site's templates (sandboxed) or hfstage's own. A site's copy that is, byte for
    byte, a template an earlier hfstage put there was never adapted: hfstage's current one is used instead.
    COMPILED: templates compiled in an earlier run (report.compiled)."""
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: use {', '.join(FORMATS)}")
    if _never_adapted(site_templates / FORMATS[fmt]):
        site_templates = site_templates / "(hfstage's own)"  # a folder that does not exist: the defaults answer
    try:
        return share_env(site_templates, compiled).get_template(FORMATS[fmt]).render(plan=plan)
    except TemplateError as e:  # a site's template that is broken, or that tries to leave the sandbox
        where = getattr(e, "filename", None) or site_templates / FORMATS[fmt]
        line = f":{e.lineno}" if getattr(e, "lineno", None) else ""
        raise UsageError(f"{where}{line}: template refused: {type(e).__name__}: {str(e).splitlines()[0]}") from e
