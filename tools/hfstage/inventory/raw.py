"""A machine's facts in two parts: what its inputs alone say, and what a catalog asks of them.

Opening hives, parsing exports, detecting products and reading collected files' versions depend on the
machine's inputs only: they are the raw facts, remembered until the inputs change. Which RegChanges
values, which catalog files and which product IDs a machine has depend on the catalog too: `project`
makes them from the raw facts, for the catalog of the month. Live (just read), the raw facts answer from
the hives and files themselves; remembered, from what `remember` kept of them (inventory.capture), and
a question that cannot be answered there raises NotCaptured: the machine is read again, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import InputError
from hfstage.inventory.capture import CapturedHklm, NotCaptured, capture_registry
from hfstage.inventory.collection import collection_of, missing_keys, missing_text
from hfstage.inventory.detect import CatalogAsks, catalog_registry, resolve_catalog_ids
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.files import CapturedTree, CaseInsensitiveTree, collect_file_facts
from hfstage.inventory.limits import Limits
from hfstage.inventory.rules import load_rules

FORMAT = 1  # of the remembered raw facts' layout (the memo's key carries the code's version as well)


@dataclass
class RawFacts:
    """What one machine's inputs say, before a catalog asks anything of them."""

    facts: dict  # MachineFacts.to_dict() of what the inputs alone say
    kind: str  # "folder" or "drive"
    manifest: dict[str, str] = field(default_factory=dict)  # the collector's manifest.txt
    values_taken: dict = field(default_factory=dict)  # export stem -> values only / not believed
    missing_at: int | None = None  # where the catalog's missing-keys line goes; None: no registry was read
    registry_ok: bool = False  # registry read, identity holds, SOFTWARE present: the catalog's values are read
    tail: dict = field(default_factory=dict)  # what is added once the catalog's registry reads did not fail
    hklm: object = None  # the live Hklm, or a CapturedHklm
    tree: CaseInsensitiveTree | None = None  # the collected files (or the drive)
    inputs: object = None  # the live MachineInputs (None when remembered)
    limits: Limits = field(default_factory=Limits)

    def remember(self, catalog: Catalog | None, asks: CatalogAsks | None = None) -> dict | None:
        """What is kept of these raw facts for the next catalog (after `project` read through them); None for
        what is not kept (a mounted drive, a files\\ tree that cannot be listed)."""
        if self.kind != "folder":
            return None
        registry = capture_registry(self.hklm, asks or CatalogAsks.of(catalog)) \
            if self.registry_ok and catalog is not None else None
        try:
            tree = self.tree.snapshot(self.limits) if self.tree is not None else None
        except InputError:
            return None
        return {"format": FORMAT, "facts": self.facts, "manifest": self.manifest, "values_taken": self.values_taken,
                "missing_at": self.missing_at, "registry_ok": self.registry_ok, "tail": self.tail,
                "registry": registry, "tree": tree, "files_root": str(self.tree.root) if tree is not None else None}

    @classmethod
    def recall(cls, data: dict, limits: Limits) -> RawFacts:
        """Raw facts as `remember` kept them; KeyError or TypeError when DATA is not such a record."""
        if data["format"] != FORMAT:
            raise KeyError("format")
        tree = CapturedTree(Path(data["files_root"]), data["tree"]) if data["tree"] is not None else None
        hklm = CapturedHklm(data["registry"]) if data["registry"] is not None else None
        return cls(data["facts"], "folder", data["manifest"], data["values_taken"], data["missing_at"],
                   data["registry_ok"], data["tail"], hklm, tree, None, limits)


def project(raw: RawFacts, catalog: Catalog | None, rules: dict | None = None,
            asks: CatalogAsks | None = None) -> MachineFacts:
    """The machine's facts under CATALOG, made from RAW (NotCaptured when remembered facts cannot tell); ASKS:
    CatalogAsks.of(CATALOG), when the caller projects many machines."""
    asks = asks or (CatalogAsks.of(catalog) if catalog is not None else None)
    facts = MachineFacts.from_dict(_copied(raw.facts))
    try:
        if raw.missing_at is not None:
            lacking = missing_keys(collection_of(raw.manifest), rules or load_rules(), catalog, raw.values_taken)
            if lacking:
                facts.missing.insert(raw.missing_at, missing_text(lacking))
            if raw.registry_ok and catalog is not None:
                if raw.hklm is None:
                    raise NotCaptured("the catalog's registry values")
                catalog_registry(raw.hklm, facts, catalog, asks)
    except InputError as e:
        facts.error = str(e)
    if catalog is not None:
        resolve_catalog_ids(facts, catalog, asks)
    if facts.error is None:
        try:
            _files(raw, facts, catalog, asks)
        except InputError as e:
            facts.parse_errors.append(str(e))
        _add_tail(facts, raw.tail)
    return facts


def _copied(data: dict) -> dict:
    """DATA with its own lists and dicts one level down: projecting twice never changes the raw facts."""
    return {k: list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v for k, v in data.items()}


def _add_tail(facts: MachineFacts, tail: dict) -> None:
    if tail.get("installer_version"):
        facts.installer_version = tail["installer_version"]
        facts.evidence["installer_version"] = tail["installer_evidence"]
    facts.parse_errors.extend(tail.get("problems", []))
    facts.done_markers = list(tail.get("done_markers", []))


def _files(raw: RawFacts, facts: MachineFacts, catalog: Catalog | None, asks: CatalogAsks | None) -> None:
    if raw.kind == "drive":
        if catalog is None:
            facts.missing.append("file versions (give --catalog so hfstage knows which files matter)")
            return
        collect_file_facts(facts, raw.tree, catalog, "not present on the drive", raw.inputs, raw.limits)
        return
    # The collector copies every catalog file that exists; when its manifest names this
    # catalog, a file it did not copy is not on the machine.
    collected_for = raw.manifest.get("catalog")
    absent = "not present on the machine" if catalog and collected_for == catalog.data_version else "not collected"
    collect_file_facts(facts, raw.tree, catalog, absent, raw.inputs, raw.limits, asks.file_paths if asks else None)
