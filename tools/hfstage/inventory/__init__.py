"""Inventory: machine facts from offline hives, .reg exports and PE files, for every machine."""

from hfstage.inventory.detect import service_pack_id
from hfstage.inventory.facts import FileFact, HotfixFact, MachineFacts, ProductFact, RegFact, hotfix_aliases
from hfstage.inventory.files import expand_location
from hfstage.inventory.gather import MachineInputs, gather_facts, locate_inputs
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import UNNAMED, Skipped, machine_folders, printable
from hfstage.inventory.pe import PeVersion, open_pe, read_pe_version, read_pe_versions, version_strings
from hfstage.inventory.present import facts_text, inventory_table, pe_table
from hfstage.inventory.rules import load_rules, load_site_rules, site_rules_path
from hfstage.inventory.run import InventoryResult, facts_hash, inventory

__all__ = [
    "UNNAMED", "FileFact", "HotfixFact", "InventoryResult", "Limits", "MachineFacts", "MachineInputs", "PeVersion",
    "ProductFact", "RegFact", "Skipped", "expand_location", "facts_hash", "facts_text", "gather_facts",
    "hotfix_aliases", "inventory", "inventory_table", "load_rules", "load_site_rules", "locate_inputs",
    "machine_folders", "open_pe", "pe_table", "printable", "read_pe_version", "read_pe_versions", "service_pack_id",
    "site_rules_path", "version_strings",
]
