"""Inventory: machine facts from offline hives, .reg exports and PE files, for every machine."""

from hfstage.inventory.binding import (
    EVIDENCE_WORDS,
    MACHINE_ACCOUNT,
    UNBOUND,
    USER,
    Accounts,
    Binding,
    folder_binding,
)
from hfstage.inventory.facts import (
    FileFact,
    HotfixFact,
    MachineFacts,
    ProductFact,
    RegFact,
    hotfix_aliases,
    service_pack_text,
)
from hfstage.inventory.families import (
    Foreign,
    family_folder,
    foreign_engine,
    foreign_key,
    foreign_location,
    load_families,
)
from hfstage.inventory.files import expand_location
from hfstage.inventory.gather import MachineInputs, gather_facts, locate_inputs
from hfstage.inventory.levels import service_pack_id
from hfstage.inventory.lifecycle import ACCEPTED, PENDING, RETIRED, STANDINGS, Lifecycle, MachineRecord
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import UNNAMED, Skipped, machine_folders, printable
from hfstage.inventory.needs import Need, holds, needed_keys, not_taken, outermost
from hfstage.inventory.outputs import output_of, outputs
from hfstage.inventory.pe import PeVersion, parsed_pe, pe_version, read_pe_version, read_pe_versions, version_strings
from hfstage.inventory.present import facts_text
from hfstage.inventory.rules import load_rules, load_site_rules, rule_keys, site_rules_path
from hfstage.inventory.run import InventoryResult, evidence_seen, facts_hash, inventory
from hfstage.inventory.settings import installer_file, load_settings, setting_keys
from hfstage.inventory.survey import FolderSeen

__all__ = [
    "ACCEPTED", "EVIDENCE_WORDS", "MACHINE_ACCOUNT", "PENDING", "RETIRED", "STANDINGS", "UNBOUND", "USER", "Accounts",
    "Binding", "Lifecycle", "MachineRecord", "folder_binding", "output_of", "outputs",
    "UNNAMED", "evidence_seen", "Need", "holds", "needed_keys", "not_taken", "outermost",
    "Foreign", "family_folder", "foreign_engine", "foreign_key", "foreign_location", "load_families",
    "rule_keys", "FileFact", "FolderSeen", "HotfixFact", "InventoryResult", "Limits", "MachineFacts",
    "MachineInputs", "PeVersion",
    "ProductFact", "RegFact", "Skipped", "expand_location", "facts_hash", "facts_text", "gather_facts",
    "hotfix_aliases", "inventory", "load_rules", "load_site_rules", "locate_inputs",
    "machine_folders", "parsed_pe", "pe_version", "printable", "read_pe_version", "read_pe_versions", "service_pack_id",
    "service_pack_text", "site_rules_path", "version_strings", "installer_file", "load_settings", "setting_keys",
]
