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
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.inventory.accounts import AccountBook
from hfstage.inventory.binding import Accounts
from hfstage.inventory.encoded import Encoded, FactsFiles, encode, facts_digest
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import Skipped, adopt_unnamed, machine_folders
from hfstage.inventory.rawstore import RawStore
from hfstage.inventory.rules import load_site_rules
from hfstage.inventory.survey import FolderSeen, Salts, Survey, flags
from hfstage.inventory.workers import chunk_for, gather_in_workers, safe_read
from hfstage.notices import Notice
from hfstage.progress import Progress
from hfstage.share import FACTS, FACTS_FOLDER, PRIVATE, SEEN, Share, fingerprint, sync_folders, write_if_changed
from hfstage.workers import start_server

# Fewer machines than this are read in this process unless --jobs asks for workers. Reading in workers is
# what contains a machine whose parsing kills its process or outgrows [limits] worker_memory_mib (one row,
# not the month: DESIGN §8), so it is the rule as soon as a batch is more than a handful: a spawned worker
# costs what reading about 100 machines does (bench/site.py), a price paid for containment. A site whose
# [limits] let one machine's reading grow past what the defaults bound (Limits.contain_reading_here) reads
# even one machine in a worker: a machine that outgrew its worker one month was read here, uncapped, the next.
_PARALLEL_THRESHOLD = 8
# One worker more for every this many machines to read, up to --jobs (or the cores): a worker's start (a
# new interpreter importing hfstage, the catalog unpickled) took 0.33 s of CPU where reading a machine of
# bench/site.py's took 3.6 ms in a worker, and with 10 to 150 machines two workers finished later than one
# on a loaded 2-core server (0.91 / 0.40 s wall at 10, 1.11 / 0.87 s at 150): a month with 1% of 5,000
# machines changed starts one worker, not one per core.
_MACHINES_PER_WORKER = 100


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
    salts = Salts(fingerprint([str(share.root), catalog.data_version if catalog else None, rules, limits.__dict__]),
                  fingerprint([str(share.root), rules, limits.__dict__]), limits)
    record, raws = share.record(FACTS), RawStore(share, limits)
    book = AccountBook(share, accounts)  # each machine's computer account, not asked again while the database holds
    survey = Survey(folders, salts, record, raws, book, cache, catalog, rules)
    files = FactsFiles(cache, raws.folder)  # written by the workers that read the machines, else here
    gathered, died = _read_all(survey, limits, jobs, progress, accounts, files)
    record.begin(survey.projected)  # written below: a run killed before its commit vouches for none of them
    entries = survey.entries
    result.folders, result.fresh = survey.folders_seen, dict(survey.failed)
    result.read, result.cached = len(gathered), len(folders) - len(survey.todo)
    result.projected = len(survey.projected)
    for one in survey.todo:
        name = one.folder.name
        made = gathered.get(name) or encode(survey.projected[name])
        if not made.written:
            files.write(name, one.key, made)
        if name not in died:
            raws.keep(name, one.raw_key, made.raw is not None, survey.collections.get(name))
        facts = made.facts
        result.fresh[name] = facts
        entries[name] = [made.digest, facts.error, flags(facts)] + ([one.content] if one.content else [])
        if name not in died:  # a death is not remembered: the next run reads the machine again
            record.put(name, one.key, entries[name])
    sync_folders([record.path])
    result.seen = _record_seen(share, survey.evidence, machines is not None)
    result.machines = sorted(entries, key=str.lower)
    for name in result.machines:
        result.hashes[name], result.errors[name] = entries[name][0], entries[name][1]
        remembered = entries[name][2] if len(entries[name]) > 2 and isinstance(entries[name][2], dict) else {}
        result.bindings[name] = remembered.get("binding")
        if remembered.get("stale"):
            result.stale.add(name)
    if machines is None:
        record.keep_only(result.machines)  # machines that left the share are forgotten
    raws.commit(result.machines if machines is None else None)
    book.commit(result.machines if machines is None else None)
    record.commit()
    return result


def _read_all(survey: Survey, limits: Limits, jobs: int | None, progress: bool | None, accounts: Accounts | None,
              files: FactsFiles) -> tuple[dict[str, Encoded], set[str]]:
    """machine -> its facts and remembered raw facts (encoded), for every machine SURVEY finds to read; and the
    machines whose reading killed the process that read them. The walk goes on until it has found as many as
    the most workers read (_MACHINES_PER_WORKER each), so that how many workers start (or none) follows how many
    machines there are; then the pool starts, and reads them while the walk finds the rest."""
    found = survey.to_read()
    contained = limits.contain_reading_here()
    serial = jobs == 1 and contained  # --jobs 1: no pool, unless the limits need every machine read capped
    most = None if serial else (jobs or os.cpu_count() or 1) * _MACHINES_PER_WORKER
    first = list(itertools.islice(found, _PARALLEL_THRESHOLD if most else None))
    here = serial or not first or (contained and (
        (jobs is None and len(first) < _PARALLEL_THRESHOLD) or len(first) < 2))
    if most and (len(first) == _PARALLEL_THRESHOLD or not here):
        # workers will read them: their server starts while the walk goes on
        start_server()
        first += itertools.islice(found, max(0, most - len(first)))
    reads = survey.handed_out(first, found)
    gathered: dict[str, Encoded] = {}
    died: set[str] = set()
    with _progress(len(first) + len(survey.folders) - survey.walked, progress) as bar:
        survey.settled = bar.update  # a folder walked from here on that needs no reading is done
        if here:
            for one in reads:
                gathered[one.folder.name] = encode(*safe_read(one.folder, survey.catalog, survey.rules, limits,
                                                              accounts, survey.asks, one.inputs))
                bar.update(1)
        else:
            shared = (survey.catalog, survey.rules, limits, accounts, files)
            workers = workers_for(len(first), jobs)
            for one, made, death in gather_in_workers(reads, shared, workers, bar, chunk_for(len(first), workers)):
                gathered[one.folder.name] = made
                if death:
                    died.add(one.folder.name)
    return gathered, died


def workers_for(machines: int, jobs: int | None) -> int:
    """How many workers read MACHINES: one per _MACHINES_PER_WORKER of them, at least one, at most JOBS (the
    cores when not asked): a worker that would read fewer costs more to start than it saves."""
    return max(1, min(jobs or os.cpu_count() or 1, machines // _MACHINES_PER_WORKER))


def _progress(total: int, progress: bool | None) -> Progress:
    """A bar on a terminal, a line every few seconds in a log; PROGRESS False: nothing (a library caller)."""
    return Progress("inventory", total if progress is not False else 0, "machine", tty=progress or None)
