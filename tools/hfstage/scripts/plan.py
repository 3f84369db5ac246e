"""What each machine's logon script must do: its missing patches, in order, with packages.

Built from the latest recorded scan, the catalog it used, hotfixes/ and site.ini.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog.model import Catalog, Patch
from hfstage.catalog.store import find_catalog
from hfstage.errors import InputError, UsageError
from hfstage.inventory.rules import load_rules
from hfstage.inventory.run import site_rules_path
from hfstage.report.history import rows
from hfstage.scripts.batch import BatchText, check_batch_value, check_command, check_file_name, check_machine_name
from hfstage.share import Share

INSTALLERS = Path(__file__).resolve().parents[1] / "data" / "installers.json"
QCHAIN = "qchain.exe"
DEFAULT_MAX_ATTEMPTS = 2


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
    os_key: str  # nt4, w2k, xp or 9x
    steps: list[Step] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    qchain: BatchText | None = None
    reboot: BatchText = BatchText("")
    max_attempts: int = DEFAULT_MAX_ATTEMPTS


def load_installers() -> dict:
    try:
        return json.loads(INSTALLERS.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{INSTALLERS}: cannot read the installer table: {e}") from e


def package_index(share: Share) -> dict[str, str]:
    """casefolded file name -> path below hotfixes/ (backslashes), first one found wins."""
    root = share.folder("hotfixes")
    index: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            index.setdefault(path.name.strip().casefold(), "\\".join(path.relative_to(root).parts))
    return index


def os_key(os_name: str | None, rules: dict) -> str | None:
    """nt4, w2k, xp (XP and 2003) or 9x for a catalog OS product name."""
    rule = next((r for r in rules["os"] if r["name"] == os_name), None)
    if rule is None:
        return None
    if rule["family"] == "9x":
        return "9x"
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


@dataclass
class SiteScriptSettings:
    unc: str
    max_attempts: int
    kinds: dict[str, str]
    switches: dict[str, str]
    reboot: dict[str, str]
    passive: bool
    service_packs: dict[str, str]


def site_settings(share: Share) -> SiteScriptSettings:
    from hfstage.scripts.batch import check_unc

    ini = share.config()
    unc = check_unc(ini.get("share", "unc", fallback="\\\\SERVER\\hfstage"))
    attempts = share.config_int("scripts", "max_attempts", DEFAULT_MAX_ATTEMPTS)
    if not 1 <= attempts <= 9:
        raise UsageError(f"{share.site_ini}: [scripts] max_attempts = {attempts}: use 1 to 9")
    section = lambda name: {k.strip().casefold(): v.strip() for k, v in ini[name].items()} \
        if ini.has_section(name) else {}  # noqa: E731
    return SiteScriptSettings(unc, attempts, section("installers"), section("switches"), section("reboot"),
                              ini.getboolean("scripts", "passive", fallback=False), section("service_packs"))


def _install_line(kind: str, table: dict, file: str, patch: Patch, settings: SiteScriptSettings) -> BatchText:
    if kind not in table["kinds"]:
        raise UsageError(f"installer kind {kind!r} for {patch.name} is not one of {', '.join(table['kinds'])}")
    if patch.name.casefold() in settings.switches:
        switches = check_command(settings.switches[patch.name.casefold()], f"[switches] {patch.name} in site.ini")
        return BatchText(f'"{file}" {switches}')
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


def _finding_patches(catalog: Catalog) -> dict[tuple[str, str], Patch]:
    return {(p.bulletin_id, p.name): p for p in catalog.patches()}


def build_plans(share: Share, machine: str | None = None) -> tuple[list[MachinePlan], list[str]]:
    """Plans for every machine of the latest scan (or MACHINE), and machines with nothing to do."""
    scans = rows(share, "SELECT * FROM scans ORDER BY id DESC LIMIT 1")
    if not scans:
        raise UsageError(f"{share.folder('state')}: no scan recorded yet; run `hfstage scan {share.root}` first")
    scan = scans[0]
    catalog = find_catalog(share, scan["catalog_version"]).load()
    table, rules, settings = load_installers(), load_rules(site_rules_path(share)), site_settings(share)
    packages = package_index(share)
    patches = _finding_patches(catalog)
    plans, idle = [], []
    machines = rows(share, "SELECT * FROM machines WHERE scan_id = ? ORDER BY machine", (scan["id"],))
    if machine is not None:
        machines = [m for m in machines if m["machine"].lower() == machine.lower()]
        if not machines:
            raise UsageError(f"machine {machine!r} is not in the latest scan")
    missing_by_machine: dict[str, list] = {}
    for f in rows(share, "SELECT * FROM findings WHERE scan_id = ? AND status = 'missing' ORDER BY rowid",
                  (scan["id"],)):
        missing_by_machine.setdefault(f["machine"], []).append(f)
    for m in machines:
        name = check_machine_name(m["machine"])
        missing = missing_by_machine.get(m["machine"], [])
        key = os_key(m["os"], rules)
        sp_step = None
        if key not in (None, "9x") and not m["error"]:
            sp_step = _service_pack_step(catalog, m["os"], m["service_pack"], packages, table, settings)
        if m["error"] or (not missing and sp_step is None) or key is None:
            idle.append(name)
            continue
        plan = _plan(name, m["os"], key, missing, patches, catalog, packages, table, settings)
        if sp_step is not None:
            plan.steps.insert(0, sp_step)
        plans.append(plan)
    return plans, idle


def _service_pack_step(catalog: Catalog, os_name: str, label: str | None, packages: dict[str, str], table: dict,
                       settings: SiteScriptSettings) -> Step | None:
    """The site's service pack package for this OS, when the machine is below the catalog's current SP."""
    from hfstage.inventory.detect import service_pack_id

    package = settings.service_packs.get((os_name or "").casefold())
    product = next((p for p in catalog.products.values() if p.name.strip() == os_name), None)
    if package is None or product is None or product.current_service_pack_id is None:
        return None
    order = product.available_service_pack_ids
    have = service_pack_id(catalog, order, label)
    if have is None or have not in order or product.current_service_pack_id not in order \
            or order.index(have) >= order.index(product.current_service_pack_id):
        return None
    rel = packages.get(check_file_name(package, f"[service_packs] {os_name} in site.ini").casefold())
    if rel is None:
        return None
    file = f"%HF_SHARE%\\hotfixes\\{check_batch_value(rel, 'service pack path')}"
    return Step(label="sp", bulletin="SP", qnumber="-", patch=package, marker="SERVPACK", kind="servicepack",
                install=BatchText(table["kinds"]["servicepack"]["install"].replace("{file}", file)), uninstall=None,
                needs_reboot=True, date_posted="0000-00-00", rescan_after=True)


def _plan(name, os_name, key, missing, patches, catalog, packages, table, settings) -> MachinePlan:
    plan = MachinePlan(name, os_name, key, max_attempts=settings.max_attempts)
    family = "9x" if key == "9x" else "NT"
    share_var = "%HFS%" if key == "9x" else "%HF_SHARE%"  # the templates' names for the share
    chosen = []
    for f in missing:
        patch = patches.get((f["bulletin"], f["patch"]))
        if patch is None:
            continue
        rel = packages.get(patch.name.strip().casefold())
        if rel is None:
            plan.unavailable.append(f"{f['bulletin']} {patch.name}: package not found under hotfixes\\")
            continue
        check_file_name(patch.name.strip(), "patch file name")
        file = f"{share_var}\\hotfixes\\{check_batch_value(rel, 'hotfix path')}"
        kind = installer_kind(patch.name, f["product"], family, table, settings.kinds)
        bulletin = catalog.bulletins[patch.bulletin_id]
        posted = bulletin.date_posted.isoformat() if bulletin.date_posted else "9999-12-31"
        chosen.append((posted, patch.bulletin_id, patch, kind, file, f["qnumber"]))
    chosen.sort(key=lambda c: (c[0], c[1], c[2].name.lower()))  # oldest bulletin first
    seen = set()
    for posted, bulletin_id, patch, kind, file, qnumber in chosen:
        if patch.name.casefold() in seen:  # one package can answer several bulletins
            continue
        seen.add(patch.name.casefold())
        plan.steps.append(Step(
            label=f"p{len(plan.steps) + 1:02d}", bulletin=bulletin_id, qnumber=qnumber or "-", patch=patch.name.strip(),
            marker=_marker(qnumber, patch.name), kind=kind,
            install=_install_line(kind, table, file, patch, settings),
            uninstall=_uninstall_line(kind, table, file, qnumber), needs_reboot=not patch.no_reboot,
            date_posted=posted))
    needs_qchain = key == "nt4" or (key in ("w2k", "xp") and any(s.date_posted < table["qchain_before"]
                                                                 for s in plan.steps))
    if needs_qchain and key != "9x" and plan.steps:
        rel = packages.get(QCHAIN)
        if rel is None:
            plan.unavailable.append(f"{QCHAIN}: not found under hotfixes\\ (needed to chain these hotfixes)")
        else:
            plan.qchain = BatchText(f'"%HF_SHARE%\\hotfixes\\{check_batch_value(rel, "qchain path")}" '
                                    '"%HF_STATE%\\qchain.log"')
    command = check_command(settings.reboot[key], f"[reboot] {key} in site.ini") if key in settings.reboot \
        else table["reboot"][key]
    plan.reboot = BatchText(command.replace("{share}", share_var))
    return plan
