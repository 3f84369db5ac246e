"""How a package installs: its kind from facts, in order, each decision with its source.

1. site.ini: [switches] for this package (the admin's own command) or [installers], by its build's
   place (MS00-047\\TSE\\Q269239i.exe) before its file name;
2. the package itself (its engine, read by inspect.py);
3. the OS family and product the patch is for (installers.json "choose" rules with a product
   or family); 4. its name (rules with a pattern); 5. nothing matched: no kind at all.
Only 1 and 2 are confirmed by themselves; a kind from 3-4 is a guess that is shown, never run:
the scripts run the package once an admin names its kind (`hfstage packages confirm --kind`).
An unknown engine is never taken for Hotfix.exe: the GUI Hotfix utility of Exchange and SMS
reads -z as "extract and restart" (KB 257946).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from hfstage import resources
from hfstage.packages.inspect import PackageFacts

ENGINES_NAME = "package_engines.json"
INSTALLERS_NAME = "installers.json"


@functools.cache
def load_installers() -> dict:
    """The installer table: kinds and their switches, the rules for a package that shows nothing, reboots.
    Read once per process (callers only read it)."""
    return resources.data_json(INSTALLERS_NAME)


@functools.cache
def load_engines() -> dict:
    return resources.data_json(ENGINES_NAME)["engines"]


@dataclass(frozen=True)
class Engine:
    name: str
    evidence: str


@dataclass(frozen=True)
class Decision:
    """The kind a package installs as (None: no silent switch set is known), and why."""

    kind: str | None
    source: str  # "site.ini", "package", "admin" (named at confirm), "product", "name" or "default"
    why: str
    switches: str | None = None  # site.ini [switches]: the admin's exact switches

    @property
    def confirmed(self) -> bool:
        """Settled by the admin or by the package itself, not guessed."""
        return self.source in ("site.ini", "package", "admin")


def detect_engine(facts: PackageFacts) -> Engine | None:
    """The installer engine the package's own bytes show, strongest evidence first (None: they show none)."""
    if facts.format in ("msi", "msp", "mst", "ole"):
        return Engine(facts.format, f"compound file with the {facts.format.upper()} root CLSID")
    if facts.format != "pe":
        return None
    members = {m.replace("/", "\\").casefold() for m in facts.members}
    bare = {m.rsplit("\\", 1)[-1] for m in members}
    if "CABINET" in facts.rcdata and "RUNPROGRAM" in facts.rcdata:
        if {"ohotfix.exe", "ohotfix.ini"} <= bare:
            return Engine("ohotfix", "IExpress resources; its cabinet holds ohotfix.exe and ohotfix.ini")
        return Engine("iexpress", f"RCDATA CABINET and RUNPROGRAM ({facts.run_program or 'no command'})")
    s = {k: v.split()[0].casefold() if v.split() else "" for k, v in facts.strings.items()}
    if facts.manifest_name and facts.manifest_name.casefold() == "wextract" or s.get("OriginalFilename") == \
            "wextract.exe" or s.get("InternalName") == "wextract" or \
            facts.strings.get("FileDescription", "").casefold() == "win32 cabinet self-extractor":
        return Engine("iexpress", "version resource of the Win32 Cabinet Self-Extractor (Wextract)")
    engine = facts.strings.get("Installer Engine", "").casefold()
    if engine in ("update.exe", "hotfix.exe"):
        version = facts.strings.get("Installer Version")
        return Engine(engine.removesuffix(".exe"), f"Installer Engine = {facts.strings['Installer Engine']}"
                      + (f", Installer Version = {version}" if version else ""))
    if facts.appended_cabinet:
        if "i386\\update\\update.exe" in members:
            return Engine("servicepack", "appended cabinet holds i386\\update\\update.exe")
        if "update.exe" in bare or "update.inf" in bare or "_sfx_manifest_" in bare:
            inner = f" {facts.inner_update_version}" if facts.inner_update_version else ""
            return Engine("update", f"appended cabinet holds update.exe{inner}" if "update.exe" in bare
                          else "appended cabinet holds an Update.exe delta package (_sfx_manifest_)")
        if {"hotfix.exe", "hotfix.inf"} <= bare:
            return Engine("hotfix", "appended cabinet holds hotfix.exe and hotfix.inf")
        return Engine("sfxcab", "appended cabinet without update.exe or hotfix.exe")
    if (facts.manifest_name or "").casefold() == "sfxcab" or \
            facts.strings.get("FileDescription", "").casefold() == "self-extracting cabinet":
        return Engine("sfxcab", "version resource of a self-extracting cabinet, but no readable cabinet")
    return None


def decide(name: str, product: str, family: str, facts: PackageFacts | None, table: dict, engines: dict,
           site_kinds: dict[str, str], site_switches: dict[str, str], place: str | None = None) -> Decision:
    """The kind package NAME (the build at PLACE below hotfixes\\, for a name several builds share) installs
    as, for a patch of PRODUCT on FAMILY (NT or 9x), and its source."""
    for key in dict.fromkeys(k.strip().casefold() for k in (place or name, name)):
        if key in site_switches:
            return Decision(site_kinds.get(key, "hotfix"), "site.ini", "[switches] gives its switches",
                            site_switches[key])
        if key in site_kinds:
            return Decision(site_kinds[key], "site.ini", "[installers] names its kind")
    engine = detect_engine(facts) if facts is not None else None
    if engine is not None:
        entry = engines.get(engine.name, {"kind": None, "label": engine.name})
        return Decision(entry["kind"], "package", f"{entry['label']}: {engine.evidence}")
    for rule in table["choose"]:
        if "pattern" in rule and not re.search(rule["pattern"], name):
            continue
        if "family" in rule and rule["family"] != family:
            continue
        if "product" in rule and not re.search(rule["product"], product):
            continue
        source = "product" if ("family" in rule or "product" in rule) else "name" if "pattern" in rule else "default"
        return Decision(rule["kind"], source, rule.get("why", ""))
    return Decision(None, "default", "nothing shows its engine")


# A package's hotfix identity as its file name gives it (Q326830_W2K_SP4_X86_EN.exe, WindowsXP-KB824146-x86-ENU.exe)
_NAMED_ID = re.compile(r"(?:^|[^A-Za-z0-9])(KB|Q)(\d{5,7})(?![0-9])", re.IGNORECASE)
_CATALOG_ID = re.compile(r"^(KB|Q)(\d{5,7})$", re.IGNORECASE)


def uninstall_folder(package: str, qnumber: str | None) -> str | None:
    """The one %SystemRoot% folder the package's engine writes its uninstall data to: $NtUninstall<ID>$.

    Update.exe and Hotfix.exe name it after the package's own identity, the Q or KB form its build carries
    (2002's Q326830_... packages write $NtUninstallQ326830$, 2003's ...-KB824146-... $NtUninstallKB824146$;
    DESIGN §5, KB 296861): the package's file name, else the catalog's Q number in the form it is written.
    Decided here, on the server: never by which folder exists on the client, where users may create one."""
    found = _NAMED_ID.search(package.replace("\\", "/").rsplit("/", 1)[-1])
    if found is None:
        found = _CATALOG_ID.match((qnumber or "").strip())
    return f"$NtUninstall{found.group(1).upper()}{found.group(2)}$" if found else None
