"""What the script stage takes from site.ini, checked for batch safety before anything is rendered."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from hfstage.errors import UsageError
from hfstage.packages import load_installers
from hfstage.scripts.approval import Gate
from hfstage.scripts.batch import check_batch_value, check_command, check_file_name, check_unc
from hfstage.scripts.window import Window, parse_window
from hfstage.share import SiteConfig, fingerprint, machine_name_problem


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
    reboot_roles: dict[str, str] = field(default_factory=dict)  # workstation | server | domain controller -> mode
    reboot_machines: dict[str, str] = field(default_factory=dict)  # machine (casefolded) -> auto | never
    reboot_delay: int = 60
    reboot_message: str = ""
    window: Window | None = None  # when servers and domain controllers may install
    gate: Gate = Gate()  # approvals and rings: which patches may reach which machines (auto: all)
    collect_mode: str = "keys"  # [collect] mode: keys | hives
    collect_interval: int = 1  # [collect] interval: N = at most once per N days (N distinct days), 0 = every run

    def reboot_mode(self, machine: str, role: str | None) -> str:
        """auto or never: the machine's own line in site.ini, else its role's; a machine whose role is
        unknown is treated as a server (it might be a domain controller)."""
        if machine.casefold() in self.reboot_machines:
            return self.reboot_machines[machine.casefold()]
        return self.reboot_roles.get(role or "server", "never")

    def fingerprint(self) -> str:
        return fingerprint(asdict(self))


def package_choices(config: SiteConfig) -> tuple[dict[str, str], dict[str, str]]:
    """site.ini's [installers] (package -> kind) and [switches] (package -> exact switches), checked."""
    table = load_installers()
    kinds = {}
    for e in config.section("installers"):
        if str(e.value) not in table["kinds"]:
            raise UsageError(f"{e.where}: [installers] {e.key} = {e.value}: use one of {', '.join(table['kinds'])}")
        kinds[e.key.strip().casefold()] = str(e.value)
    switches = {e.key.strip().casefold(): check_command(str(e.value), f"{e.where}: [switches] {e.key}")
                for e in config.section("switches")}
    return kinds, switches


def script_settings(config: SiteConfig, what: str = "logon scripts") -> ScriptSettings:
    """The script settings of site.ini; the UNC path must be set (scripts never point at a placeholder)."""
    unc = check_unc(config.require_unc(what))
    netlogon = check_unc(config.netlogon_unc or f"{unc}\\netlogon", "[share] netlogon_unc in site.ini")
    kinds, switches = package_choices(config)
    reboot = {key: check_command(value, f"{config.where('reboot', key)}: [reboot] {key}")
              for key, value in config.values["reboot"].items() if value}
    service_packs = {e.key.strip().casefold(): check_file_name(str(e.value), f"{e.where}: [service_packs] {e.key}")
                     for e in config.section("service_packs")}
    reboot_machines = {}
    for e in config.section("reboot_machines"):
        problem = machine_name_problem(e.key.strip())
        if problem:
            raise UsageError(f"{e.where}: [reboot_machines] {e.key}: {problem}")
        reboot_machines[e.key.strip().casefold()] = str(e.value)
    roles = {"workstation": config.get("reboot_policy", "workstation"),
             "server": config.get("reboot_policy", "server"),
             "domain controller": config.get("reboot_policy", "domain_controller")}
    message = check_batch_value(config.get("reboot_policy", "message"),
                                f"{config.where('reboot_policy', 'message')}: [reboot_policy] message")
    if len(message) > 120:
        raise UsageError(f"{config.where('reboot_policy', 'message')}: [reboot_policy] message is {len(message)} "
                         "characters; shutdown.exe shows at most 120")
    window = parse_window(config.get("maintenance", "window"),
                          f"{config.where('maintenance', 'window')}: [maintenance]")
    return ScriptSettings(unc, netlogon, config.get("scripts", "max_attempts"), config.get("scripts", "passive"),
                          kinds, switches, reboot, service_packs, roles, reboot_machines,
                          config.get("reboot_policy", "delay"), message, window,
                          collect_mode=config.get("collect", "mode"),
                          collect_interval=config.get("collect", "interval"))
