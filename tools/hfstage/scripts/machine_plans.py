"""What each machine's logon script must do: its missing patches, in order, with packages.

Built from the machine's assessment, the catalog it used, the packages under hotfixes\\
and the site's script settings; nothing is read from the history here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.assess import KIND_SERVICE_PACK, MISSING, Assessment
from hfstage.catalog import Catalog, Patch
from hfstage.errors import UsageError
from hfstage.inventory import service_pack_id
from hfstage.scripts.batch import BatchText, check_batch_value, check_command, check_file_name
from hfstage.scripts.packages import PackageIndex
from hfstage.scripts.settings import ScriptSettings

QCHAIN = "qchain.exe"


@dataclass
class Step:
    """One package to install: where it is, how to run it, how to undo it."""

    label: str
    bulletin: str
    qnumber: str
    patch: str
    marker: str
    kind: str
    install: BatchText
    uninstall: BatchText | None
    needs_reboot: bool
    date_posted: str
    rescan_after: bool = False  # a service pack: stop after it; the next scan decides the rest

    @property
    def hotfix_key(self) -> str | None:
        """The Hotfix registry key a Q/KB package leaves behind."""
        if re.fullmatch(r"(Q|KB)\d{5,7}", self.marker):
            return f"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\{self.marker}"
        return None


@dataclass
class MachinePlan:
    machine: str
    os: str | None
    os_key: str  # nt4, w2k, xp, 9x or 95
    steps: list[Step] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    qchain: BatchText | None = None
    reboot: BatchText = BatchText("")
    max_attempts: int = 2


def os_key(os_name: str | None, rules: dict) -> str | None:
    """nt4, w2k, xp (XP and 2003), 9x (98, 98 SE, Me) or 95 for a catalog OS product name."""
    rule = next((r for r in rules["os"] if r["name"] == os_name), None)
    if rule is None:
        return None
    if rule["family"] == "9x":
        return "95" if rule["name"] == "Windows 95" else "9x"
    return {"4.0": "nt4", "5.0": "w2k"}.get(rule.get("version"), "xp")


def installer_kind(name: str, product: str, family: str, table: dict, overrides: dict[str, str]) -> str:
    """The installer kind of package NAME: a site override, else the table's first matching rule."""
    if name.casefold() in overrides:
        return overrides[name.casefold()]
    for rule in table["choose"]:
        if "pattern" in rule and not re.search(rule["pattern"], name):
            continue
        if "family" in rule and rule["family"] != family:
            continue
        if "product" in rule and not re.search(rule["product"], product):
            continue
        return rule["kind"]
    return "hotfix"


def _marker(qnumber: str | None, name: str) -> str:
    """A short, safe file name for the attempt and done markers of one patch."""
    if qnumber and re.fullmatch(r"(Q|KB)\d{5,7}", qnumber.strip(), re.I):
        return qnumber.strip().upper()
    return re.sub(r"[^A-Za-z0-9]", "", name)[:8].upper() or "PATCH"


def _install_line(kind: str, table: dict, file: str, name: str, settings: ScriptSettings) -> BatchText:
    if kind not in table["kinds"]:
        raise UsageError(f"installer kind {kind} for {name} is not one of {', '.join(table['kinds'])}")
    if name.casefold() in settings.switches:
        return BatchText(f'"{file}" {settings.switches[name.casefold()]}')
    if kind == "update" and settings.passive:
        kind = "update-passive"
    return BatchText(table["kinds"][kind]["install"].replace("{file}", file))


def _uninstall_line(kind: str, table: dict, file: str, qnumber: str | None) -> BatchText | None:
    template = table["kinds"][kind].get("uninstall")
    if not template:
        return None
    kb = re.sub(r"^(Q|KB)", "KB", (qnumber or "").upper()) if "{kb}" in template else ""
    if "{kb}" in template and not kb:
        return None
    return BatchText(template.replace("{file}", file).replace("{kb}", kb))


def plan_machine(a: Assessment, catalog: Catalog, settings: ScriptSettings, packages: PackageIndex, table: dict,
                 rules: dict) -> MachinePlan | None:
    """The machine's plan, or None when it has nothing a script could do (unreadable, unknown OS)."""
    key = os_key(a.os, rules)
    if a.error or key is None:
        return None
    plan = MachinePlan(a.machine, a.os, key, max_attempts=settings.max_attempts)
    sp = _service_pack_step(a, catalog, packages, table, settings) if key not in ("9x", "95") else None
    missing = [f for f in a.findings if f.status == MISSING and f.kind != KIND_SERVICE_PACK]
    _add_patches(plan, missing, catalog, packages, table, settings)
    if sp is not None:
        plan.steps.insert(0, sp)
    needs_qchain = key == "nt4" or (key in ("w2k", "xp") and any(s.date_posted < table["qchain_before"]
                                                                 for s in plan.steps))
    if needs_qchain and plan.steps:
        rel = packages.find(QCHAIN)
        if rel is None:
            plan.unavailable.append(f"{QCHAIN}: not found under hotfixes\\ (needed to chain these hotfixes)")
        else:
            plan.qchain = BatchText(f'"%HF_SHARE%\\hotfixes\\{check_batch_value(rel, "qchain path")}" '
                                    '"%HF_STATE%\\qchain.log"')
    share_var = "%HFS%" if key in ("9x", "95") else "%HF_SHARE%"  # the templates' names for the share
    command = settings.reboot.get(key) or table["reboot"][key]
    plan.reboot = BatchText(check_command(command, f"reboot command for {key}").replace("{share}", share_var))
    return plan


def _add_patches(plan: MachinePlan, missing, catalog: Catalog, packages: PackageIndex, table: dict,
                 settings: ScriptSettings) -> None:
    family = "9x" if plan.os_key in ("9x", "95") else "NT"
    share_var = "%HFS%" if family == "9x" else "%HF_SHARE%"
    patches = {(p.bulletin_id, p.name): p for p in catalog.patches()}
    chosen: list[tuple[str, str, Patch, str, str, str | None]] = []
    for f in missing:
        patch = patches.get((f.bulletin, f.patch))
        if patch is None:
            continue
        rel = packages.find(patch.name.strip())
        if rel is None:
            plan.unavailable.append(f"{f.bulletin} {patch.name}: package not found under hotfixes\\")
            continue
        check_file_name(patch.name.strip(), "patch file name")
        file = f"{share_var}\\hotfixes\\{check_batch_value(rel, 'hotfix path')}"
        kind = installer_kind(patch.name, f.product, family, table, settings.kinds)
        bulletin = catalog.bulletins[patch.bulletin_id]
        posted = bulletin.date_posted.isoformat() if bulletin.date_posted else "9999-12-31"
        chosen.append((posted, patch.bulletin_id, patch, kind, file, f.qnumber))
    chosen.sort(key=lambda c: (c[0], c[1], c[2].name.lower()))  # oldest bulletin first
    seen = set()
    for posted, bulletin_id, patch, kind, file, qnumber in chosen:
        if patch.name.casefold() in seen:  # one package can answer several bulletins
            continue
        seen.add(patch.name.casefold())
        plan.steps.append(Step(
            label=f"p{len(plan.steps) + 1:02d}", bulletin=bulletin_id, qnumber=qnumber or "-", patch=patch.name.strip(),
            marker=_marker(qnumber, patch.name), kind=kind,
            install=_install_line(kind, table, file, patch.name, settings),
            uninstall=_uninstall_line(kind, table, file, qnumber), needs_reboot=not patch.no_reboot,
            date_posted=posted))


def _service_pack_step(a: Assessment, catalog: Catalog, packages: PackageIndex, table: dict,
                       settings: ScriptSettings) -> Step | None:
    """The site's service pack package for this OS, when the machine is below the catalog's current SP."""
    package = settings.service_packs.get((a.os or "").casefold())
    product = next((p for p in catalog.products.values() if p.name.strip() == a.os), None)
    if package is None or product is None or product.current_service_pack_id is None:
        return None
    order = product.available_service_pack_ids
    have = service_pack_id(catalog, order, a.service_pack)
    if have is None or have not in order or product.current_service_pack_id not in order \
            or order.index(have) >= order.index(product.current_service_pack_id):
        return None
    rel = packages.find(package)
    if rel is None:
        return None
    file = f"%HF_SHARE%\\hotfixes\\{check_batch_value(rel, 'service pack path')}"
    return Step(label="sp", bulletin="SP", qnumber="-", patch=package, marker="SERVPACK", kind="servicepack",
                install=BatchText(table["kinds"]["servicepack"]["install"].replace("{file}", file)), uninstall=None,
                needs_reboot=True, date_posted="0000-00-00", rescan_after=True)
