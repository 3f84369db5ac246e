"""`hfstage plan`: the month's patch application plan, for the site's change process.

New and revised bulletins since the previous catalog, each with its severity, whether it
applies here (and why not), the machines that miss it, reboot, the minimum testing
phases (Table 6.2), the rollback method, blank owner and approver, and the order of
deployment. The layout is a Jinja2 template in SHARE/templates/ (copied there by init).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from hfstage.assess.policy import SEVERITIES, load_policy
from hfstage.catalog.diff import diff_catalogs
from hfstage.catalog.store import list_catalogs
from hfstage.errors import UsageError
from hfstage.report.history import rows
from hfstage.resources import resource_dir
from hfstage.scripts.plan import installer_kind, load_installers
from hfstage.share import Share

FORMATS = {"text": "plan.txt.j2", "md": "plan.md.j2", "html": "plan.html.j2"}


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
class MonthPlan:
    catalog_version: str
    previous_version: str | None
    generated: str
    scan_id: int | None
    items: list[PlanItem] = field(default_factory=list)

    @property
    def applicable(self) -> list[PlanItem]:
        return [i for i in self.items if i.applies]


def _scan_findings(share: Share) -> tuple[int | None, dict[tuple[str, str], list]]:
    scans = rows(share, "SELECT id FROM scans ORDER BY id DESC LIMIT 1")
    if not scans:
        return None, {}
    found: dict[tuple[str, str], list] = {}
    for f in rows(share, "SELECT machine, bulletin, patch, status, reason FROM findings WHERE scan_id = ?",
                  (scans[0]["id"],)):
        found.setdefault((f["bulletin"], f["patch"]), []).append(f)
    return scans[0]["id"], found


def _rollback(patch_name: str, product: str, qnumber: str | None, table: dict) -> str:
    """The uninstall method the logon scripts' installer table gives, or manual."""
    kind = installer_kind(patch_name, product, "NT", table, {})
    uninstall = table["kinds"][kind].get("uninstall")
    if not uninstall:
        return f"manual ({kind} packages have no uninstall switch)"
    kb = "KB" + (qnumber or "").upper().lstrip("QKB") if qnumber else "KBnnnnnn"
    return f"{kind}: " + uninstall.replace('"{file}"', patch_name).replace("{kb}", kb)


def build_plan(share: Share) -> MonthPlan:
    share.check()
    stored = list_catalogs(share)
    if not stored:
        raise UsageError(f"{share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    new = stored[-1].load()
    old = stored[-2].load() if len(stored) > 1 else None
    policy, table = load_policy(share), load_installers()
    scan_id, findings = _scan_findings(share)
    plan = MonthPlan(new.data_version, old.data_version if old else None,
                     dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), scan_id)
    if old is None:
        changes = {b: "new" for b in new.bulletins}
    else:
        d = diff_catalogs(old, new)
        changes = {b: "new" for b in d.new_bulletins} | {r["bulletin"]: "revised" for r in d.revised_bulletins}
    for bulletin_id, change in changes.items():
        bulletin = new.bulletins[bulletin_id]
        for patch in bulletin.patches:
            rows_ = findings.get((bulletin_id, patch.name), [])
            missing = sorted({r["machine"] for r in rows_ if r["status"] == "missing"})
            applies, why = _applicability(rows_, patch, new, policy)
            products = [new.products[a.product_id].name for a in patch.affected if a.product_id in new.products]
            severity = policy.rate(patch, new)
            plan.items.append(PlanItem(
                order=0, bulletin=bulletin_id, title=bulletin.title, change=change, patch=patch.name,
                qnumber=patch.sq_number or "-", severity=severity, applies=applies, why=why, machines=missing,
                reboot=not patch.no_reboot, testing=policy.phases(severity),
                rollback=_rollback(patch.name, products[0] if products else "", patch.sq_number, table),
                url=bulletin.url,
                date_posted=bulletin.date_posted.isoformat() if bulletin.date_posted else "",
            ))
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    plan.items.sort(key=lambda i: (not i.applies, rank[i.severity], -len(i.machines), i.date_posted, i.bulletin))
    for n, item in enumerate(plan.items, 1):
        item.order = n
    return plan


def _applicability(found: list, patch, catalog, policy) -> tuple[bool, str]:
    statuses = {r["status"] for r in found}
    if statuses - {"not-applicable"}:
        missing = sum(1 for r in found if r["status"] == "missing")
        return True, f"applies to {len(found)} machine(s); missing on {missing}"
    if found:
        return False, found[0]["reason"]
    names = [catalog.products[a.product_id].name for a in patch.affected if a.product_id in catalog.products]
    declared = [n for n in names if policy.product_reason(n) is not None]
    if declared and len(declared) == len(names):
        return False, f"site does not run {', '.join(declared)}: {policy.product_reason(declared[0])}"
    return False, ("no machine here runs an affected product at an affected service pack ("
                   + (", ".join(sorted(set(names))) or "none listed") + ")")


def plan_template_dir(share: Share) -> Path:
    """SHARE/templates when the site has them, else the defaults in share_layout/templates."""
    site = share.root / "templates"
    return site if (site / FORMATS["md"]).is_file() else resource_dir("share_layout") / "templates"


def render_plan(share: Share, fmt: str = "text", plan: MonthPlan | None = None) -> str:
    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt!r}: use {', '.join(FORMATS)}")
    plan = plan or build_plan(share)
    env = Environment(loader=FileSystemLoader(str(plan_template_dir(share))), undefined=StrictUndefined,
                      autoescape=select_autoescape(["html.j2"]), trim_blocks=True, lstrip_blocks=True)
    return env.get_template(FORMATS[fmt]).render(plan=plan)
