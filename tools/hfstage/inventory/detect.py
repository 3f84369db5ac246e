"""Read machine facts out of HKLM: name, OS, service pack, products, hotfixes, paths."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.catalog import Catalog
from hfstage.errors import q
from hfstage.inventory.capture import Question, kept_keys, question, reg_text
from hfstage.inventory.facts import HotfixFact, MachineFacts, ProductFact, RegFact, service_pack_text
from hfstage.inventory.levels import service_pack_id
from hfstage.inventory.regtree import Hklm, KeyPlan
from hfstage.inventory.rules import at_root, instance_roots, match_application, service_pack_from
from hfstage.inventory.settings import read_settings
from hfstage.versions import parse_version

NT_CURRENT = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
OPTIONS = "SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
CONTROL_WINDOWS = "SYSTEM\\CurrentControlSet\\Control\\Windows"
SESSION_MANAGER = "SYSTEM\\CurrentControlSet\\Control\\Session Manager"
WIN_CURRENT = "SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
# %VARIABLES% in catalog file locations, beyond %windir% and %ProgramFiles%, and where
# the registry keeps their values.
PATH_VARIABLES = {
    "commonprogramfiles": (WIN_CURRENT, "CommonFilesDir"),
    "exchsrvr": ("SOFTWARE\\Microsoft\\Exchange\\Setup", "Services"),
    "mssql7": ("SOFTWARE\\Microsoft\\MSSQLServer\\Setup", "SQLPath"),
}
_HOTFIX_ID = re.compile(r"^(Q|KB)\d{5,7}", re.I)


def _ev(path: str, name: str, value: object) -> str:
    return f"HKLM\\{path}\\{name} = {q(value)}"


ROLES = {"winnt": "workstation", "servernt": "server", "lanmannt": "domain controller"}


def detect(hklm: Hklm, facts: MachineFacts, rules: dict) -> None:
    """Fill FACTS from HKLM using RULES; what cannot be read goes to facts.missing.

    Each hive says what it alone can: SYSTEM gives the name, the role, the service pack
    number and pending renames even when SOFTWARE is missing.
    """
    _computer_name(hklm, facts)
    if hklm.system is not None and hklm.key(OPTIONS) is not None:
        _nt_system(hklm, facts)
    if hklm.key(NT_CURRENT) is not None and hklm.value(NT_CURRENT, "CurrentVersion"):
        _nt_os(hklm, facts)
    elif hklm.value(WIN_CURRENT, "VersionNumber"):
        _9x_os(hklm, facts)
    elif hklm.software is not None:
        facts.missing.append("operating system version (no Windows NT\\CurrentVersion or Windows\\CurrentVersion "
                             "in the SOFTWARE data)")
    os_rule = _os_product(hklm, facts, rules)
    _paths(hklm, facts)
    _applications(hklm, facts, rules)
    _part_of_windows(hklm, facts, os_rule)
    _hotfixes(hklm, facts)
    read_settings(hklm, facts)


def _computer_name(hklm: Hklm, facts: MachineFacts) -> None:
    path = "SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ComputerName"
    name = hklm.value(path, "ComputerName")
    if isinstance(name, str) and name.strip():
        facts.computer_name = name.strip()
        facts.evidence["computer_name"] = _ev(path.replace("CurrentControlSet", hklm.control_set),
                                              "ComputerName", name)
    else:
        facts.missing.append("computer name (no SYSTEM data with ComputerName)")


def _nt_os(hklm: Hklm, facts: MachineFacts) -> None:
    key = hklm.key(NT_CURRENT)
    facts.os_family = "NT"
    facts.version = str(key.value("CurrentVersion"))
    facts.build = str(key.value("CurrentBuildNumber") or key.value("CurrentBuild") or "") or None
    facts.evidence["version"] = _ev(NT_CURRENT, "CurrentVersion", facts.version)
    csd = key.value("CSDVersion")
    facts.csd_version = csd if isinstance(csd, str) else None
    m = re.search(r"Service Pack (\d+)([a-z]?)", facts.csd_version or "", re.I)
    facts.service_pack = int(m.group(1)) if m else 0
    facts.service_pack_label = (m.group(1) + m.group(2).lower()) if m else "0"
    facts.evidence["service_pack"] = _ev(NT_CURRENT, "CSDVersion", csd) if csd else \
        f"HKLM\\{NT_CURRENT}\\CSDVersion absent: no service pack"
    # NT 4.0 SP6a still says "Service Pack 6"; the Q246009 hotfix key tells them apart (Terminal Server
    # Edition has its own SP6 and no SP6a)
    q246009 = hklm.value(f"{NT_CURRENT}\\Hotfix\\Q246009", "Installed")
    tse = any("terminal server" in s.lower() for s in facts.product_suite)
    if facts.version == "4.0" and facts.service_pack == 6 and q246009 == 1 and not tse:
        facts.service_pack_label = "6a"
        facts.evidence["service_pack"] += f"; HKLM\\{NT_CURRENT}\\Hotfix\\Q246009\\Installed = 1 (SP6a)"
    if facts.product_type is None:
        facts.missing.append("product type (no SYSTEM data with ProductOptions\\ProductType)")


def _nt_system(hklm: Hklm, facts: MachineFacts) -> None:
    """What the SYSTEM hive alone tells of an NT machine."""
    facts.os_family = "NT"
    here = OPTIONS.replace("CurrentControlSet", hklm.control_set)
    ptype = hklm.value(OPTIONS, "ProductType")
    if isinstance(ptype, str) and ptype.strip():
        facts.product_type = ptype.strip()
        facts.role = ROLES.get(facts.product_type.lower())
        facts.evidence["product_type"] = _ev(here, "ProductType", ptype)
    suite = hklm.value(OPTIONS, "ProductSuite")
    facts.product_suite = [s for s in (suite if isinstance(suite, list) else [suite] if suite else []) if s]
    csd = hklm.value(CONTROL_WINDOWS, "CSDVersion")
    if isinstance(csd, int) and facts.service_pack is None:
        # Control\Windows\CSDVersion is the service pack number times 0x100
        facts.service_pack, facts.service_pack_label = csd >> 8, str(csd >> 8)
        facts.evidence["service_pack"] = _ev(CONTROL_WINDOWS.replace("CurrentControlSet", hklm.control_set),
                                             "CSDVersion", f"0x{csd:x}")
    arch = hklm.value(f"{SESSION_MANAGER}\\Environment", "PROCESSOR_ARCHITECTURE")
    facts.architecture = arch.strip() if isinstance(arch, str) and arch.strip() else None
    session = hklm.key(SESSION_MANAGER)
    if session is not None:
        renames = session.value("PendingFileRenameOperations")
        facts.pending_renames = bool(renames)


def _9x_os(hklm: Hklm, facts: MachineFacts) -> None:
    number = str(hklm.value(WIN_CURRENT, "VersionNumber")).strip()
    facts.os_family = "9x"
    facts.version = number
    facts.build = number.rsplit(".", 1)[-1] if "." in number else None
    facts.evidence["version"] = _ev(WIN_CURRENT, "VersionNumber", number)
    sub = hklm.value(WIN_CURRENT, "SubVersionNumber")
    facts.csd_version = sub.strip() if isinstance(sub, str) and sub.strip() else None
    facts.service_pack, facts.service_pack_label = 0, "0"


def _os_product(hklm: Hklm, facts: MachineFacts, rules: dict) -> dict | None:
    for rule in rules["os"]:
        if rule.get("family") != facts.os_family or not _os_matches(facts, rule):
            continue
        evidence = facts.evidence.get("version", "")
        if "suite" in rule:  # Terminal Server Edition and the like: the suite is what made it this product
            here = OPTIONS.replace("CurrentControlSet", hklm.control_set)
            evidence += f"; HKLM\\{here}\\ProductSuite includes {q(rule['suite'])}"
        if facts.os_family == "9x" and isinstance(rule.get("service_pack"), dict):
            _9x_level(hklm, facts, rule["service_pack"])
        facts.os = ProductFact(rule["name"], facts.version, facts.service_pack, facts.service_pack_label,
                               evidence, sp_known=facts.os_family == "NT")
        return rule
    if facts.os_family:
        facts.missing.append(f"OS product name (no rule for {facts.os_family} version {q(facts.version)}, "
                             f"product type {q(facts.product_type)})")
    return None


def _os_matches(facts: MachineFacts, rule: dict) -> bool:
    if facts.os_family == "9x":
        window, version = rule.get("version_number", {}), parse_version(facts.version)
        return version is not None and parse_version(window["min"]) <= version < parse_version(window["below"])
    if rule.get("version") != facts.version or facts.product_type not in rule.get("product_type", []):
        return False
    return "suite" not in rule or any(rule["suite"].lower() in s.lower() for s in facts.product_suite)


def _9x_level(hklm: Hklm, facts: MachineFacts, spec: dict) -> None:
    """Windows 95's OEM Service Release from the SubVersionNumber letter (KB 158238): not installable updates,
    so never a 'service pack missing', but the level the catalog limits patches by."""
    value = hklm.value(spec["key"], spec["value"])
    letter = value.strip().upper()[:1] if isinstance(value, str) else ""
    label = spec["letters"].get(letter) if letter else spec["default"]
    facts.service_pack_label = label
    shown = f"HKLM\\{spec['key']}\\{spec['value']} = {q(value)}" if value is not None else \
        f"HKLM\\{spec['key']}\\{spec['value']} absent"
    facts.evidence["service_pack"] = (f"{shown}: {service_pack_text(label) or 'Gold'}" if label is not None
                                      else f"{shown}: a level hfstage does not know")


def _part_of_windows(hklm: Hklm, facts: MachineFacts, os_rule: dict | None) -> None:
    """A product every such Windows has (IE on 98 and 2000) but no rule found: the data is incomplete or
    unreadable; the machine is not one without it, and is not compliant on the strength of that."""
    for part in (os_rule or {}).get("ships_with", []):
        apps = [app for app in facts.applications if app.name.startswith(part["product"])]
        for app in apps:
            app.part_of_windows = True
        if apps:
            continue
        value = hklm.value(part["key"], part["value"])
        where = f"HKLM\\{part['key']}\\{part['value']}"
        found = f"{where} absent" if value is None else f"{where} is {q(str(value)[:60])}, which no rule knows"
        facts.missing.append(f"{part['product']}, part of every {facts.os.name}: {found}")


def _paths(hklm: Hklm, facts: MachineFacts) -> None:
    root = hklm.value(NT_CURRENT, "SystemRoot") or hklm.value(WIN_CURRENT, "SystemRoot")
    if isinstance(root, str) and root.strip():
        facts.system_root = root.strip().rstrip("\\")
    program_files = hklm.value(WIN_CURRENT, "ProgramFilesDir")
    if isinstance(program_files, str) and program_files.strip():
        facts.program_files = program_files.strip().rstrip("\\")
    for variable, (path, name) in PATH_VARIABLES.items():
        value = hklm.value(path, name)
        if isinstance(value, str) and re.match(r"^[A-Za-z]:\\", value.strip()):
            facts.paths[variable] = value.strip().rstrip("\\")


def _applications(hklm: Hklm, facts: MachineFacts, rules: dict) -> None:
    for rule in rules["applications"]:
        if "instances" not in rule:
            _application(hklm, facts, rule, None)
            continue
        # SQL Server 2000 / MSDE: the default instance and each named one, each with its own keys and level
        for instance, root in instance_roots(hklm, rules["instances"][rule["instances"]]):
            _application(hklm, facts, at_root(rule, root), instance)


def _application(hklm: Hklm, facts: MachineFacts, rule: dict, instance: str | None) -> None:
    hit = match_application(hklm, rule)
    if hit is None:
        return
    spec = rule.get("service_pack")
    if spec == "os":  # its service pack is the OS's: a missing one is said once, for the OS
        sp, label, known = facts.service_pack, facts.service_pack_label, False
    elif isinstance(spec, dict):
        sp = service_pack_from(hklm, spec)
        label, known = (None, False) if sp is None else (str(sp), True)
    else:
        sp, label, known = 0, "0", False
    version = str(hit.value) if not isinstance(hit.value, bool) else None
    evidence = hit.evidence + (f" (named instance {instance})" if instance else "")
    facts.applications.append(ProductFact(rule["name"], version, sp, label, evidence, sp_known=known,
                                          instance=instance))


def _hotfixes(hklm: Hklm, facts: MachineFacts) -> None:
    sources = [(f"{NT_CURRENT}\\Hotfix", "Hotfix"), (f"{WIN_CURRENT}\\Setup\\Updates", "Setup\\Updates")]
    for path, source in sources:
        key = hklm.key(path)
        for sub in key.subkeys() if key is not None else []:
            installed = sub.value("Installed")
            facts.hotfixes.append(HotfixFact(
                id=sub.name, installed=installed if isinstance(installed, int) else None, source=source,
                key=f"HKLM\\{path}\\{sub.name}"))
    updates = hklm.key("SOFTWARE\\Microsoft\\Updates")
    if updates is not None:
        _walk_updates(updates, "SOFTWARE\\Microsoft\\Updates", facts, 0)


def _walk_updates(key, path: str, facts: MachineFacts, depth: int) -> None:
    """Microsoft\\Updates\\<product>\\<SPn>\\<KB/Q id>: ids sit at varying depths."""
    for sub in key.subkeys():
        sub_path = f"{path}\\{sub.name}"
        if _HOTFIX_ID.match(sub.name):
            installed = sub.value("Installed")
            facts.hotfixes.append(HotfixFact(
                id=sub.name, installed=installed if isinstance(installed, int) else None, source="Updates",
                key=f"HKLM\\{sub_path}"))
        elif depth < 3:
            _walk_updates(sub, sub_path, facts, depth + 1)


@dataclass(frozen=True)
class CatalogAsks:
    """What a catalog asks of every machine, worked out once for 5,000: the registry values its RegChanges check
    (HKLM only, each once, spelled as the catalog first spells it) and its products by name."""

    registry: tuple[tuple[str, str], ...]
    products: dict
    file_paths: dict = field(default_factory=dict, compare=False)  # files.paths_for's, per shape of machine
    plans: dict = field(default_factory=dict, compare=False)  # registry_plan's, per control set
    asked: dict = field(default_factory=dict, compare=False)  # questions', per control set
    levels: dict = field(default_factory=dict, compare=False)  # (product id, level label) -> its ServicePackID

    @classmethod
    def of(cls, catalog: Catalog) -> CatalogAsks:
        seen: dict[tuple[str, str], tuple[str, str]] = {}
        for rc in catalog.reg_changes.values():
            if rc.key and rc.key.upper().startswith(("HKLM\\", "HKEY_LOCAL_MACHINE\\")):
                seen.setdefault((rc.key.lower(), rc.value_name.lower()), (rc.key, rc.value_name))
        return cls(tuple(seen.values()), {p.name.strip().lower(): p for p in catalog.products.values()})

    def registry_plan(self, lookup_set: str) -> tuple[KeyPlan, tuple, tuple]:
        """The catalog's keys as a KeyPlan under LOOKUP_SET; each registry value asked: (its key's index in the
        plan or None outside SOFTWARE and SYSTEM, the key, the value name); and the keys a capture keeps
        (capture.kept_keys); made once per control set."""
        if lookup_set not in self.plans:
            plan = KeyPlan(lookup_set)
            asked = tuple((plan.at(path), path, name) for path, name in self.registry)
            self.plans[lookup_set] = plan, asked, kept_keys(plan, tuple(path for path, _ in self.registry))
        return self.plans[lookup_set]


    def questions(self, lookup_set: str) -> tuple[tuple[Question, str, str], ...]:
        """Each registry value asked, as (capture.question of its key, the value name, lowered) under LOOKUP_SET:
        a remembered registry (CapturedHklm) answers them with no path split or lowered again; made once per
        control set."""
        if lookup_set not in self.asked:
            self.asked[lookup_set] = tuple((question(path, lookup_set), name, name.lower())
                                           for path, name in self.registry)
        return self.asked[lookup_set]


def resolve_catalog_ids(facts: MachineFacts, catalog: Catalog, asks: CatalogAsks | None = None) -> None:
    """Set ProductID and ServicePackID of each detected product from CATALOG, by name."""
    asks = asks or CatalogAsks.of(catalog)
    facts.catalog_version = catalog.data_version
    for product in facts.products:
        entry = asks.products.get(product.name.lower())
        if entry is None:
            continue
        product.product_id = entry.id
        level = (entry.id, product.service_pack_label)  # the catalog's answer, the same for 5,000 machines
        if level not in asks.levels:
            asks.levels[level] = service_pack_id(catalog, entry, product.service_pack_label)
        product.service_pack_id = asks.levels[level]


def catalog_registry(hklm: Hklm, facts: MachineFacts, catalog: Catalog, asks: CatalogAsks | None = None) -> None:
    """Read every registry value the catalog's RegChanges check (HKLM only)."""
    asks = asks or CatalogAsks.of(catalog)
    if not isinstance(hklm, Hklm):
        _remembered_registry(hklm, facts, asks)
    else:
        plan, asked, _ = asks.registry_plan(hklm.lookup_set)
        for index, path, value_name in asked:
            key = hklm.planned(plan, index) if index is not None else None
            if key is None:
                continue  # absent keys are said once, by facts.registry_checked
            value = key.value(value_name) if value_name else None
            facts.registry.append(RegFact(path, value_name, True, None if value is None else reg_text(value)))
    facts.registry_checked = True


def _remembered_registry(hklm, facts: MachineFacts, asks: CatalogAsks) -> None:
    """catalog_registry's reads from a remembered registry (inventory.capture): its values were kept as text, by
    lowered name, so each is taken as it is (5,000 machines, a few hundred values each)."""
    found = facts.registry
    for asked, value_name, lowered in asks.questions(hklm.lookup_set):
        values = hklm.values(asked)
        if values is not None:  # absent keys are said once, by facts.registry_checked
            found.append(RegFact(asked[0], value_name, True, values.get(lowered) if value_name else None))
