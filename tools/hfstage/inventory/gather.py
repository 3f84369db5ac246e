"""Facts for one machine from a collector folder or from a mounted system drive."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog.model import Catalog
from hfstage.errors import InputError
from hfstage.inventory.detect import catalog_registry, detect, resolve_catalog_ids
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.files import CaseInsensitiveTree, collect_file_facts
from hfstage.inventory.hive import open_hive
from hfstage.inventory.regfile import read_reg_files
from hfstage.inventory.regtree import Hklm, walk
from hfstage.inventory.rules import load_rules

HIVE_NAMES = {"software": "software", "software.hiv": "software", "system": "system", "system.hiv": "system"}
FILES_DIR = "files"
MANIFEST = "manifest.txt"


@dataclass
class MachineInputs:
    """What was found for one machine: hives, .reg exports, a files root."""

    name: str
    kind: str  # "folder" or "drive"
    software: Path | None = None
    system: Path | None = None
    reg_files: list[Path] = field(default_factory=list)
    files_root: Path | None = None

    def all_files(self) -> list[Path]:
        """Every input file (for cache fingerprints); the files/ tree is walked lazily."""
        found = [p for p in (self.software, self.system) if p] + self.reg_files
        if self.kind == "folder" and self.files_root is not None:
            found += sorted(p for p in self.files_root.rglob("*") if p.is_file())
        return found


def _child(folder: Path, *names: str) -> Path | None:
    tree = CaseInsensitiveTree(folder)
    return tree.find("\\".join(names))


def locate_inputs(path: Path) -> MachineInputs:
    """Recognise a collector folder (SOFTWARE/SYSTEM/*.reg/files) or a system drive root."""
    path = Path(path)
    if not path.is_dir():
        raise InputError(f"{path}: not a folder (give a machine's inventory folder or a mounted system drive)")
    for windows in ("WINNT", "WINDOWS"):
        config = _child(path, windows, "system32", "config")
        if config is not None and config.is_dir():
            return MachineInputs(path.name or str(path), "drive", _child(config, "SOFTWARE"),
                                 _child(config, "SYSTEM"), [], path)
    inputs = MachineInputs(path.name, "folder")
    for entry in sorted(path.iterdir()):
        lower = entry.name.lower()
        if entry.is_file() and HIVE_NAMES.get(lower) == "software":
            inputs.software = entry
        elif entry.is_file() and HIVE_NAMES.get(lower) == "system":
            inputs.system = entry
        elif entry.is_file() and lower.endswith(".reg"):
            inputs.reg_files.append(entry)
        elif entry.is_dir() and lower == FILES_DIR:
            inputs.files_root = entry
    return inputs


def _open(path: Path | None, facts: MachineFacts, what: str):
    if path is None:
        return None
    try:
        root = open_hive(path)
    except InputError as e:
        facts.error = str(e)
        return None
    facts.inputs.append(str(path))
    return root


def _hklm(inputs: MachineInputs, facts: MachineFacts) -> Hklm | None:
    if inputs.software is None and inputs.system is None and not inputs.reg_files:
        facts.error = f"{inputs.name}: no SOFTWARE or SYSTEM hive and no .reg export found"
        return None
    software = _open(inputs.software, facts, "SOFTWARE")
    system = _open(inputs.system, facts, "SYSTEM")
    if inputs.reg_files:
        export = read_reg_files(inputs.reg_files)
        facts.inputs.extend(str(p) for p in inputs.reg_files)
        facts.warnings.extend(export.warnings)
        hklm_text = walk(export.root, "HKEY_LOCAL_MACHINE")
        software = software or walk(hklm_text, "SOFTWARE")
        system = system or walk(hklm_text, "SYSTEM")
    if inputs.software is None and not inputs.reg_files:
        facts.missing.append("SOFTWARE hive (OS, service pack, products and hotfixes unknown)")
    if inputs.system is None and not inputs.reg_files:
        facts.missing.append("SYSTEM hive (computer name and product type unknown)")
    if software is None and system is None:
        return None
    return Hklm(software, system)


def gather_facts(path: Path, catalog: Catalog | None = None, rules: dict | None = None,
                 inputs: MachineInputs | None = None) -> MachineFacts:
    """MachineFacts for the machine at PATH; a bad input becomes facts.error, never an exception."""
    inputs = inputs or locate_inputs(path)
    facts = MachineFacts(machine=inputs.name)
    try:
        hklm = _hklm(inputs, facts)
        if hklm is not None:
            detect(hklm, facts, rules or load_rules())
            if catalog is not None and hklm.software is not None:
                catalog_registry(hklm, facts, catalog)
    except InputError as e:
        facts.error = str(e)
    if catalog is not None:
        resolve_catalog_ids(facts, catalog)
    if facts.error is None:
        _files(inputs, facts, catalog)
    return facts


def _files(inputs: MachineInputs, facts: MachineFacts, catalog: Catalog | None) -> None:
    if inputs.kind == "drive":
        if catalog is None:
            facts.missing.append("file versions (give --catalog so hfstage knows which files matter)")
            return
        collect_file_facts(facts, CaseInsensitiveTree(inputs.files_root), catalog, "not present on the drive")
        return
    tree = CaseInsensitiveTree(inputs.files_root) if inputs.files_root else None
    # The collector copies every catalog file that exists; when its manifest names this
    # catalog, a file it did not copy is not on the machine.
    collected_for = _manifest(inputs).get("catalog")
    absent = "not present on the machine" if catalog and collected_for == catalog.data_version else "not collected"
    collect_file_facts(facts, tree, catalog, absent)


def _manifest(inputs: MachineInputs) -> dict[str, str]:
    """key=value lines of the collector's manifest.txt (empty when there is none)."""
    if inputs.files_root is None:
        return {}
    path = inputs.files_root.parent / MANIFEST
    try:
        lines = path.read_text(encoding="latin-1").splitlines()
    except OSError:
        return {}
    return {k.strip().lower(): v.strip() for k, _, v in (ln.partition("=") for ln in lines) if _}
