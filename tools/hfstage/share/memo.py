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

A record of thousands of entries (scripts.json: 4 MB at 5,000 machines) is not encoded whole for the few that
a month changes: the entries changed since it was last written whole go to its changes file beside it (its
name and CHANGES; an item dropped by `begin` is there as null), written whole each time (temp file and
rename, as every state file), read with the record and applied over it. The record carries a token of its
own writing and the changes file the token it applies to: once the changes are an eighth of the record, the
record is written whole with a new token, and a changes file left from before (a run killed before it was
removed) names the old token and is not applied.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import secrets
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
CHANGES = ".changes"  # a record's changes file: the record's name and this
_CHANGES_FROM = 256  # a record of fewer entries is written whole: some kilobytes
_CHANGES_SHARE = 8  # changes of more than 1/8 of the record's entries: the record is written whole


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
        self.changes_path = self.path.with_name(self.path.name + CHANGES)
        self._whole, self._token, self.entries = _load(self.path, self.changes_path)
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
        """The entries stored: as changes to the record written whole, when they are few, else whole."""
        changes = {item: entry for item, entry in self.entries.items()
                   if (whole := self._whole.get(item)) is not entry and whole != entry}
        changes |= {item: None for item in self._whole if item not in self.entries}
        if self._token is None or len(self._whole) < _CHANGES_FROM or len(changes) * _CHANGES_SHARE > len(self._whole):
            self._write_whole()
        else:
            _store(self.changes_path, {"memo": self.memo.name, "whole": self._token, "changes": changes})
        self._stored = dict(self.entries)

    def _write_whole(self) -> None:
        token = secrets.token_hex(8)
        _store(self.path, {"memo": self.memo.name, "whole": token, "entries": self.entries})
        self._whole, self._token = dict(self.entries), token
        crash_point(f"memo:{self.memo.name}:whole")  # killed here: the changes file left names the old token
        try:
            self.changes_path.unlink(missing_ok=True)
        except OSError as e:  # the record is stored; changes of another token are never applied
            log.warning("%s: cannot be removed (%s); it is not read", self.changes_path, e.strerror)


def _store(path: Path, data: dict) -> None:
    atomic_write_bytes(path, json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8"), PRIVATE)


def _load(path: Path, changes_path: Path) -> tuple[dict[str, list], str | None, dict[str, list]]:
    """The entries of the record at PATH as written whole, the token of that writing, and the entries with
    its changes file's changes applied; none when either cannot be read (with a warning: all made again)."""
    whole = _read(path)
    token = whole.get("whole") if whole is not None else None
    if not isinstance(token, str):
        return (whole or {}).get("entries", {}), None, dict((whole or {}).get("entries", {}))
    changes = _read(changes_path, changes=True)
    if changes is None:
        return {}, None, {}
    entries = dict(whole["entries"])
    if changes.get("whole") == token:
        for item, entry in changes["changes"].items():
            if entry is None:
                entries.pop(item, None)
            else:
                entries[item] = entry
    return whole["entries"], token, entries


def _read(path: Path, changes: bool = False) -> dict | None:
    """The record (or, CHANGES, the changes file) at PATH: {} when it is missing or from an earlier hfstage,
    None (with a warning) when it cannot be read or is damaged."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as e:
        log.warning("%s: cannot be read (%s): everything it remembered is made again", path, e.strerror)
        return None
    try:
        data = json.loads(raw.decode("utf-8"))
        if isinstance(data, dict) and "memo" not in data:
            log.info("%s: written by an earlier hfstage: everything it remembered is made again", path)
            return {}
        table = data["changes" if changes else "entries"]
        if not isinstance(table, dict) or not all((changes and e is None) or (
                isinstance(e, list) and len(e) == 2 and isinstance(e[0], str)) for e in table.values()):
            raise ValueError("not a table of [key, value] entries")
    except (ValueError, TypeError, KeyError) as e:
        log.warning("%s: damaged (%s): everything it remembered is made again", path, e)
        return None
    return data
