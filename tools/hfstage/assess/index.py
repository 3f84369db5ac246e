"""What assessing any machine needs from one catalog, made once per catalog, not once per machine.

A month assesses 5,000 machines against one catalog: each patch's checks, the patches that
apply to a product at a service pack level, what supersedes a patch and the fields every
machine's finding for it shares are the same for all of them. The index holds only plain
values (no object identities as keys): it is sent whole to the scan's worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.assess.checks import ChecksHere, PatchChecks, checks_here, patch_checks
from hfstage.assess.model import Finding, finding_values
from hfstage.assess.policy import SitePolicy
from hfstage.catalog import AffectedProduct, Catalog, Patch
from hfstage.inventory import ProductFact, hotfix_aliases


@dataclass
class PatchPlan:
    """One patch as every machine's assessment uses it."""

    number: int  # its place in the catalog's list of patches
    patch: Patch
    checks: PatchChecks
    aliases: frozenset[str]  # the Hotfix key names of its Q number: a package of it ran (hotfix_aliases)
    name_key: str  # its name casefolded, as a SupercededBy entry names it
    superseded: bool  # the catalog names patches that contain its fix (its SBID's entry)
    newer_names: frozenset[tuple[str, str]]  # (bulletin, casefolded name) of those patches
    newer_bulletins: frozenset[str]  # bulletins whose every patch contains its fix
    here: dict[tuple[str | None, str | None], ChecksHere] = field(default_factory=dict)  # by (family, OS name)

    def checks_on(self, catalog: Catalog, family: str | None, os_name: str | None) -> ChecksHere:
        """Its checks on a machine of FAMILY running OS_NAME (made on first use: few families and OSes)."""
        here = self.here.get((family, os_name))
        if here is None:
            here = self.here[(family, os_name)] = checks_here(self.checks, self.patch, catalog, family, os_name)
        return here


def patch_plan(number: int, patch: Patch, catalog: Catalog) -> PatchPlan:
    entry = catalog.superseded_by.get(patch.sbid) if patch.sbid else None
    names = frozenset((b, n.casefold()) for b, ns in entry.bulletins for n in ns) if entry else frozenset()
    whole = frozenset(b for b, ns in entry.bulletins if not ns) if entry else frozenset()
    return PatchPlan(number, patch, patch_checks(patch, catalog), frozenset(hotfix_aliases(patch.sq_number or "")),
                     patch.name.casefold(), entry is not None, names, whole)


@dataclass
class CatalogIndex:
    """Patches by the product they affect, with their plans, built once per catalog."""

    catalog: Catalog
    by_product: dict[int, list[tuple[PatchPlan, AffectedProduct]]]
    # per (product, service pack): the plans that apply there (made on first use)
    applicable: dict[tuple[int, int], list[PatchPlan]] = field(default_factory=dict)
    # the policy the finding templates were made for (held, so that no other policy is taken for it)
    policy: SitePolicy | None = None
    templates: dict[int, tuple[tuple, str | None]] = field(default_factory=dict)  # per plan number (template)

    @classmethod
    def build(cls, catalog: Catalog) -> CatalogIndex:
        by_product: dict[int, list[tuple[PatchPlan, AffectedProduct]]] = {}
        plans: dict[int, PatchPlan] = {}  # by the patch's identity while the catalog is at hand: one plan a patch
        for patch in catalog.patches():
            plan = plans.get(id(patch))
            if plan is None:
                plan = plans[id(patch)] = patch_plan(len(plans), patch, catalog)
            for ap in patch.affected:
                by_product.setdefault(ap.product_id, []).append((plan, ap))
        return cls(catalog, by_product)

    def plans_for(self, product_id: int, service_pack_id: int) -> list[PatchPlan]:
        """The patches that apply to PRODUCT_ID at SERVICE_PACK_ID: the level is affected and below FixedInSP."""
        key = (product_id, service_pack_id)
        if key not in self.applicable:
            self.applicable[key] = [plan for plan, ap in self.by_product.get(product_id, [])
                                    if _applies(self.catalog, ap, service_pack_id)]
        return self.applicable[key]

    def template(self, plan: PatchPlan, policy: SitePolicy) -> tuple[tuple, str | None]:
        """A finding for PLAN as far as it does not depend on the machine (its bulletin, rating, phases:
        finding_values), and why POLICY suppresses the patch, or None."""
        if policy is not self.policy:
            self.policy, self.templates = policy, {}
        found = self.templates.get(plan.number)
        if found is None:
            found = self.templates[plan.number] = _template(plan.patch, self.catalog, policy)
        return found


def _template(patch: Patch, catalog: Catalog, policy: SitePolicy) -> tuple[tuple, str | None]:
    bulletin = catalog.bulletins[patch.bulletin_id]
    severity = policy.rate(patch, catalog)
    made = Finding(machine="", product="", bulletin=bulletin.id, patch=patch.name, qnumber=patch.sq_number,
                   title=bulletin.title, status="", reason="", severity=severity, testing=policy.phases(severity),
                   baseline=policy.in_baseline(patch), url=bulletin.url, no_reboot=patch.no_reboot,
                   date_posted=bulletin.date_posted.isoformat() if bulletin.date_posted else None,
                   date_revised=bulletin.date_revised.isoformat() if bulletin.date_revised else None,
                   cve_ids=list(patch.cve_ids), bugtraq_ids=list(patch.bugtraq_ids))
    return finding_values(made), policy.suppressed(patch)


def service_pack_position(catalog: Catalog, product_id: int, sp_id: int) -> float | None:
    """Where service pack SP_ID stands among PRODUCT_ID's AvailableSPs (their order), or None.

    One the product does not list (NT 4.0 SP6, ID 6, beside SP6a, ID 7) is placed by its release
    date: after the last listed one released before it, before one released the same day (the
    listed one is what replaced it)."""
    order = catalog.products[product_id].available_service_pack_ids if product_id in catalog.products else []
    if sp_id in order:
        return float(order.index(sp_id))
    sp = catalog.service_packs.get(sp_id)
    dated = [(i, catalog.service_packs[x].release_date) for i, x in enumerate(order)
             if x in catalog.service_packs and catalog.service_packs[x].release_date]
    if sp is None or sp.release_date is None or not dated:
        return None
    return max([i for i, released in dated if released < sp.release_date], default=-1) + 0.5


def _at_or_after(catalog: Catalog, product_id: int, sp_id: int, fixed_id: int) -> bool:
    """True when service pack SP_ID already contains the fix (FixedInSP = FIXED_ID)."""
    have = service_pack_position(catalog, product_id, sp_id)
    fixed = service_pack_position(catalog, product_id, fixed_id)
    if have is not None and fixed is not None:
        return have >= fixed
    a, b = catalog.service_packs.get(sp_id), catalog.service_packs.get(fixed_id)
    if a and b and a.release_date and b.release_date and a.release_date != b.release_date:
        return a.release_date > b.release_date
    return sp_id == fixed_id


def _applies(catalog: Catalog, ap: AffectedProduct, service_pack_id: int) -> bool:
    # no AffectedServicePack: the catalog limits the patch to no level (MS00-072 for Windows 95)
    if ap.service_pack_ids and service_pack_id not in ap.service_pack_ids:
        return False
    return not (ap.fixed_in_sp and _at_or_after(catalog, ap.product_id, service_pack_id, ap.fixed_in_sp))


def applicable_plans(index: CatalogIndex, products: list[ProductFact]) -> list[tuple[PatchPlan, ProductFact]]:
    """(plan, product) pairs that apply to a machine with PRODUCTS, each patch once (for its first product)."""
    found: dict[int, tuple[PatchPlan, ProductFact]] = {}
    for product in products:
        if product.product_id is None or product.service_pack_id is None:
            continue
        for plan in index.plans_for(product.product_id, product.service_pack_id):
            found.setdefault(plan.number, (plan, product))
    return list(found.values())
