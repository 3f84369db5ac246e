"""Facts for every machine on the share, in parallel, remembered.

The facts memo (state\\facts\\index.json, the facts themselves in state\\facts\\<MACHINE>.json) keys
each machine by its input files' sizes and mtimes, the catalog's DataVersion, the product rules
and the size caps, so an unchanged machine is not read again. Each entry carries a hash of its
facts: the assessment of a machine whose facts hash, catalog and policy are unchanged is not
recomputed either. Under a new catalog, a machine whose inputs did not change is projected from its
remembered raw facts (inventory.rawstore), not read again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import HfstageError
from hfstage.inventory.accounts import AccountBook
from hfstage.inventory.binding import Accounts
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.encoded import Encoded, FactsFiles, encode, facts_digest
from hfstage.inventory.evidence import content_digest
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.gather import MachineInputs, locate_inputs, read_manifest
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import Skipped, adopt_unnamed, machine_folders
from hfstage.inventory.rawstore import RawStore
from hfstage.inventory.rules import load_site_rules
from hfstage.inventory.workers import gather_in_workers, safe_read
from hfstage.notices import Notice
from hfstage.progress import Progress
from hfstage.share import (
    FACTS,
    FACTS_FOLDER,
    PRIVATE,
    SEEN,
    Entry,
    Owners,
    Share,
    fingerprint,
    sync_folders,
    walk_files,
    write_if_changed,
)

# Fewer machines than this are read in this process unless --jobs asks for workers. Reading in workers is
# what contains a machine whose parsing kills its process or outgrows [limits] worker_memory_mib (one row,
# not the month: DESIGN §8), so it is the rule as soon as a batch is more than a handful: a spawned worker
# costs what reading about 100 machines does (bench/site.py), a price paid for containment.
_PARALLEL_THRESHOLD = 8
# One worker more for every this many machines to read, up to --jobs (or the cores): a worker's start (a
# new interpreter importing hfstage, the catalog unpickled) took 0.33 s of CPU where reading a machine of
# bench/site.py's took 3.6 ms in a worker, and with 10 to 150 machines two workers finished later than one
# on a loaded 2-core server (0.91 / 0.40 s wall at 10, 1.11 / 0.87 s at 150): a month with 1% of 5,000
# machines changed starts one worker, not one per core.
_MACHINES_PER_WORKER = 100


@dataclass(frozen=True)
class FolderSeen:
    """What this run's listing of a machine folder tells the scan's results (scripts.collect_results), which then
    lists no folder again: whose files the folder's are, and its scheduled job's results log(s) as found."""

    owners: Owners | None  # its binding's (None: anyone's)
    local_results: tuple[Entry, ...] = ()


@dataclass
class InventoryResult:
    """Every machine's facts hash and error, read or cached; facts themselves are loaded on demand.

    A month in which nothing changed needs only each machine's hash (to see that nothing
    changed), so the 5,000 cached facts are not read unless a stage asks for them.
    """

    machines: list[str] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)  # machine -> hash of its facts
    errors: dict[str, str | None] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[Notice] = field(default_factory=list)
    read: int = 0
    cached: int = 0  # unchanged: inputs and catalog as last time
    projected: int = 0  # inputs unchanged, a new catalog: facts projected from the remembered raw facts, not read
    fresh: dict[str, MachineFacts] = field(default_factory=dict)
    cache: Path | None = None
    seen: dict[str, str] = field(default_factory=dict)  # machine -> when the server first saw its evidence
    bindings: dict[str, str | None] = field(default_factory=dict)  # machine -> who wrote its evidence (binding)
    stale: set[str] = field(default_factory=set)  # machines whose newer collection could not replace their files
    folders: dict[str, FolderSeen] = field(default_factory=dict)  # machine folder's name -> what its listing showed

    def facts_of(self, machine: str) -> MachineFacts:
        if machine in self.fresh:
            return self.fresh[machine]
        data = json.loads((self.cache / f"{machine}.json").read_text(encoding="utf-8"))
        return MachineFacts.from_dict(data["facts"])

    @property
    def facts(self) -> list[MachineFacts]:
        return [self.facts_of(m) for m in self.machines]

    @property
    def unreadable(self) -> list[str]:
        return [m for m in self.machines if self.errors.get(m)]


def facts_hash(facts: MachineFacts | dict) -> str:
    return facts_digest(facts if isinstance(facts, dict) else facts.to_dict())


def _input_key(inputs: MachineInputs, salt: str, limits: Limits, raw_salt: str = "") -> tuple[str, str, list, str]:
    """(what the remembered facts are made from, what the client's evidence alone is, the copied files' sizes,
    times and owners, what the remembered raw facts are made from): the second changes only when the client
    writes, so the server can tell when it first saw that evidence."""
    stats = list(inputs.stats) + [("!refused", len(inputs.refused), 0, 0)]
    tree = []
    if inputs.files_root is not None:
        base = inputs.files_root
        tree = [(str(e.path.relative_to(base)), e.size, e.mtime_ns, e.uid)
                for e in walk_files(base, base, max_entries=limits.tree_entries)]
        stats += tree
    evidence = fingerprint(sorted(stats))
    return (FACTS.key(salt, evidence, inputs.listing, _who(inputs)), evidence, tree,
            RawStore.key(raw_salt, evidence, inputs.listing, _who(inputs)))


def _who(inputs: MachineInputs) -> list | None:
    binding = inputs.binding
    return [binding.kind, binding.owner, binding.account] if binding is not None else None


def _same_collection(record, inputs: MachineInputs, salt: str, limits: Limits, tree: list,
                     digest: str | None = None) -> tuple[str | None, list, str | None]:
    """(the collection's content key, the remembered entry when it is the one the facts were read from, the
    collection's digest): a collection of exports written again with the same bytes (same names, owners and
    binding) keeps its facts. DIGEST: the digest remembered with the raw facts (inputs unchanged since), so
    the exports are not read again to make it."""
    digest = digest or content_digest(inputs, limits, read_manifest(inputs), tree)
    if digest is None:
        return None, [], None
    names = [(name, kind, uid) for name, kind, _, _, uid in inputs.listing]
    content = FACTS.key(salt, "content", digest, names, _who(inputs))
    known = record.value(inputs.name)
    return content, known if isinstance(known, list) and len(known) == 4 and known[3] == content else [], digest


def _record_seen(share: Share, evidence: dict[str, str], partial: bool) -> dict[str, str]:
    """machine -> when this server first saw its current evidence (its own clock, never a client's mtime).

    Not a memo: its keys are the clients' evidence alone, so an upgrade of hfstage keeps every machine's
    "last reported"."""
    path = share.state_file(SEEN)
    known = _read_seen(path)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")
    seen = {m: e for m, e in known.items() if partial or m in evidence}
    for machine, digest in evidence.items():
        old = known.get(machine)
        if not (old is not None and old[0] == digest):
            seen[machine] = [digest, now]
    write_if_changed(path, json.dumps(seen, sort_keys=True).encode(), PRIVATE)
    return {m: v[1] for m, v in seen.items() if m in evidence}


def _read_seen(path: Path) -> dict[str, list]:
    """machine -> [evidence digest, when first seen]; nothing when missing or damaged."""
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {m: v for m, v in known.items() if isinstance(v, list) and len(v) == 2} if isinstance(known, dict) \
        else {}


def evidence_seen(share: Share) -> dict[str, str]:
    """machine -> when this server first saw the evidence its folder holds now (ISO, UTC): "last reported"."""
    return {m: v[1] for m, v in _read_seen(share.state_file(SEEN)).items()}


def _flags(facts: MachineFacts) -> dict:
    """What the scan needs of a machine's facts without loading them: who wrote them, and whether they are stale."""
    return {"binding": facts.binding if facts.error is None and facts.collected else None, "stale": bool(facts.stale)}


def inventory(share: Share, catalog: Catalog | None, *, rules: dict | None = None, limits: Limits | None = None,
              machines: list[str] | None = None, jobs: int | None = None, progress: bool | None = None,
              adopt: bool = True, accounts: Accounts | None = None) -> InventoryResult:
    """Facts for every machine (or MACHINES), reading only those whose inputs changed."""
    share.check()
    limits = limits or Limits()
    rules = rules if rules is not None else load_site_rules(share)
    cache = share.state_file(FACTS_FOLDER)
    result = InventoryResult(cache=cache)
    if adopt:
        result.notes = adopt_unnamed(share, limits)
    folders, result.skipped = machine_folders(share, machines)
    # the share's path too: cached messages name its files, and a copied share must not show the original's
    raw_salt = fingerprint([str(share.root), rules, limits.__dict__])
    salt = fingerprint([str(share.root), catalog.data_version if catalog else None, rules, limits.__dict__])
    record, raws = share.record(FACTS), RawStore(share, limits)
    book = AccountBook(share, accounts)  # each machine's computer account, not asked again while the database holds
    entries: dict[str, list] = {}
    todo: list[tuple[Path, str, str | None, str]] = []
    located: dict[str, MachineInputs] = {}  # machine -> its folder as found: the workers read it as keyed
    evidence: dict[str, str] = {}
    collections: dict[str, list | None] = {}  # machine -> RawStore.content of its collection (exports only)
    for folder in folders:
        try:
            inputs = locate_inputs(folder, book)
            key, evidence[folder.name], tree, raw_key = _input_key(inputs, salt, limits, raw_salt)
        except Exception as e:  # noqa: BLE001 - one machine's folder is one error row, whatever went wrong
            facts = MachineFacts(machine=folder.name, error=str(e) if isinstance(e, HfstageError) else
                                 f"{folder}: unexpected {type(e).__name__}: {e}")
            result.fresh[folder.name] = facts
            entries[folder.name] = [facts_hash(facts), facts.error, _flags(facts)]
            continue
        if inputs.kind == "folder" and inputs.binding is not None:
            result.folders[folder.name] = FolderSeen(inputs.binding.owners, tuple(inputs.local_results))
        known = record.fresh(folder.name, key)
        cached = (cache / f"{folder.name}.json").is_file()
        if known is not None and cached:
            entries[folder.name] = known
            continue
        names = [(name, kind, uid) for name, kind, _, _, uid in inputs.listing]
        if raws.record.known(folder.name, raw_key):  # inputs unchanged since their raw facts were read: nothing
            digest = raws.digest(folder.name)  # is read again (an exports collection's digest is remembered)
            content, same, digest = _same_collection(record, inputs, salt, limits, tree, digest) \
                if digest else (None, [], None)
        else:  # exports written again with the same bytes (keys mode, daily) keep their raw facts too
            content, same, digest = _same_collection(record, inputs, salt, limits, tree)
            raws.same_collection(folder.name, raw_key, RawStore.content(raw_salt, digest, names, _who(inputs)))
        collections[folder.name] = RawStore.content(raw_salt, digest, names, _who(inputs))
        if same and cached:
            entries[folder.name] = same
            record.put(folder.name, key, same)
        else:
            todo.append((folder, key, content, raw_key))
            located[folder.name] = inputs
    record.begin(f.name for f, *_ in todo)  # a run killed while reading them leaves none vouched for
    asks = CatalogAsks.of(catalog) if catalog is not None and todo else None
    # projected here, not in the worker pool: the parent's CPU to take a projected machine back from a worker
    # (unpickled, MachineFacts rebuilt) is about what projecting it here costs (bench/inventory_project.py: 2,000
    # machines 0.65 s CPU here, 2 workers 4.18 s wall with 0.73 s of the parent's CPU; none of 500 to 3,000 paid)
    projected = {f.name: facts for f, _, _, raw_key in todo
                 if (facts := raws.project(f.name, raw_key, catalog, rules, asks)) is not None}
    unread = [t for t in todo if t[0].name not in projected]
    raws.begin(f.name for f, *_ in unread)
    files = FactsFiles(cache, raws.folder)  # written by the workers that read the machines, else here
    fresh, died = _gather_all([f for f, *_ in unread], catalog, rules, limits, jobs, progress, accounts, asks,
                              [located[f.name] for f, *_ in unread], files, [key for _, key, *_ in unread])
    result.read, result.cached, result.projected = len(unread), len(folders) - len(todo), len(projected)
    gathered = {f.name: made for (f, *_), made in zip(unread, fresh, strict=True)}
    for folder, key, content, raw_key in todo:
        made = gathered.get(folder.name) or encode(projected[folder.name])
        if not made.written:
            files.write(folder.name, key, made)
        if folder.name not in died:
            raws.keep(folder.name, raw_key, made.raw is not None, collections.get(folder.name))
        facts = made.facts
        result.fresh[folder.name] = facts
        entries[folder.name] = [made.digest, facts.error, _flags(facts)] + ([content] if content else [])
        if folder.name not in died:  # a death is not remembered: the next run reads the machine again
            record.put(folder.name, key, entries[folder.name])
    sync_folders([record.path])
    result.seen = _record_seen(share, evidence, machines is not None)
    result.machines = sorted(entries, key=str.lower)
    for name in result.machines:
        result.hashes[name], result.errors[name] = entries[name][0], entries[name][1]
        flags = entries[name][2] if len(entries[name]) > 2 and isinstance(entries[name][2], dict) else {}
        result.bindings[name] = flags.get("binding")
        if flags.get("stale"):
            result.stale.add(name)
    if machines is None:
        record.keep_only(result.machines)  # machines that left the share are forgotten
    raws.commit(result.machines if machines is None else None)
    book.commit(result.machines if machines is None else None)
    record.commit()
    return result


def _gather_all(folders: list[Path], catalog, rules, limits, jobs, progress, accounts: Accounts | None,
                asks: CatalogAsks | None = None, inputs: list[MachineInputs] | None = None,
                files: FactsFiles | None = None, keys: list[str] | None = None) -> tuple[list[Encoded], set[str]]:
    """Every folder's facts and remembered raw facts (encoded), and the machines whose reading killed the process
    that read them; INPUTS: each folder as the run found it (its key's listing), read as found, not found again;
    FILES, KEYS (the facts memo's key of each): where a worker writes what it read, and under which key."""
    died: set[str] = set()
    found = inputs or [None] * len(folders)
    with _progress(len(folders), progress) as bar:
        if jobs == 1 or (jobs is None and len(folders) < _PARALLEL_THRESHOLD) or len(folders) < 2:
            out = []
            for folder, machine_inputs in zip(folders, found, strict=True):
                out.append(encode(*safe_read(folder, catalog, rules, limits, accounts, asks, machine_inputs)))
                bar.update(1)
        else:
            out, died = gather_in_workers(folders, catalog, rules, limits, workers_for(len(folders), jobs), bar,
                                          accounts, found, files, keys)
    return out, died


def workers_for(machines: int, jobs: int | None) -> int:
    """How many workers read MACHINES: one per _MACHINES_PER_WORKER of them, at least one, at most JOBS (the
    cores when not asked): a worker that would read fewer costs more to start than it saves."""
    return max(1, min(jobs or os.cpu_count() or 1, machines // _MACHINES_PER_WORKER))


def _progress(total: int, progress: bool | None) -> Progress:
    """A bar on a terminal, a line every few seconds in a log; PROGRESS False: nothing (a library caller)."""
    return Progress("inventory", total if progress is not False else 0, "machine", tty=progress or None)
