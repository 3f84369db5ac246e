"""Catalog + MachineFacts + site policy -> one Assessment per machine (HFNetChk semantics)."""

from __future__ import annotations

from hfstage import notices
from hfstage.assess.checks import CheckResult, check_patch
from hfstage.assess.index import CatalogIndex, PatchPlan, applicable_plans, service_pack_position
from hfstage.assess.model import (
    COMPLIANT,
    GAP_CATALOG,
    GAP_INVENTORY,
    INCOMPLETE,
    KIND_SERVICE_PACK,
    MISSING,
    NEEDS_PATCHES,
    NOT_APPLICABLE,
    NOT_COVERED,
    NOTE,
    SERVICE_PACK_MISSING,
    SUPERSEDED,
    UNREADABLE,
    UNVERIFIED,
    WAITING,
    Assessment,
    Finding,
    finding_from_template,
)
from hfstage.assess.policy import SitePolicy
from hfstage.catalog import Catalog, Patch
from hfstage.inventory import MachineFacts, ProductFact, load_settings, service_pack_text
from hfstage.notices import Notice
from hfstage.workers import owns_its_memory


def applicable_patches(index: CatalogIndex, facts: MachineFacts) -> list[tuple[Patch, ProductFact]]:
    """(patch, product) pairs that apply: the product's SP is affected and below FixedInSP."""
    return [(plan.patch, product) for plan, product in applicable_plans(index, facts.products)]


def _coverage(facts: MachineFacts) -> tuple[list[ProductFact], list[str]]:
    """(applications the catalog does not know, products whose service pack it does not know)."""
    unknown, unassessed = [], []
    for product in facts.products:
        if product.product_id is None:
            if product is not facts.os:
                unknown.append(product)
        elif product.service_pack_id is None:
            unassessed.append(f"{product.name}{service_pack_text(product.service_pack_label, ' ')}: this service "
                              "pack level is not in the catalog, so its patches were not assessed")
    return unknown, unassessed


def _named(product: ProductFact) -> str:
    """The product's name, and its instance when it is a named one (SQL Server / MSDE 2000)."""
    return product.name + (f" ({product.instance})" if product.instance else "")


def _product_label(product: ProductFact) -> str:
    return _named(product) + service_pack_text(product.service_pack_label, " ")


def _notices(facts: MachineFacts, unknown: list[ProductFact], unassessed: list[str]) -> list[Notice]:
    """What the assessment rests on that the admin should know: each a notice of its kind about the machine."""
    made = [(notices.FACTS, w) for w in facts.warnings]
    made += [(notices.NOT_KNOWN, f"not known: {m}") for m in facts.missing]
    made += [(notices.NOT_ASSESSED, u) for u in unassessed]
    made += [(notices.UNREADABLE_LINES, f"could not read: {e}") for e in facts.parse_errors]
    made += [(notices.NOT_COVERED, f"not covered by the catalog: {_product_label(u)} (its patches are not assessed)")
             for u in unknown]
    made += [(notices.REFUSED, r) for r in facts.refused]
    made += [(notices.STALE, s) for s in facts.stale]
    return [Notice(kind, facts.machine, text) for kind, text in made]


def assess_machine(facts: MachineFacts, index: CatalogIndex, policy: SitePolicy) -> Assessment:
    """Every applicable patch's status on one machine, with reasons and evidence, and its status."""
    catalog = index.catalog
    assessment = Assessment(facts.machine, facts.os.name if facts.os else None, facts.service_pack_label,
                            role=facts.role, pending_reboot=bool(facts.pending_renames),
                            done=list(facts.done_markers), reported_system_root=facts.system_root,
                            version=facts.version, language=facts.language,
                            installer_version=facts.installer_version, fast_logon=facts.fast_logon,
                            script_wait=facts.script_wait, binding=facts.binding, binding_owner=facts.binding_owner)
    if facts.error:
        assessment.error = facts.error
        assessment.status, assessment.status_detail = UNREADABLE, facts.error
        return assessment
    if not facts.collected:
        assessment.status = WAITING
        assessment.status_detail = "the folder is there, but no collector has written to it yet"
        return assessment
    unknown, unassessed = _coverage(facts)
    assessment.warnings = _notices(facts, unknown, unassessed)
    pairs = _patch_findings(facts, index, policy)
    _apply_supersedence(pairs)
    assessment.findings = [f for f, _ in pairs] + service_pack_findings(facts, catalog, policy)
    assessment.findings.sort(key=lambda f: (f.kind != KIND_SERVICE_PACK, f.product, f.date_posted or "",
                                            f.bulletin, f.patch.lower()))
    assessment.status, assessment.status_detail = machine_status(facts, assessment, unknown, unassessed)
    assessment.warnings += run_context_warnings(facts, any(
        f.kind == KIND_SERVICE_PACK and f.status == MISSING for f in assessment.findings))
    return assessment


def run_context_warnings(facts: MachineFacts, needs_service_pack: bool) -> list[Notice]:
    """What the machine's own settings say about its startup scripts (data/machine_settings.json); the time
    limit only where a service pack is missing (the one install hfstage keeps out of a short startup)."""
    out = []
    if facts.fast_logon:
        out.append(Notice(notices.FAST_LOGON, facts.machine, "startup: startup scripts cannot be relied on: Windows "
                          "XP's Fast Logon Optimization runs them without waiting for the network (KB 305293; "
                          + facts.evidence.get("fast_logon", "") + "); set 'Always wait for the network at computer "
                          "startup and logon' (README)"))
    long_install = load_settings()["script_wait"]["long_install_seconds"]
    if needs_service_pack and facts.script_wait and facts.script_wait < long_install:
        out.append(Notice(notices.SCRIPT_WAIT, facts.machine, f"startup: Windows stops its startup scripts after "
                          f"{facts.script_wait} s (MaxGPOScriptWait; {facts.evidence.get('script_wait', '')}): a "
                          f"service pack (hfstage allows {long_install} s) is not run from one"))
    return out


def machine_status(facts: MachineFacts, a: Assessment, unknown: list[ProductFact],
                   unassessed: list[str]) -> tuple[str, str]:
    """The one status that never overstates, and what it rests on. A product the catalog does not know limits
    only itself and is named, unless it is part of that Windows (Internet Explorer on 98 and 2000): then the
    catalog does not cover what the machine runs."""
    status, detail = _status(facts, a, unassessed, [p for p in unknown if p.part_of_windows])
    names = [_product_label(p) for p in unknown]
    if names and status != NOT_COVERED:
        detail += f"; not covered by the catalog: {', '.join(dict.fromkeys(names))}"
    return status, detail


def _status(facts: MachineFacts, a: Assessment, unassessed: list[str],
            os_parts: list[ProductFact]) -> tuple[str, str]:
    sps = [f for f in a.findings if f.kind == KIND_SERVICE_PACK and f.status == MISSING]
    missing = [f for f in a.findings if f.kind != KIND_SERVICE_PACK and f.status == MISSING]
    gaps = [f for f in a.findings if f.status == NOTE and f.gap == GAP_INVENTORY]
    catalog_notes = [f for f in a.findings if f.status == NOTE and f.gap == GAP_CATALOG]
    unverified = [f for f in a.findings if f.unverified]
    incomplete = list(facts.missing) + [f"could not read: {e}" for e in facts.parse_errors] + unassessed
    if sps:
        return SERVICE_PACK_MISSING, "; ".join(f.reason for f in sps)
    if missing:
        return NEEDS_PATCHES, f"{len(missing)} missing patch(es)"
    also = "; also: " + "; ".join(incomplete) if incomplete else ""
    if facts.os is None and incomplete:  # not "not covered": what it runs is unknown for want of data
        return INCOMPLETE, "operating system not known: " + "; ".join(incomplete)
    if facts.os is None or facts.os.product_id is None or os_parts:
        what = [facts.os.name if facts.os else "its operating system (not detected)"] \
            if facts.os is None or facts.os.product_id is None else [_product_label(p) for p in os_parts]
        return NOT_COVERED, f"the catalog does not cover {', '.join(dict.fromkeys(what))}{also}"
    if incomplete or gaps:
        parts = incomplete + ([f"{len(gaps)} patch(es) could not be checked: evidence not collected"] if gaps else [])
        return INCOMPLETE, "; ".join(parts)
    if catalog_notes or unverified:
        parts = [f"{len(catalog_notes)} patch(es) the catalog gives no way to check: confirm by hand"] * bool(
            catalog_notes) + [f"{len(unverified)} patch(es) confirmed only by a registry key"] * bool(unverified)
        return UNVERIFIED, "; ".join(parts)
    return COMPLIANT, "every applicable patch is installed"


def service_pack_findings(facts: MachineFacts, catalog: Catalog, policy: SitePolicy) -> list[Finding]:
    """A finding per product whose read service pack is below the catalog's current (MBSA did the same)."""
    out = []
    for product in facts.products:
        entry = catalog.products.get(product.product_id) if product.product_id is not None else None
        if entry is None or product.service_pack_id is None or not product.sp_known:
            continue
        have = service_pack_position(catalog, entry.id, product.service_pack_id)
        for target, severity, what in ((entry.minimum_service_pack_id, "Critical", "minimum supported"),
                                       (entry.current_service_pack_id, "Important", "current")):
            want = service_pack_position(catalog, entry.id, target) if target else None
            if have is None or want is None or have >= want:
                continue
            name = catalog.service_packs[target].name if target in catalog.service_packs else f"#{target}"
            out.append(Finding(
                machine=facts.machine, product=_product_label(product), bulletin="SP", patch=name, qnumber=None,
                title=f"{product.name}: service pack missing", status=MISSING, kind=KIND_SERVICE_PACK,
                reason=f"{_named(product)} is at service pack {product.service_pack_label}, below the catalog's "
                       f"{what} {name}", severity=severity, testing=policy.phases(severity)))
            break
    return out


def _patch_findings(facts: MachineFacts, index: CatalogIndex, policy: SitePolicy) -> list[tuple[Finding, PatchPlan]]:
    """A finding for each patch that applies to the machine, with the patch's plan."""
    hotfixes = facts.hotfix_ids()
    family, os_name = facts.os_family, facts.os.name if facts.os else None
    said: dict[int, tuple[str, str | None]] = {}  # per product: its label, and why the site does not run it
    folders: dict[str, str | None] = {}  # the catalog's locations on this machine
    pairs = []
    for plan, product in applicable_plans(index, facts.products):
        if id(product) not in said:
            said[id(product)] = (_product_label(product), policy.product_reason(product.name))
        label, not_run = said[id(product)]
        values, suppressed = index.template(plan, policy)
        finding = finding_from_template(values, facts.machine, label)
        if not_run is not None:
            finding.status, finding.reason = NOT_APPLICABLE, f"site does not run {product.name}: {not_run}"
        elif suppressed is not None:
            finding.status, finding.reason = NOT_APPLICABLE, f"suppressed by site policy: {suppressed}"
        else:
            here = plan.checks_on(index.catalog, family, os_name)
            _judge(finding, check_patch(here, facts, policy.checksum, folders), plan, hotfixes)
        pairs.append((finding, plan))
    return pairs


def _judge(finding: Finding, result: CheckResult, plan: PatchPlan, hotfixes: set[str]) -> None:
    """FINDING says RESULT; a missing patch whose Q number has a Hotfix key here is one whose package ran."""
    finding.status, finding.reason, finding.evidence = result.status, result.reason, result.evidence
    finding.gap, finding.unverified = result.gap, result.unverified
    finding.decided_by = result.decided_by
    if finding.status == MISSING and finding.qnumber:  # the scan's own word that a package of it ran here
        finding.registered = bool(plan.aliases & hotfixes)
        if finding.registered:  # an earlier package of it is installed: the one the catalog names is a revision
            finding.rereleased = True
            finding.reason = (f"re-released patch: {finding.qnumber} from an earlier package is installed, but "
                              f"the revised package is not ({finding.reason})")


def _apply_supersedence(pairs: list[tuple[Finding, PatchPlan]]) -> None:
    """A patch not installed whose fix is in a newer applicable patch is 'superseded'.

    Pairs keep each finding with its own patch's plan: one bulletin can hold two patches whose
    names differ only in case, with different SBIDs.
    """
    by_name: dict[tuple[str, str], list[Finding]] = {}
    by_bulletin: dict[str, list[Finding]] = {}
    for finding, plan in pairs:
        by_name.setdefault((finding.bulletin, plan.name_key), []).append(finding)
        by_bulletin.setdefault(finding.bulletin, []).append(finding)
    for finding, plan in pairs:
        if not plan.superseded or finding.status not in (MISSING, NOTE):
            continue
        newer: list[Finding] = []
        for key in plan.newer_names:
            newer += by_name.get(key, ())
        for bulletin in plan.newer_bulletins:
            newer += by_bulletin.get(bulletin, ())
        newer = [n for n in newer if n is not finding and n.status != NOT_APPLICABLE]
        if newer:
            finding.status = SUPERSEDED
            finding.gap, finding.unverified = None, False
            finding.superseded_by = sorted({f"{n.bulletin} {n.patch}" for n in newer})
            finding.reason = (f"contained in {', '.join(finding.superseded_by)} "
                              f"({', '.join(sorted({n.status for n in newer}))}); was: {finding.reason}")


def assess_contained(facts: MachineFacts, index: CatalogIndex, policy: SitePolicy) -> Assessment:
    """assess_machine, with any failure of it one unreadable row for this machine, never the scan's end."""
    try:
        return assess_machine(facts, index, policy)
    except MemoryError as e:
        if not owns_its_memory():  # a pool worker earlier machines may have left short: it ends, they run again
            raise
        return _unassessed(facts, e)
    except Exception as e:  # noqa: BLE001 - facts come from a client's files: one machine is one row
        return _unassessed(facts, e)


def _unassessed(facts: MachineFacts, e: BaseException) -> Assessment:
    """The unreadable row of a machine whose assessment failed with E."""
    error = f"{facts.machine}: could not be assessed: unexpected {type(e).__name__}: {e}"
    assessment = Assessment(facts.machine, None, None, error=error)
    assessment.status, assessment.status_detail = UNREADABLE, error
    return assessment


def assess_all(facts_list: list[MachineFacts], catalog: Catalog, policy: SitePolicy) -> list[Assessment]:
    index = CatalogIndex.build(catalog)
    return [assess_machine(f, index, policy) for f in facts_list]

