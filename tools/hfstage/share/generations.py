"""One set at a time: the client-visible scripts live in generation folders, and one pointer names the set
clients run (a release: write the whole generation, then switch the pointer).

cmd.exe and command.com re-open a running batch file by its path for every line they read: a script
replaced under a running client (even by an atomic rename) goes on in the new file at the old byte
offset, and a deleted one fails the client. So no file a client may be running is ever replaced:
  scripts\\G000123\\       every generated file clients call (machine scripts, rollback scripts,
                          collectors, the NT 4.0 job), written whole and durable under a temp name,
                          then renamed into place (a killed run leaves only a temp folder, swept)
  scripts\\G000123\\generation.txt   the generation's manifest: its name and the catalog (version, date)
                          its scripts were made for; per-machine scripts do not name the catalog (a new
                          catalog that changes nothing of a machine's plan keeps its script, a hard link),
                          and the results lines a script writes name %HFG%, so each stays traceable
  scripts\\current.bat     one line, `set HFG=G000123`: the stable entry points (netlogon\\logon.bat,
                          startup.bat, the 9x stubs, schedule_nt4.bat) call it, then call files of
                          %HFG% only. Switched by one atomic rename, always the same length, so a
                          client reading it mid-switch reads one whole line, old or new.
A client sees the generation it read at the start of its run, whole; an older generation is removed
only once it is neither current nor the one before, and was superseded keep_days ago (site.ini [scripts]
keep_days, KEEP_DAYS by default: a run that started before the switch, a laptop resumed mid-script, an
admin's rollback script of last month).
No links: Samba serves the share with `follow symlinks = no`; files carried over unchanged are hard
links (a second name for a file no one rewrites in place), else copies.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import HfstageError, os_fault
from hfstage.faults import write_point
from hfstage.share.files import FOLDER, PUBLIC, _fsync_dir, atomic_write_bytes, make_folder, write_fresh_folder

POINTER = "current.bat"
MANIFEST = "generation.txt"  # in each generation: its name and its catalog
KEEP_DAYS = 7  # the default of [scripts] keep_days: a run begun before a switch ends within hours; a week
# covers a suspended laptop
_NAME = re.compile(r"^G\d{6}$")
_LINE = re.compile(rb"^set HFG=(G\d{6})\r\n$")


def pointer_line(generation: str) -> bytes:
    """The pointer's whole content: fixed width, so a client that read it before a switch finds EOF after."""
    return f"set HFG={generation}\r\n".encode("ascii")


def current_generation(scripts: Path) -> str | None:
    """The generation clients run now (None: nothing published yet, or a pointer hfstage did not write)."""
    try:
        match = _LINE.match((scripts / POINTER).read_bytes())
    except OSError:
        return None
    return match.group(1).decode() if match and (scripts / match.group(1).decode()).is_dir() else None


def generations(scripts: Path) -> list[str]:
    """Every published generation folder, oldest first."""
    if not scripts.is_dir():
        return []
    return sorted(p.name for p in scripts.iterdir() if _NAME.match(p.name) and p.is_dir() and not p.is_symlink())


def published_files(scripts: Path) -> dict[str, Path]:
    """The set clients run now: file name -> its path in the current generation."""
    current = current_generation(scripts)
    if current is None:
        return {}
    return {p.name: p for p in sorted((scripts / current).iterdir()) if p.is_file()}


def published(scripts: Path, name: str) -> Path:
    """Where the file NAME of the current set is (in the current generation; scripts\\NAME before any)."""
    current = current_generation(scripts)
    return scripts / current / name if current else scripts / name


class PublishFailed(HfstageError):
    """Writing a new generation failed; clients still run the one before."""


@dataclass
class Release:
    """The next generation of SCRIPTS, built from the current one: files put, files dropped, then published
    whole; work that must follow the switch (memos vouching for the files) runs after it."""

    scripts: Path
    base: str | None = None
    staged: dict[str, bytes] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)
    then: list[Callable[[], None]] = field(default_factory=list)
    name: str = ""
    keep_days: float = KEEP_DAYS  # how long a replaced generation stays (site.ini [scripts] keep_days)
    catalog: tuple[str, str] | None = None  # (DataVersion, LastDataUpdate) its scripts are made for
    _listed: frozenset[str] | None = field(default=None, repr=False)  # the base's file names, listed once
    _read: dict[str, bytes | None] = field(default_factory=dict, repr=False)  # the base's files, read once

    @classmethod
    def start(cls, scripts: Path, keep_days: float = KEEP_DAYS) -> Release:
        """The next generation after every folder there (call with the share's lock held); a generation
        replaced over KEEP_DAYS ago is removed when this one is published."""
        sweep_unpublished(scripts)
        known = generations(scripts)
        number = int(known[-1][1:]) + 1 if known else 1
        return cls(scripts, current_generation(scripts), name=f"G{number:06d}", keep_days=keep_days)

    def current(self, name: str) -> bytes | None:
        """NAME as clients run it now (None: not in the current set)."""
        if self.base is None:
            return None
        if name not in self._read:  # differs() and changes() both ask; a published generation never changes
            try:
                with open(os.path.join(self.scripts, self.base, name), "rb") as fh:
                    self._read[name] = fh.read()
            except OSError:
                self._read[name] = None
        return self._read[name]

    def has(self, name: str) -> bool:
        return name in self.staged or (name not in self.dropped and name in self._base_files())

    def _base_files(self) -> frozenset[str]:
        """The names of the files of the set this release starts from: listed once, not a stat per machine (a
        published generation is never changed, and the share's lock is held)."""
        if self._listed is None:
            if self.base is None:
                self._listed = frozenset()
            else:
                with os.scandir(self.scripts / self.base) as entries:
                    self._listed = frozenset(e.name for e in entries if e.is_file())
        return self._listed

    def differs(self, name: str, data: bytes) -> bool:
        return self.staged.get(name, self.current(name)) != data

    def put(self, files: dict[str, bytes]) -> None:
        self.staged.update(files)
        self.dropped.difference_update(files)

    def drop(self, names) -> None:
        for name in names:
            self.staged.pop(name, None)
            self.dropped.add(name)

    def base_names(self) -> list[str]:
        return sorted(self._base_files())

    def path(self, name: str) -> Path:
        """Where NAME will be once this release is published."""
        return self.scripts / self.name / name

    def changes(self) -> bool:
        """Anything clients would run differently, or a catalog the current set's manifest does not name."""
        return any(self.current(n) != d for n, d in self.staged.items()) or any(
            self.current(n) is not None for n in self.dropped) or (
            self.catalog is not None and manifest_catalog(self.current(MANIFEST)) != self.catalog)

    def made_for(self, version: str, date: object) -> None:
        """The catalog (its DataVersion and LastDataUpdate) this generation's scripts are made for."""
        self.catalog = (version, str(date) if date else "-")

    def manifest(self) -> bytes | None:
        """generation.txt: this generation's name and the catalog its scripts were made for (this release's,
        else the set before's; None: no catalog yet, so none to name)."""
        made_for = self.catalog or manifest_catalog(self.current(MANIFEST))
        if made_for is None:
            return None
        text = "generation={}\r\ncatalog={}\r\ncatalog_date={}\r\n".format(self.name, *made_for)
        return text.encode("ascii", "replace")

    def publish(self) -> str | None:
        """Write the generation whole, switch the pointer, run what follows; None when nothing changed."""
        if not self.changes():
            for action in self.then:
                action()
            return None
        tmp = self.scripts / f".{self.name}.tmp"
        manifest = self.manifest()
        if manifest is not None:
            self.put({MANIFEST: manifest})
        try:
            self._write(tmp)
            write_point()  # killed here: a whole generation no pointer names (swept as unpublished)
            os.rename(tmp, self.scripts / self.name)
            _fsync_dir(self.scripts)
            atomic_write_bytes(self.scripts / POINTER, pointer_line(self.name))
        except BaseException as e:
            for folder in (tmp, self.scripts / self.name):
                if current_generation(self.scripts) != self.name:
                    shutil.rmtree(folder, ignore_errors=True)
            if isinstance(e, (OSError, HfstageError)):
                failed = PublishFailed(f"{os_fault(e.filename, e, 'write') if isinstance(e, OSError) else e}; "
                                       f"{self.unchanged_text()}")
                failed.exit_code = (os_fault(e.filename, e, "write") if isinstance(e, OSError) else e).exit_code
                raise failed from e
            raise
        for action in self.then:
            action()
        prune(self.scripts, self.keep_days)
        return self.name

    @contextlib.contextmanager
    def guarded(self) -> Iterator[Release]:
        """Ctrl-C before the switch says what clients run: the set before, whole."""
        try:
            yield self
        except KeyboardInterrupt as e:
            if current_generation(self.scripts) != self.name:
                raise KeyboardInterrupt(self.unchanged_text()) from e
            raise

    def unchanged_text(self) -> str:
        """What clients run after a failed or interrupted release, in the words every message uses."""
        if self.base is None:
            return "no script was changed: no set of scripts is published yet"
        return f"no script was changed: clients still run scripts\\{self.base}, the set published before"

    def _write(self, tmp: Path) -> None:
        shutil.rmtree(tmp, ignore_errors=True)
        make_folder(tmp, FOLDER)
        carried = [n for n in self.base_names() if n not in self.staged and n not in self.dropped]
        base = os.path.join(self.scripts, self.base or "")
        for name in carried:
            _carry(os.path.join(base, name), os.path.join(tmp, name))
        write_fresh_folder(tmp, dict(sorted(self.staged.items())), PUBLIC)
        _fsync_dir(tmp)


def _carry(source: str, target: str) -> None:
    """An unchanged file: a second name for it (nothing rewrites a published file in place), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        try:
            shutil.copyfile(source, target)
            os.chmod(target, PUBLIC)
            with open(target, "rb") as fh:
                os.fsync(fh.fileno())
        except OSError as e:
            raise os_fault(target, e, "write") from e


def manifest_catalog(data: bytes | None) -> tuple[str, str] | None:
    """The (catalog, catalog_date) a generation.txt names (None: no manifest, or not one hfstage wrote)."""
    fields = dict(line.split("=", 1) for line in (data or b"").decode("ascii", "replace").splitlines() if "=" in line)
    return (fields["catalog"], fields["catalog_date"]) if {"catalog", "catalog_date"} <= fields.keys() else None


def prune(scripts: Path, keep_days: float = KEEP_DAYS, now: float | None = None) -> list[str]:
    """Remove generations neither current nor the one before that were superseded over KEEP_DAYS ago (a
    generation is superseded when the next one was published: that folder's time). Returns those removed."""
    current = current_generation(scripts)
    known = generations(scripts)
    if current is None or current not in known:
        return []
    now = time.time() if now is None else now
    position = known.index(current)
    removed = []
    for older, newer in zip(known[:max(position - 1, 0)], known[1:position], strict=False):
        with contextlib.suppress(OSError):
            if now - (scripts / newer).stat().st_mtime > keep_days * 86400:
                shutil.rmtree(scripts / older)
                removed.append(older)
    return removed


def sweep_unpublished(scripts: Path) -> list[str]:
    """Generations newer than the pointer's: written whole by a run killed before the switch, never seen."""
    current = current_generation(scripts)
    if current is None:
        return []
    stale = [g for g in generations(scripts) if g > current]
    for name in stale:
        shutil.rmtree(scripts / name, ignore_errors=True)
    return stale
