"""One memory for what changed: content keys that always carry the format version of the code that makes
the remembered value, and keyed records under state\\ that a killed run never leaves vouching for a file it
had not finished.

A memo remembers, per item (a machine, a page, a package), the key of the inputs its output was made
from; an item whose key is unchanged is not made again. The format version is derived, never bumped by
hand: it is a hash of the source of the stage that makes the value and of every stage and base module to
its left (the layering, DESIGN §9, guarantees nothing else can shape it), of hfstage's data tables and
templates, and of the versions of the libraries hfstage reads files with. Any change to that code drops
the memo once; a release that does not touch it (a new CLI option) keeps 5,000 machines' facts.

A record is written in two moves around the work it vouches for: `begin` drops the items about to be made
again (durably) before anything is rewritten, `commit` stores their new keys after. Killed in between, the
next run finds those items unknown and makes them again. A record that cannot be read is empty (and
logged): everything is made again, nothing wrong is reused.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import sys
from dataclasses import dataclass
from importlib import metadata
from importlib import resources as package_files
from pathlib import Path

from hfstage import resources
from hfstage.faults import crash_point
from hfstage.share.files import PRIVATE, atomic_write_bytes

log = logging.getLogger(__name__)

# The stage order (DESIGN §9): a stage imports only stages to its left; tests/house/test_layering.py checks it.
STAGES = ("share", "cab", "catalog", "inventory", "assess", "history", "packages", "scripts", "report", "central",
          "pipeline", "cli")
BASE_MODULES = ("errors", "versions", "resources", "faults", "notices")
_NOT_DATA = ("examples",)  # the demo's site: nothing a memo remembers is made from it


@dataclass(frozen=True)
class Memo:
    """What one cache remembers: its record (a path below the state folder), and the stage whose code makes
    the remembered values (its format version follows that code)."""

    name: str
    path: str
    producer: str
    what: str

    @property
    def format(self) -> str:
        return format_version(self.producer)

    def key(self, *parts: object) -> str:
        """The content key of PARTS for this memo: it always includes the memo's format version."""
        return fingerprint([self.name, self.format, *parts])


def fingerprint(value: object) -> str:
    """SHA-256 of VALUE as canonical JSON: the one recipe hfstage hashes structured values with."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def format_version(stage: str) -> str:
    """The version of the code that makes a value in STAGE: its source, the stages to its left, the base
    modules, the package data and the file-reading libraries' versions."""
    if stage not in STAGES:
        raise ValueError(f"{stage} is not a stage of hfstage")
    return _installed_versions()[stage]


@functools.cache
def _installed_versions() -> dict[str, str]:
    """Every stage's format version of the hfstage this process runs: its code cannot change while the process
    runs, so the package is read and hashed once per process, not once per stage a memo asks about."""
    return source_versions(package_files.files(resources.PACKAGE))


def source_version(package, stage: str) -> str:
    """The format version of STAGE's values as the hfstage package at PACKAGE (a folder) would make them."""
    if stage not in STAGES:
        raise ValueError(f"{stage} is not a stage of hfstage")
    return source_versions(package)[stage]


def source_versions(package) -> dict[str, str]:
    """Stage -> the format version of its values as the hfstage package at PACKAGE would make them, each file read
    once: a stage's digest is the digest of the stages up to it (one running digest, copied at each stage), then
    the base modules, the package data and the library versions (the same tail for every stage)."""
    tail = [((f"{name}.py",), (package / f"{name}.py").read_bytes()) for name in BASE_MODULES
            if (package / f"{name}.py").is_file()]
    tail += [(("data", *parts), node.read_bytes()) for parts, node in resources.walk(package / "data")
             if parts[0] not in _NOT_DATA]
    libraries = repr((_library_versions(), sys.version_info[:2])).encode()
    running, out = hashlib.sha256(), {}
    for name in STAGES:
        for parts, node in resources.walk(package / name):
            if parts[-1].endswith(".py"):
                _add(running, (name, *parts), node.read_bytes())
        digest = running.copy()
        for parts, data in tail:
            _add(digest, parts, data)
        digest.update(libraries)
        out[name] = digest.hexdigest()[:16]
    return out


def _add(digest, parts: tuple[str, ...], data: bytes) -> None:
    digest.update("/".join(parts).encode() + b"\0" + len(data).to_bytes(8, "little") + data)


def _library_versions() -> list[tuple[str, str]]:
    """hfstage's dependencies and their installed versions (a new python-registry may read a hive otherwise)."""
    try:
        wanted = metadata.requires(resources.PACKAGE) or []
    except metadata.PackageNotFoundError:
        return []
    out = []
    for requirement in wanted:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0]
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "absent"))
    return sorted(out)


class Record:
    """A memo's entries in its file below FOLDER (a share's state\\): item -> [key, value].

    `fresh(item, key)` is what a run may reuse; `begin(items)` forgets ITEMS (durably) before they are made
    again; `put` notes their new keys; `commit()` stores them once the work they vouch for is done."""

    def __init__(self, folder: Path, memo: Memo) -> None:
        self.memo = memo
        self.path = Path(folder) / memo.path
        self.entries: dict[str, list] = _load(self.path)
        self._stored = dict(self.entries)

    def fresh(self, item: str, key: str) -> object | None:
        """The value remembered for ITEM when it was made from KEY, else None."""
        entry = self.entries.get(item)
        return entry[1] if entry is not None and entry[0] == key else None

    def known(self, item: str, key: str) -> bool:
        entry = self.entries.get(item)
        return entry is not None and entry[0] == key

    def value(self, item: str) -> object | None:
        """What was remembered for ITEM, whatever it was made from."""
        entry = self.entries.get(item)
        return entry[1] if entry is not None else None

    def begin(self, items) -> None:
        """Forget ITEMS before anything of theirs is rewritten: a run killed after this vouches for none."""
        items = [i for i in items if i in self.entries]
        for item in items:
            del self.entries[item]
        if items:
            self._write()
        crash_point(f"memo:{self.memo.name}:begun")

    def put(self, item: str, key: str, value: object = None) -> None:
        self.entries[item] = [key, value]

    def keep_only(self, items) -> None:
        """Forget every item not in ITEMS (machines that left the share, pages no longer made)."""
        wanted = set(items)
        self.entries = {k: v for k, v in self.entries.items() if k in wanted}

    def commit(self) -> None:
        """Store the keys of what was made (after it is written)."""
        crash_point(f"memo:{self.memo.name}:commit")
        if self.entries != self._stored:
            self._write()

    def _write(self) -> None:
        data = {"memo": self.memo.name, "entries": self.entries}
        atomic_write_bytes(self.path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"),
                           PRIVATE)
        self._stored = dict(self.entries)


def _load(path: Path) -> dict[str, list]:
    """The entries of the record at PATH: none when it is missing; none, with a warning, when it is damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        log.warning("%s: cannot be read (%s): everything it remembered is made again", path, e.strerror)
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and "memo" not in data:
            log.info("%s: written by an earlier hfstage: everything it remembered is made again", path)
            return {}
        entries = data["entries"]
        if not isinstance(entries, dict) or not all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)
                                                    for e in entries.values()):
            raise ValueError("not a table of [key, value] entries")
    except (ValueError, TypeError, KeyError) as e:
        log.warning("%s: damaged (%s): everything it remembered is made again", path, e)
        return {}
    return entries
