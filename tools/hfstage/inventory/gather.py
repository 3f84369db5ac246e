"""Facts for one machine from a collector folder or from a mounted system drive.

Every file is read through the share's client-file reader (no links followed, regular
files only, size-capped): a collector folder is written by any user of that machine.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import InputError, q
from hfstage.inventory.binding import UNBOUND, AccountLookup, Accounts, Binding, folder_binding
from hfstage.inventory.collection import collection_of
from hfstage.inventory.detect import detect
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.files import CaseInsensitiveTree, expand_location, file_fact
from hfstage.inventory.hive import open_hive_bytes, unclean_sequence
from hfstage.inventory.limits import Limits
from hfstage.inventory.outputs import Judged, judge_folder, output_of
from hfstage.inventory.raw import RawFacts, project
from hfstage.inventory.regfile import RegExport, parse_reg_text
from hfstage.inventory.regquery import parse_reg_query
from hfstage.inventory.regtree import Hklm, walk
from hfstage.inventory.rules import load_rules
from hfstage.inventory.settings import installer_file
from hfstage.share import Entry, entries, read_client_file

FILES_DIR = "files"
MANIFEST = "manifest.txt"
MANIFEST_MAX = 64 * 1024
DONE_MARKERS = "done.txt"  # the collector's copy of the client's .ok markers (one package identity a line)
DONE_MAX = 256 * 1024
_IDENTITY = re.compile(r"^[A-Za-z0-9_.$()+,;=@#~ -]{1,160}$")
_HIVES = {"software": "software", "system": "system"}  # collector_outputs.json roles of the two hives
LOCAL_RESULTS_ROLE = "local-results"  # the NT 4.0 scheduled job's results log (collector_outputs.json)
_NOT_EVIDENCE = {"log", LOCAL_RESULTS_ROLE}


@dataclass
class MachineInputs:
    """What was found for one machine: hives, .reg exports, a files root; and what was refused."""

    name: str
    kind: str  # "folder" or "drive"
    root: Path  # the admin-owned folder every read starts from (no link is followed below it)
    software: Path | None = None
    system: Path | None = None
    reg_files: list[Path] = field(default_factory=list)
    files_root: Path | None = None
    refused: list[str] = field(default_factory=list)  # evidence refused: nothing of the machine is believed
    stats: list[tuple] = field(default_factory=list)  # (name, size, mtime_ns, owner) of each input
    binding: Binding | None = None  # who the folder is given to (a folder on the share)
    judged: Judged = field(default_factory=Judged)  # its names, judged against the collectors' table
    listing: list[tuple] = field(default_factory=list)  # every name in the folder as found: the cache's key
    unbelieved: set[str] = field(default_factory=set)  # reg query outputs that are not of the key they should be
    local_results: list[Entry] = field(default_factory=list)  # its scheduled job's results log(s) as listed
    manifest: dict[str, str] | None = field(default=None, repr=False)  # its manifest.txt once read (read_manifest)

    def read(self, path: Path, limit: int, what: str) -> bytes:
        return read_client_file(self.root, path, limit, what, self.binding.owners if self.binding else None)

    def own_file(self, name: str) -> Path | None:
        """The one accepted file NAME (manifest.txt, done.txt ...) in a machine folder, or None."""
        entry = self.judged.files.get(name.casefold()) if self.kind == "folder" else None
        return entry.path if entry is not None else None


def _find(tree: CaseInsensitiveTree, *names: str) -> Path | None:
    return tree.find("\\".join(names))


def locate_inputs(path: Path, accounts: AccountLookup | None = None, drive: bool = False) -> MachineInputs:
    """Recognise a collector folder (what data/collector_outputs.json names) or, when DRIVE allows it (a path an
    admin gave, `hfstage facts`), a system drive root. A folder under inventory\\ is a collector's whatever it
    holds: a WINDOWS folder a share user planted there must not make its hives the machine's with no check of
    owner, names or variants (DESIGN §8)."""
    path = Path(path)
    try:
        folder = stat.S_ISDIR(os.lstat(path).st_mode)  # a link to a folder is not one
    except OSError:
        folder = False
    if not folder:
        raise InputError(f"{path}: not a folder (give a machine's inventory folder or a mounted system drive)")
    found = entries(path)  # listed once: a system drive's root and a machine folder's names alike
    if drive and any(e.name.lower() in ("winnt", "windows") for e in found):  # a system drive, not a collector's
        tree = CaseInsensitiveTree(path, found)
        for windows in ("WINNT", "WINDOWS"):
            config = _find(tree, windows, "system32", "config")
            if config is not None:
                return MachineInputs(path.name or str(path), "drive", path, _find(tree, windows, "system32",
                                     "config", "SOFTWARE"), _find(tree, windows, "system32", "config", "SYSTEM"),
                                     [], path)
    inputs = MachineInputs(path.name, "folder", path.parent, binding=folder_binding(path, path.name, accounts))
    inputs.judged = judged = judge_folder(found, inputs.binding.owners)
    inputs.refused = list(judged.fatal)
    for role, attribute in _HIVES.items():
        hive = judged.role(role)
        setattr(inputs, attribute, hive[0].path if hive else None)
    inputs.reg_files = sorted(e.path for e in judged.role("reg") + judged.role("query"))  # exports, reg query
    files = judged.folders.get(FILES_DIR)
    inputs.files_root = files.path if files is not None else None
    # what the client's evidence is (its collector log and a scheduled job's results are not: they change when
    # a collection fails too); the listing is everything the facts depend on, refusals and stale files included
    inputs.stats = sorted((e.name, e.size, e.mtime_ns, e.uid) for e in judged.files.values()
                          if output_of(e.name).role not in _NOT_EVIDENCE)
    inputs.listing = sorted((e.name, e.kind, e.size, e.mtime_ns, e.uid) for e in found)
    # every name of the role, whatever it is (a link, a case variant): scripts.collect_results judges them
    inputs.local_results = [e for e in found if (o := output_of(e.name)) is not None and o.role == LOCAL_RESULTS_ROLE]
    return inputs


def _open(inputs: MachineInputs, path: Path | None, facts: MachineFacts, limits: Limits):
    if path is None:
        return None
    try:
        data = inputs.read(path, limits.hive_bytes, "registry hive")
        root = open_hive_bytes(data, str(path))
    except InputError as e:
        facts.error = str(e)
        return None
    facts.inputs.append(str(path))
    unclean = unclean_sequence(data)
    if unclean is not None:
        logs = [e.name for e in entries(path.parent) if e.name.casefold() in
                (path.name.casefold() + ".log", path.name.casefold() + ".log1", path.name.casefold() + ".log2")]
        facts.warnings.append(f"{path}: read, but not cleanly written: its sequence numbers {unclean[0]} and "
                              f"{unclean[1]} differ, so changes Windows had not yet written are missing from it "
                              f"({', '.join(logs) or 'no transaction log'} beside it holds them; hfstage does not "
                              "apply it): these facts may be older than the machine")
    return root


def _hklm(inputs: MachineInputs, facts: MachineFacts, limits: Limits) -> Hklm | None:
    if inputs.refused:  # a hive or export replaced by a link or a special file: nothing of it is believed
        facts.error = "; ".join(inputs.refused)
        return None
    if inputs.software is None and inputs.system is None and not inputs.reg_files and not inputs.refused \
            and inputs.files_root is None and inputs.kind == "folder" and not entries(inputs.root / inputs.name):
        facts.collected = False  # an empty folder an admin made for a new machine
        return None
    if inputs.software is None and inputs.system is None and not inputs.reg_files:
        refused = inputs.refused + inputs.judged.refused
        facts.error = (f"{inputs.name}: no SOFTWARE or SYSTEM hive and no .reg export found"
                       + (f" ({'; '.join(refused)})" if refused else ""))
        return None
    collection = collection_of(read_manifest(inputs))
    if collection.keys:  # the exports this collection wrote; a numbered export beyond them is an older one
        inputs.reg_files = [p for p in inputs.reg_files if p.stem.lower() in collection.keys]
    if inputs.reg_files and collection.keys_mode:
        inputs.software = inputs.system = None  # hives left from hives mode are older than these exports
    elif inputs.reg_files and read_manifest(inputs).get("tool", "").startswith("regedit"):
        # reg save was refused (no backup privilege): the hives are older than the exports
        facts.warnings.append("the collector could not save hives (no administrator rights); its regedit "
                              "exports were used")
        inputs.software = inputs.system = None
    software = _open(inputs, inputs.software, facts, limits)
    system = _open(inputs, inputs.system, facts, limits)
    users = None
    if inputs.reg_files:
        export = RegExport(max_entries=limits.reg_entries)
        for path in inputs.reg_files:
            data = inputs.read(path, limits.export_bytes, "registry export")
            if path.suffix.lower() == ".txt":  # reg query's values of one key
                if not parse_reg_query(data, str(path), collection.keys.get(path.stem.lower(), ""), export):
                    inputs.unbelieved.add(path.stem.lower())
                continue
            export = parse_reg_text(data, str(path), export)
        facts.inputs.extend(str(p) for p in inputs.reg_files)
        facts.parse_errors.extend(export.warnings)
        hklm_text = walk(export.root, "HKEY_LOCAL_MACHINE")
        software = software or walk(hklm_text, "SOFTWARE")
        system = system or walk(hklm_text, "SYSTEM")
        users = walk(export.root, "HKEY_USERS")
    if inputs.software is None and not inputs.reg_files:
        facts.missing.append("SOFTWARE hive (OS version, service pack, products and hotfixes unknown)")
    if inputs.system is None and not inputs.reg_files:
        facts.missing.append("SYSTEM hive (computer name and product type unknown)")
    if software is None and system is None:
        return None
    return Hklm(software, system, users)


def gather_facts(path: Path, catalog: Catalog | None = None, rules: dict | None = None,
                 inputs: MachineInputs | None = None, limits: Limits | None = None,
                 on_share: bool = False, accounts: Accounts | None = None) -> MachineFacts:
    """MachineFacts for the machine at PATH; a bad input becomes facts.error, never an exception.

    ON_SHARE: PATH is the machine's own folder under inventory\\, named by its collector, so registry
    data of another computer there is refused (elsewhere, e.g. an admin's copy, it is a warning)."""
    return project(read_raw(path, rules, inputs, limits, on_share, accounts), catalog, rules)


def read_raw(path: Path, rules: dict | None = None, inputs: MachineInputs | None = None,
             limits: Limits | None = None, on_share: bool = False, accounts: Accounts | None = None) -> RawFacts:
    """What the machine at PATH's inputs alone say (inventory.raw), the hives and files still open to a catalog."""
    limits = limits or Limits()
    rules = rules or load_rules()
    inputs = inputs or locate_inputs(path, accounts, drive=not on_share)
    facts = MachineFacts(machine=inputs.name)
    _binding_facts(inputs, facts)
    raw = RawFacts({}, inputs.kind, inputs=inputs, limits=limits)
    try:
        hklm = _hklm(inputs, facts, limits)
        if hklm is not None:
            detect(hklm, facts, rules)
            raw.missing_at, raw.values_taken = len(facts.missing), _values_taken(inputs)
            _check_identity(inputs, facts, on_share)
            raw.registry_ok, raw.hklm = hklm.software is not None, hklm
    except InputError as e:
        facts.error = str(e)
    raw.manifest = read_manifest(inputs)
    raw.tree = CaseInsensitiveTree(inputs.files_root) if inputs.files_root else None
    if facts.error is None:
        raw.tail = _tail(inputs, facts, limits)
    if facts.os_family == "9x" and facts.binding is not None:  # no computer account: nobody in particular
        facts.binding, facts.binding_owner = UNBOUND, f"Windows 9x, no computer account: {facts.binding_owner}"
    raw.facts = facts.to_dict()
    return raw


def _tail(inputs: MachineInputs, facts: MachineFacts, limits: Limits) -> dict:
    """Windows Installer's version and the client's install markers: added to the facts after the catalog's
    registry values were read without error."""
    problems: list[str] = []
    found = MachineFacts(machine=facts.machine, system_root=facts.system_root, os_family=facts.os_family,
                         program_files=facts.program_files, paths=facts.paths)
    try:
        _installer_version(inputs, found, limits)
    except InputError as e:
        problems.append(str(e))
    markers = read_done_markers(inputs, problems)
    return {"installer_version": found.installer_version, "installer_evidence": found.evidence.get(
        "installer_version"), "done_markers": markers, "problems": problems}


def _values_taken(inputs: MachineInputs) -> dict[str, bool]:
    """export stem -> whether it holds its key's values only (reg query) rather than the subtree (a stem
    whose reg query output was not believed holds nothing)."""
    taken = {p.stem.lower(): True for p in inputs.reg_files if p.suffix.lower() == ".txt"}
    return {stem: None if stem in inputs.unbelieved else v for stem, v in taken.items()}


def _binding_facts(inputs: MachineInputs, facts: MachineFacts) -> None:
    """Who the evidence is from, what was refused by name, and what a collection could not replace."""
    if inputs.binding is None:
        return
    facts.binding, facts.binding_owner = inputs.binding.kind, inputs.binding.owner
    facts.account = inputs.binding.account
    facts.refused = list(inputs.judged.refused)
    facts.stale = list(inputs.judged.stale)


def _check_identity(inputs: MachineInputs, facts: MachineFacts, on_share: bool) -> None:
    """Hives filed under another machine's folder are not that machine's: assessing them would give it
    another machine's verdict and script."""
    name = facts.computer_name
    if not name or name.upper() == facts.machine.upper():
        return
    if not on_share or inputs.kind != "folder":
        facts.warnings.append(f"computer name {q(name)} differs from the inventory folder name {q(facts.machine)}")
        return
    raise InputError(f"{inputs.root / inputs.name}: the registry data is of computer {q(name)}, not "
                     f"{q(facts.machine)} (filed in the wrong folder, or a rename waiting for a reboot): not assessed, "
                     "no script; move the files to the right folder")


def _installer_version(inputs: MachineInputs, facts: MachineFacts, limits: Limits) -> None:
    """Windows Installer's version: msi.dll's file version, from the collected copy or the drive."""
    root = inputs.files_root
    folder, _, name = installer_file().rpartition("\\")
    where = expand_location(folder, facts)
    if root is None or where is None or not facts.system_root:
        return
    full = f"{where}\\{name}"
    windir = facts.system_root[3:] if inputs.kind == "folder" else None
    fact = file_fact(CaseInsensitiveTree(root), full, facts.system_root[:2], "not present", inputs, limits, windir)
    if fact.found and fact.file_version:
        facts.installer_version = fact.file_version
        facts.evidence["installer_version"] = f"{full} has version {fact.file_version}"


def read_done_markers(inputs: MachineInputs, problems: list[str] | None = None) -> list[str]:
    """The package identities the client's install scripts marked done (empty when none were collected).

    Each marker holds one `[file-name size]` line (`[file-name size rN]` for a retry).

    A line that is not an identity hfstage writes is dropped: any user can write this file. A done.txt
    that is there but refused (a link, a second name, over the cap) is named in PROBLEMS, as every refused
    client file is: read silently as "no markers" it would hide what the client's scripts installed.
    """
    path = inputs.own_file(DONE_MARKERS)
    if path is None:
        return []
    path = inputs.root / inputs.name / DONE_MARKERS
    try:
        text = inputs.read(path, DONE_MAX, "install markers").decode("latin-1")
    except InputError as e:
        if problems is not None and os.path.lexists(path):
            problems.append(str(e))
        return []
    found = (re.fullmatch(r"\[([^\]]*)\]", line.strip()) for line in text.splitlines())
    identities = {" ".join(m.group(1).split()) for m in found if m}
    return sorted(i for i in identities if _IDENTITY.fullmatch(i))


def read_manifest(inputs: MachineInputs) -> dict[str, str]:
    """key=value lines of the collector's manifest.txt (empty when there is none or it is refused), read once for
    INPUTS: a machine's reading asks three times."""
    if inputs.manifest is None:
        inputs.manifest = _manifest(inputs)
    return inputs.manifest


def _manifest(inputs: MachineInputs) -> dict[str, str]:
    path = inputs.own_file(MANIFEST)
    if path is None:
        return {}
    try:
        text = inputs.read(path, MANIFEST_MAX, "collector manifest").decode("latin-1")
    except InputError:
        return {}
    pairs = (line.partition("=") for line in text.splitlines())
    return {k.strip().lower(): v.strip() for k, sep, v in pairs if sep and re.fullmatch(r"[\w.-]+", k.strip())}
