"""The inventory's walk over the machine folders: each folder located and keyed, then known (its remembered facts
hold), kept (the same collection written again), projected (a new catalog, inputs unchanged: from its remembered
raw facts, in this process) or to be read; the machines to read handed out as they are found.

Handing them out as found lets the workers read the first machines while this process locates the rest (it
located all 5,000 first, some 3 s of one core with the workers not yet started). The memos' contract holds: a
machine is forgotten by both records (`begin`, durably) before it is handed out, so a run killed while reading
leaves none vouched for; they are begun in batches that double (one write of each record a batch, not one a
machine), the walk finding two machines for each one handed out, so each batch is found while the one before
it is read.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import HfstageError
from hfstage.inventory.accounts import AccountBook
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.encoded import facts_digest
from hfstage.inventory.evidence import content_digest
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.gather import MachineInputs, locate_inputs
from hfstage.inventory.limits import Limits
from hfstage.inventory.rawstore import RawStore
from hfstage.share import FACTS, Entry, Owners, Record, fingerprint, walk_files


@dataclass(frozen=True)
class FolderSeen:
    """What this run's listing of a machine folder tells the scan's results (scripts.collect_results), which then
    lists no folder again: whose files the folder's are, and its scheduled job's results log(s) as found."""

    owners: Owners | None  # its binding's (None: anyone's)
    local_results: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class ToMake:
    """A machine whose facts this run makes (reads or projects): its folder as found and its memos' keys."""

    folder: Path
    key: str  # the facts memo's
    content: str | None  # its collection's content key (exports), kept in its entry
    raw_key: str  # the raw-facts memo's
    inputs: MachineInputs


@dataclass
class Salts:
    """What every machine's keys are made with: the share, the catalog, the rules and the caps."""

    facts: str
    raw: str
    limits: Limits


@dataclass
class Survey:
    """The walk over FOLDERS and what it found, folder by folder (see the module's docstring)."""

    folders: list[Path]
    salts: Salts
    record: Record
    raws: RawStore
    book: AccountBook
    cache: Path
    catalog: Catalog | None
    rules: dict
    entries: dict[str, list] = field(default_factory=dict)  # machine -> its facts memo entry, known or kept
    failed: dict[str, MachineFacts] = field(default_factory=dict)  # machines whose folder could not be located
    evidence: dict[str, str] = field(default_factory=dict)  # machine -> the digest of its client's evidence
    collections: dict[str, list | None] = field(default_factory=dict)  # machine -> RawStore.content (exports)
    folders_seen: dict[str, FolderSeen] = field(default_factory=dict)
    todo: list[ToMake] = field(default_factory=list)  # made this run, projected or read, in the folders' order
    projected: dict[str, MachineFacts] = field(default_factory=dict)
    settled: Callable[[int], None] | None = None  # told of each folder walked that needs no reading
    walked: int = 0  # folders walked so far
    _asks: list = field(default_factory=list)

    @property
    def asks(self) -> CatalogAsks | None:
        """CatalogAsks.of(the catalog), worked out once, when a first machine is made."""
        if not self._asks:
            self._asks.append(CatalogAsks.of(self.catalog) if self.catalog is not None else None)
        return self._asks[0]

    def to_read(self) -> Iterator[ToMake]:
        """Each machine to read, as the walk finds it (the others are settled on the way)."""
        for folder in self.folders:
            self.walked += 1
            made = self._walk(folder)
            if made is not None and made.folder.name not in self.projected:
                yield made
            elif self.settled is not None:
                self.settled(1)

    def handed_out(self, first: list[ToMake], more: Iterator[ToMake]) -> Iterator[ToMake]:
        """FIRST, then MORE as the walk finds them, each begun (forgotten by both records) before it is handed out:
        in batches that double, two machines found for each one handed out."""
        batch = first
        while batch:
            self.begin(batch)
            following: list[ToMake] = []
            for one in batch:
                following += itertools.islice(more, 2)
                yield one
            batch = following

    def begin(self, batch: list[ToMake]) -> None:
        """BATCH, machines about to be read, forgotten by the facts memo and the raw facts' (durably)."""
        self.record.begin(one.folder.name for one in batch)
        self.raws.begin(one.folder.name for one in batch)

    def _walk(self, folder: Path) -> ToMake | None:
        """FOLDER located and keyed: its facts memo entry when it holds, else the machine to make (projected here
        when its remembered raw facts allow)."""
        try:
            inputs = locate_inputs(folder, self.book)
            key, self.evidence[folder.name], tree, raw_key = input_key(inputs, self.salts)
        except Exception as e:  # noqa: BLE001 - one machine's folder is one error row, whatever went wrong
            facts = MachineFacts(machine=folder.name, error=str(e) if isinstance(e, HfstageError) else
                                 f"{folder}: unexpected {type(e).__name__}: {e}")
            self.failed[folder.name] = facts
            self.entries[folder.name] = [facts_digest(facts.to_dict()), facts.error, flags(facts)]
            return None
        if inputs.kind == "folder" and inputs.binding is not None:
            self.folders_seen[folder.name] = FolderSeen(inputs.binding.owners, tuple(inputs.local_results))
        known = self.record.fresh(folder.name, key)
        if known is not None and self._cached(folder.name):
            self.entries[folder.name] = known
            return None
        names = [(name, kind, uid) for name, kind, _, _, uid in inputs.listing]
        if self.raws.record.known(folder.name, raw_key):  # inputs unchanged since their raw facts were read: nothing
            digest = self.raws.digest(folder.name)  # is read again (an exports collection's digest is remembered)
            content, same, digest = same_collection(self.record, inputs, self.salts, tree, digest) \
                if digest else (None, [], None)
            self.collections[folder.name] = RawStore.content(self.salts.raw, digest, names, who(inputs))
        else:  # exports written again with the same bytes (keys mode, daily) keep their raw facts too
            content, same, digest = same_collection(self.record, inputs, self.salts, tree)
            self.collections[folder.name] = RawStore.content(self.salts.raw, digest, names, who(inputs))
            self.raws.same_collection(folder.name, raw_key, self.collections[folder.name])
        if same and self._cached(folder.name):
            self.entries[folder.name] = same
            self.record.put(folder.name, key, same)
            return None
        made = ToMake(folder, key, content, raw_key, inputs)
        self.todo.append(made)
        # projected here, not in the worker pool: the parent's CPU to take a projected machine back from a worker
        # (unpickled, MachineFacts rebuilt) is about what projecting it here costs (bench/inventory_project.py:
        # 2,000 machines 0.65 s CPU here, 2 workers 4.18 s wall with 0.73 s of the parent's CPU)
        facts = self.raws.project(folder.name, raw_key, self.catalog, self.rules, self.asks)
        if facts is not None:
            self.projected[folder.name] = facts
        return made


    def _cached(self, machine: str) -> bool:
        """Whether MACHINE's facts file is there: looked at only when its entry would be kept (a stat a machine)."""
        return os.path.isfile(os.path.join(self.cache, f"{machine}.json"))


def input_key(inputs: MachineInputs, salts: Salts) -> tuple[str, str, list, str]:
    """(what the remembered facts are made from, what the client's evidence alone is, the copied files' sizes,
    times and owners, what the remembered raw facts are made from): the second changes only when the client
    writes, so the server can tell when it first saw that evidence."""
    stats = list(inputs.stats) + [("!refused", len(inputs.refused), 0, 0)]
    tree = []
    if inputs.files_root is not None:
        base = inputs.files_root
        tree = [(str(e.path.relative_to(base)), e.size, e.mtime_ns, e.uid)
                for e in walk_files(base, base, max_entries=salts.limits.tree_entries)]
        stats += tree
    evidence = fingerprint(sorted(stats))
    return (FACTS.key(salts.facts, evidence, inputs.listing, who(inputs)), evidence, tree,
            RawStore.key(salts.raw, evidence, inputs.listing, who(inputs)))


def who(inputs: MachineInputs) -> list | None:
    """Who the folder's evidence is from (its binding), as the keys hold it."""
    binding = inputs.binding
    return [binding.kind, binding.owner, binding.account] if binding is not None else None


def same_collection(record: Record, inputs: MachineInputs, salts: Salts, tree: list,
                    digest: str | None = None) -> tuple[str | None, list, str | None]:
    """(the collection's content key, the remembered entry when it is the one the facts were read from, the
    collection's digest): a collection of exports written again with the same bytes (same names, owners and
    binding) keeps its facts. DIGEST: the digest remembered with the raw facts (inputs unchanged since), so
    the exports are not read again to make it."""
    digest = digest or content_digest(inputs, salts.limits, tree)
    if digest is None:
        return None, [], None
    names = [(name, kind, uid) for name, kind, _, _, uid in inputs.listing]
    content = FACTS.key(salts.facts, "content", digest, names, who(inputs))
    known = record.value(inputs.name)
    return content, known if isinstance(known, list) and len(known) == 4 and known[3] == content else [], digest


def flags(facts: MachineFacts) -> dict:
    """What the scan needs of a machine's facts without loading them: who wrote them, and whether they are stale."""
    return {"binding": facts.binding if facts.error is None and facts.collected else None, "stale": bool(facts.stale)}
