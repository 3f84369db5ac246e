"""MachineFacts: what one machine is, each fact with the evidence it rests on."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from functools import cached_property


@dataclass
class ProductFact:
    """An installed product as the catalog names it, at a service pack level."""

    name: str
    version: str | None = None
    service_pack: int | None = None
    service_pack_label: str | None = None
    evidence: str = ""
    product_id: int | None = None
    service_pack_id: int | None = None
    sp_known: bool = False  # its own service pack was read from the machine (not assumed, not the OS's)
    instance: str | None = None  # a named instance (SQL Server / MSDE 2000), None for the default or only one
    part_of_windows: bool = False  # a product every such Windows has (products.json ships_with: IE on 98, 2000)


@dataclass
class HotfixFact:
    """A Hotfix / Updates registry entry (Q or KB number). No key time: an export of the keys carries none, and
    the facts from keys and from whole hives are the same facts."""

    id: str
    installed: int | None
    source: str
    key: str


@dataclass
class FileFact:
    """A file the catalog cares about, as found (or not) among the collected files."""

    path: str
    found: bool
    size: int | None = None
    file_version: str | None = None
    product_version: str | None = None
    file_version_string: str | None = None
    checksum: int | None = None
    machine_type: str | None = None
    problem: str | None = None


@dataclass
class RegFact:
    """A registry value the catalog checks, as read from the machine."""

    key: str
    value_name: str
    key_found: bool
    value: str | None = None


@dataclass
class MachineFacts:
    machine: str
    computer_name: str | None = None
    os_family: str | None = None
    os: ProductFact | None = None
    version: str | None = None
    build: str | None = None
    csd_version: str | None = None
    service_pack: int | None = None
    service_pack_label: str | None = None
    product_type: str | None = None
    role: str | None = None  # workstation, server or domain controller (from ProductType)
    product_suite: list[str] = field(default_factory=list)
    architecture: str | None = None
    pending_renames: bool | None = None  # PendingFileRenameOperations: a reboot is pending
    system_root: str | None = None  # as the client's registry says it: finds the collected copies, runs nothing
    program_files: str | None = None
    paths: dict[str, str] = field(default_factory=dict)  # other %VARIABLES% read from the registry
    applications: list[ProductFact] = field(default_factory=list)
    hotfixes: list[HotfixFact] = field(default_factory=list)
    files: list[FileFact] = field(default_factory=list)
    registry: list[RegFact] = field(default_factory=list)
    files_absent: str | None = None  # what every catalog file not in `files` is (not collected / not present)
    registry_checked: bool = False  # every catalog registry key not in `registry` is absent
    evidence: dict[str, str] = field(default_factory=dict)
    inputs: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    parse_errors: list[str] = field(default_factory=list)  # input lines or files that could not be read
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    collected: bool = True  # False: the folder exists but no collector has written to it yet
    catalog_version: str | None = None
    done_markers: list[str] = field(default_factory=list)  # identities in the client's hfstage .ok markers
    # how its scripts run and what its packages must be (inventory.settings, data/machine_settings.json)
    language: str | None = None  # language ID as four hex digits (0409)
    installer_version: str | None = None  # Windows Installer: msi.dll's file version
    fast_logon: bool | None = None  # XP: True when startup scripts may run before the network is up
    script_wait: int | None = None  # 2000/XP/2003: MaxGPOScriptWait seconds (0: no limit)
    # who wrote the evidence (inventory.binding): machine account, user or unbound, and which account
    binding: str | None = None
    binding_owner: str | None = None
    account: str | None = None  # the machine's computer account as this server knows it, if any
    stale: list[str] = field(default_factory=list)  # files a newer collection could not replace
    refused: list[str] = field(default_factory=list)  # files in its folder refused and named, not read

    @property
    def products(self) -> list[ProductFact]:
        """The OS first, then applications."""
        return ([self.os] if self.os else []) + self.applications

    def hotfix_ids(self) -> set[str]:
        return {h.id.upper() for h in self.hotfixes}


    @cached_property
    def _file_index(self) -> dict[str, FileFact]:
        return {f.path.lower(): f for f in self.files}

    @cached_property
    def _reg_index(self) -> dict[tuple[str, str], RegFact]:
        return {(r.key.lower(), r.value_name.lower()): r for r in self.registry}

    @cached_property
    def expanded(self) -> dict[tuple, str | None]:
        """Catalog locations already expanded for this machine (files.expand_location keeps them here)."""
        return {}

    def file(self, path: str) -> FileFact | None:
        """The evidence for PATH; None when files were not examined at all."""
        found = self._file_index.get(path.lower())
        if found is None and self.files_absent is not None:
            return FileFact(path, False, problem=self.files_absent)
        return found

    def reg(self, key: str, value_name: str) -> RegFact | None:
        """The registry evidence; None when the catalog's registry values were not read."""
        found = self._reg_index.get((key.lower(), value_name.lower()))
        if found is None and self.registry_checked:
            return RegFact(key, value_name, False)
        return found

    def to_dict(self) -> dict:
        """asdict's result, made without its deep copy of every value (5,000 machines a month): the nested facts
        hold only strings, numbers and None."""
        out = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if isinstance(value, list):
                value = [dict(v.__dict__) if hasattr(v, "__dataclass_fields__") else v for v in value]
            elif isinstance(value, dict):
                value = dict(value)
            elif value is not None and hasattr(value, "__dataclass_fields__"):
                value = dict(value.__dict__)
            out[name] = value
        return out

    @classmethod
    def from_dict(cls, data: dict) -> MachineFacts:
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known}
        kwargs["os"] = ProductFact(**data["os"]) if data.get("os") else None
        kwargs["applications"] = [ProductFact(**p) for p in data.get("applications", [])]
        kwargs["hotfixes"] = [HotfixFact(**h) for h in data.get("hotfixes", [])]
        kwargs["files"] = [FileFact(**f) for f in data.get("files", [])]
        kwargs["registry"] = [RegFact(**r) for r in data.get("registry", [])]
        return cls(**kwargs)


_FIELDS = tuple(f.name for f in fields(MachineFacts))


def hotfix_aliases(qnumber: str) -> list[str]:
    """The Hotfix key names one Q/KB number was written under: packages of the era used either."""
    digits = qnumber.strip().upper().lstrip("QKB")
    return [f"Q{digits}", f"KB{digits}"] if digits.isdigit() else []


def service_pack_text(label: str | None, lead: str = "") -> str:
    """How a service pack level reads: 'SP6a', 'OSR2.5'; empty for Gold ('0') or an unknown level."""
    if label in (None, "", "0"):
        return ""
    return lead + (f"SP{label}" if label[:1].isdigit() else label)
