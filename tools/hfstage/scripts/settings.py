"""What the script stage takes from site.ini, checked for batch safety before anything is rendered."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from hfstage import resources
from hfstage.errors import UsageError
from hfstage.scripts.batch import check_command, check_file_name, check_unc
from hfstage.share import SiteConfig

INSTALLERS_NAME = "installers.json"


@dataclass(frozen=True)
class ScriptSettings:
    unc: str
    netlogon: str
    max_attempts: int
    passive: bool
    kinds: dict[str, str] = field(default_factory=dict)  # package name (casefolded) -> installer kind
    switches: dict[str, str] = field(default_factory=dict)  # package name (casefolded) -> switches
    reboot: dict[str, str] = field(default_factory=dict)  # nt4 | w2k | xp | 9x | 95 -> command
    service_packs: dict[str, str] = field(default_factory=dict)  # OS product (casefolded) -> package

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.__dict__, sort_keys=True).encode()).hexdigest()


def load_installers() -> dict:
    """The installer table: kinds and their switches, how a kind is chosen, reboot commands."""
    return resources.data_json(INSTALLERS_NAME)


def script_settings(config: SiteConfig, what: str = "logon scripts") -> ScriptSettings:
    """The script settings of site.ini; the UNC path must be set (scripts never point at a placeholder)."""
    unc = check_unc(config.require_unc(what))
    netlogon = check_unc(config.netlogon_unc or f"{unc}\\netlogon", "[share] netlogon_unc in site.ini")
    table = load_installers()
    kinds = {}
    for e in config.section("installers"):
        if str(e.value) not in table["kinds"]:
            raise UsageError(f"{e.where}: [installers] {e.key} = {e.value}: use one of {', '.join(table['kinds'])}")
        kinds[e.key.strip().casefold()] = str(e.value)
    switches = {e.key.strip().casefold(): check_command(str(e.value), f"{e.where}: [switches] {e.key}")
                for e in config.section("switches")}
    reboot = {key: check_command(value, f"{config.where('reboot', key)}: [reboot] {key}")
              for key, value in config.values["reboot"].items() if value}
    service_packs = {e.key.strip().casefold(): check_file_name(str(e.value), f"{e.where}: [service_packs] {e.key}")
                     for e in config.section("service_packs")}
    return ScriptSettings(unc, netlogon, config.get("scripts", "max_attempts"), config.get("scripts", "passive"),
                          kinds, switches, reboot, service_packs)
