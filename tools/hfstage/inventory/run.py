"""`hfstage inventory`: facts for every machine on the share, in parallel, cached.

The cache (state/facts/<MACHINE>.json) is keyed by each input file's size and mtime, the
catalog's DataVersion and the rules, so an unchanged machine is not read again.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from hfstage.catalog.model import Catalog
from hfstage.catalog.parser import parse_catalog_file
from hfstage.catalog.store import find_catalog, list_catalogs
from hfstage.errors import HfstageError, UsageError
from hfstage.fsutil import write_if_changed
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.gather import gather_facts, locate_inputs
from hfstage.inventory.rules import PACKAGE_RULES, load_rules
from hfstage.share import Share

CACHE_DIR = "facts"
UNNAMED = "_unnamed"
SITE_RULES = "products.json"
CACHE_FORMAT = 3
_PARALLEL_THRESHOLD = 8

_worker: dict = {}


def site_rules_path(share: Share) -> Path:
    return share.folder("state") / SITE_RULES


def machine_folders(share: Share, machine: str | None = None) -> list[Path]:
    """Machine folders under inventory/ (one per machine), or just MACHINE."""
    root = share.folder("inventory")
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", UNNAMED[0]))),
                     key=lambda p: p.name.lower())
    if machine is None:
        return folders
    chosen = [p for p in folders if p.name.lower() == machine.lower()]
    if not chosen:
        raise UsageError(f"{root}: no inventory folder for machine {machine!r}")
    return chosen


def adopt_unnamed(share: Share) -> list[str]:
    """File 9x exports from inventory/_unnamed/<user>/ under the ComputerName they contain."""
    from hfstage.inventory.regfile import read_reg_files
    from hfstage.inventory.regtree import walk
    from hfstage.scripts.batch import check_machine_name

    notes = []
    spool = share.folder("inventory") / UNNAMED
    for folder in sorted(p for p in spool.iterdir() if p.is_dir()) if spool.is_dir() else []:
        exports = sorted(folder.glob("*.reg"))
        if not exports or list(folder.glob("*.tmp")):
            continue  # nothing yet, or a collector is still writing
        try:
            tree = read_reg_files(exports).root
            key = walk(tree, "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\control\\ComputerName\\ComputerName")
            name = check_machine_name(str(key.value("ComputerName") if key else "")).upper()
        except HfstageError as e:
            notes.append(f"{folder}: left in place: {e}")
            continue
        target = share.folder("inventory") / name
        target.mkdir(exist_ok=True)
        for export in exports:
            os.replace(export, target / export.name)
        notes.append(f"{folder}: exports filed under inventory/{name}")
    return notes


def _fingerprint(folder: Path, catalog_version: str | None, rules_hash: str) -> str:
    inputs = locate_inputs(folder)
    stats = []
    for path in inputs.all_files():
        st = path.stat()
        stats.append([str(path.relative_to(folder)), st.st_size, st.st_mtime_ns])
    blob = json.dumps([CACHE_FORMAT, catalog_version, rules_hash, stats])
    return hashlib.sha256(blob.encode()).hexdigest()


def _cache_path(share: Share, machine: str) -> Path:
    return share.folder("state") / CACHE_DIR / f"{machine}.json"


def _load_cached(path: Path, fingerprint: str) -> MachineFacts | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("fingerprint") == fingerprint:
            return MachineFacts.from_dict(data["facts"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def _init_worker(catalog_xml: str | None, rules_path: str) -> None:
    _worker["catalog"] = parse_catalog_file(Path(catalog_xml)) if catalog_xml else None
    _worker["rules"] = load_rules(Path(rules_path))


def _facts_in_worker(folder: str) -> dict:
    return _safe_gather(Path(folder), _worker["catalog"], _worker["rules"]).to_dict()


def _safe_gather(folder: Path, catalog: Catalog | None, rules: dict) -> MachineFacts:
    """Facts, or an error row naming the machine: one bad machine never stops the rest."""
    try:
        return gather_facts(folder, catalog, rules)
    except HfstageError as e:
        return MachineFacts(machine=folder.name, error=str(e))
    except Exception as e:  # noqa: BLE001 - any failure becomes this machine's error row
        return MachineFacts(machine=folder.name, error=f"{folder}: unexpected {type(e).__name__}: {e}")


def latest_catalog(share: Share) -> tuple[Catalog | None, Path | None]:
    if not list_catalogs(share):
        return None, None
    stored = find_catalog(share)
    return stored.load(), stored.xml


def inventory_share(share: Share, machine: str | None = None, jobs: int | None = None,
                    progress: bool | None = None, stats: dict | None = None,
                    adopt: bool = True) -> list[MachineFacts]:
    """Facts for every machine (or MACHINE), reading only those whose inputs changed.

    STATS, when given, receives how many machines were read and how many came from the cache.
    """
    share.check()
    if adopt:
        adopt_unnamed(share)
    catalog, catalog_xml = latest_catalog(share)
    rules_path = site_rules_path(share) if site_rules_path(share).is_file() else PACKAGE_RULES
    rules = load_rules(rules_path)
    rules_hash = hashlib.sha256(rules_path.read_bytes()).hexdigest()[:16]
    results: dict[str, MachineFacts] = {}
    todo: list[tuple[Path, str]] = []
    for folder in machine_folders(share, machine):
        try:
            fingerprint = _fingerprint(folder, catalog.data_version if catalog else None, rules_hash)
        except OSError as e:
            results[folder.name] = MachineFacts(machine=folder.name, error=f"{folder}: cannot read: {e.strerror}")
            continue
        cached = _load_cached(_cache_path(share, folder.name), fingerprint)
        if cached is not None:
            results[folder.name] = cached
        else:
            todo.append((folder, fingerprint))
    fresh = _gather_all([f for f, _ in todo], catalog, catalog_xml, rules, rules_path, jobs, progress)
    if stats is not None:
        stats.update(read=len(todo), cached=len(results), errors=sum(1 for f in fresh if f.error))
    for (folder, fingerprint), facts in zip(todo, fresh, strict=True):
        results[folder.name] = facts
        payload = json.dumps({"fingerprint": fingerprint, "facts": facts.to_dict()}, sort_keys=True)
        write_if_changed(_cache_path(share, folder.name), payload.encode("utf-8"))
    return [results[name] for name in sorted(results, key=str.lower)]


def _gather_all(folders: list[Path], catalog, catalog_xml, rules, rules_path, jobs, progress) -> list[MachineFacts]:
    bar = _progress(len(folders), progress)
    if len(folders) < _PARALLEL_THRESHOLD or jobs == 1:
        out = []
        for folder in folders:
            out.append(_safe_gather(folder, catalog, rules))
            bar.update(1)
        bar.close()
        return out
    workers = jobs or os.cpu_count() or 1
    # spawn, not fork: a forked worker would inherit the share lock's descriptor and keep
    # the lock held after a killed run, until the orphan exits.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
                             initargs=(str(catalog_xml) if catalog_xml else None, str(rules_path))) as pool:
        out = []
        chunk = max(1, len(folders) // (workers * 8))
        for data in pool.map(_facts_in_worker, [str(f) for f in folders], chunksize=chunk):
            out.append(MachineFacts.from_dict(data))
            bar.update(1)
    bar.close()
    return out


def _progress(total: int, progress: bool | None):
    from tqdm import tqdm

    enabled = sys.stderr.isatty() if progress is None else progress
    return tqdm(total=total, unit="machine", file=sys.stderr, desc="inventory", disable=not enabled or total == 0)
