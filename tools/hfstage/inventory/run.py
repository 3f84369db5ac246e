"""Facts for every machine on the share, in parallel, remembered.

The facts memo (state\\facts\\index.json, the facts themselves in state\\facts\\<MACHINE>.json) keys
each machine by its input files' sizes and mtimes, the catalog's DataVersion, the product rules
and the size caps, so an unchanged machine is not read again. Each entry carries a hash of its
facts: the assessment of a machine whose facts hash, catalog and policy are unchanged is not
recomputed either.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import HfstageError
from hfstage.faults import crash_point
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.gather import DONE_MARKERS, MANIFEST, MachineInputs, gather_facts, locate_inputs
from hfstage.inventory.limits import Limits
from hfstage.inventory.machines import Skipped, adopt_unnamed, machine_folders
from hfstage.inventory.rules import load_site_rules
from hfstage.notices import Notice
from hfstage.share import FACTS, FACTS_FOLDER, PRIVATE, Share, fingerprint, sync_folders, walk_files, write_if_changed

# Fewer machines than this are read in this process unless --jobs asks for workers: starting a spawned worker
# (interpreter, imports, the catalog) costs what reading about 100 machines does (bench/site.py, 1% month).
_PARALLEL_THRESHOLD = 100

_worker: dict = {}


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
    cached: int = 0
    fresh: dict[str, MachineFacts] = field(default_factory=dict)
    cache: Path | None = None

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
    return fingerprint(facts if isinstance(facts, dict) else facts.to_dict())


def _input_key(inputs: MachineInputs, salt: str) -> str:
    stats = list(inputs.stats) + [("!refused", len(inputs.refused), 0)]
    if inputs.files_root is not None:
        base = inputs.files_root
        stats += [(str(e.path.relative_to(base)), e.size, e.mtime_ns) for e in walk_files(base, base)]
    for name in (MANIFEST, DONE_MARKERS):
        try:
            st = os.lstat(inputs.root / inputs.name / name)
            stats.append((name, st.st_size, st.st_mtime_ns))
        except OSError:
            pass
    return FACTS.key(salt, sorted(stats))


def _die_with_parent() -> None:
    """Linux: a worker gets SIGKILL when the run that started it dies (a killed month leaves no orphans)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before prctl took effect
            os._exit(1)
    except (OSError, AttributeError):
        pass


def _init_worker(catalog: Catalog | None, rules: dict, limits: Limits) -> None:
    _die_with_parent()
    _worker.update(catalog=catalog, rules=rules, limits=limits)


def _facts_in_worker(folder: str) -> dict:
    return safe_gather(Path(folder), _worker["catalog"], _worker["rules"], _worker["limits"]).to_dict()


def safe_gather(folder: Path, catalog: Catalog | None, rules: dict, limits: Limits) -> MachineFacts:
    """Facts, or an error row naming the machine: one bad machine never stops the rest."""
    try:
        return gather_facts(folder, catalog, rules, limits=limits, on_share=True)
    except HfstageError as e:
        return MachineFacts(machine=folder.name, error=str(e))
    except Exception as e:  # noqa: BLE001 - any failure becomes this machine's error row
        return MachineFacts(machine=folder.name, error=f"{folder}: unexpected {type(e).__name__}: {e}")


def inventory(share: Share, catalog: Catalog | None, *, rules: dict | None = None, limits: Limits | None = None,
              machines: list[str] | None = None, jobs: int | None = None, progress: bool | None = None,
              adopt: bool = True) -> InventoryResult:
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
    salt = fingerprint([str(share.root), catalog.data_version if catalog else None, rules, limits.__dict__])
    record = share.record(FACTS)
    entries: dict[str, list] = {}
    todo: list[tuple[Path, str]] = []
    for folder in folders:
        try:
            key = _input_key(locate_inputs(folder), salt)
        except HfstageError as e:
            facts = MachineFacts(machine=folder.name, error=str(e))
            result.fresh[folder.name] = facts
            entries[folder.name] = [facts_hash(facts), facts.error]
            continue
        known = record.fresh(folder.name, key)
        if known is not None and (cache / f"{folder.name}.json").is_file():
            entries[folder.name] = known
        else:
            todo.append((folder, key))
    record.begin(f.name for f, _ in todo)  # a run killed while reading them leaves none vouched for
    fresh = _gather_all([f for f, _ in todo], catalog, rules, limits, jobs, progress)
    result.read, result.cached = len(todo), len(folders) - len(todo)
    for (folder, key), facts in zip(todo, fresh, strict=True):
        data = facts.to_dict()
        digest = facts_hash(data)
        result.fresh[folder.name] = facts
        entries[folder.name] = [digest, facts.error]
        payload = json.dumps({"key": key, "hash": digest, "facts": data}, sort_keys=True)
        write_if_changed(cache / f"{folder.name}.json", payload.encode("utf-8"), PRIVATE, sync_dir=False,
                         durable=False)  # remembered, not kept: lost in a power cut, it is only read again
        record.put(folder.name, key, entries[folder.name])
    sync_folders([cache / "index.json"])
    result.machines = sorted(entries, key=str.lower)
    for name in result.machines:
        result.hashes[name], result.errors[name] = entries[name]
    if machines is None:
        record.keep_only(result.machines)  # machines that left the share are forgotten
    record.commit()
    return result


def _gather_all(folders: list[Path], catalog, rules, limits, jobs, progress) -> list[MachineFacts]:
    bar = _progress(len(folders), progress)
    if jobs == 1 or (jobs is None and len(folders) < _PARALLEL_THRESHOLD) or len(folders) < 2:
        out = []
        for folder in folders:
            out.append(safe_gather(folder, catalog, rules, limits))
            bar.update(1)
        bar.close()
        return out
    workers = jobs or os.cpu_count() or 1
    # spawn, not fork: a forked worker would inherit the share lock's descriptor and keep
    # the lock held after a killed run, until the orphan exits.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                             initargs=(catalog, rules, limits)) as pool:
        out = []
        chunk = max(1, len(folders) // (workers * 8))
        for data in pool.map(_facts_in_worker, [str(f) for f in folders], chunksize=chunk):
            out.append(MachineFacts.from_dict(data))
            bar.update(1)
            crash_point("workers")
    bar.close()
    return out


def _progress(total: int, progress: bool | None):
    from tqdm import tqdm

    enabled = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, unit="machine", file=sys.stderr, desc="inventory", disable=not enabled or total == 0)
