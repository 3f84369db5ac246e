"""The staging share: its layout (DESIGN §2), `init`, site.ini, and the run lock."""

from __future__ import annotations

import configparser
import contextlib
import filecmp
import getpass
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import InputError, LockedError, UsageError
from hfstage.resources import resource_dir

log = logging.getLogger(__name__)
_HELD: dict[str, int] = {}  # lock files this process holds, and how deep

FOLDERS = (
    "incoming", "catalogs", "trust", "hotfixes", "inventory",
    "scripts", "netlogon", "results", "reports", "state",
)


@dataclass
class InitReport:
    """What `init` did: files created, files left alone because they already exist."""

    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Share:
    """A staging share rooted at ROOT; every other module asks it for paths."""

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    def folder(self, name: str) -> Path:
        return self.root / name

    @property
    def site_ini(self) -> Path:
        return self.root / "site.ini"

    def check(self) -> None:
        """Fail clearly when ROOT is not an initialised share."""
        if not self.root.is_dir():
            raise UsageError(f"{self.root}: no such share folder (create it with `hfstage init {self.root}`)")
        missing = [name for name in FOLDERS if not (self.root / name).is_dir()]
        if missing:
            raise UsageError(
                f"{self.root}: not an hfstage share (missing {', '.join(missing)}); "
                f"run `hfstage init {self.root}`"
            )

    def config(self) -> configparser.ConfigParser:
        """site.ini parsed; a missing file means all defaults."""
        parser = configparser.ConfigParser(
            inline_comment_prefixes=(";",), interpolation=None, strict=True
        )
        try:
            parser.read(self.site_ini, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as e:
            first = str(e).splitlines()[0]
            raise InputError(f"{self.site_ini}: cannot parse: {first}") from e
        return parser

    def config_int(self, section: str, key: str, default: int) -> int:
        raw = self.config().get(section, key, fallback=None)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw.strip())
        except ValueError as e:
            raise InputError(f"{self.site_ini}: [{section}] {key} = {raw!r} is not a whole number") from e

    def audit(self, message: str) -> None:
        """Append one dated line to state/audit.log (overrides and other decisions)."""
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {getpass.getuser()}: {message}\n"
        with open(self.folder("state") / "audit.log", "a", encoding="utf-8") as fh:
            fh.write(line)

    @contextlib.contextmanager
    def lock(self, wait_seconds: float = 0.0) -> Iterator[None]:
        """Hold the share's run lock; wait up to WAIT_SECONDS, then fail clearly.

        Re-entrant within one process, so `month` can hold it around steps that take it.
        """
        path = self.folder("state") / "hfstage.lock"
        key = str(path.resolve())
        if _HELD.get(key):
            _HELD[key] += 1
            try:
                yield
            finally:
                _HELD[key] -= 1
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a+") as fh:
            deadline = time.monotonic() + wait_seconds
            while not _try_lock(fh):
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "unknown"
                    raise LockedError(
                        f"{path}: another hfstage run holds the share lock ({holder}); "
                        "wait for it to finish and try again"
                    )
                time.sleep(0.2)
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            fh.flush()
            _HELD[key] = 1
            try:
                yield
            finally:
                _HELD.pop(key, None)
                fh.seek(0)
                fh.truncate()
                _unlock(fh)


def _try_lock(fh) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows server
        import msvcrt

        try:
            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(fh) -> None:
    try:
        import fcntl
    except ImportError:
        import msvcrt

        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def init_share(root: Path) -> InitReport:
    """Create the share layout from share_layout/; never touch a file that exists."""
    root = Path(root)
    layout = resource_dir("share_layout")
    report = InitReport()
    root.mkdir(parents=True, exist_ok=True)
    for src in sorted(layout.rglob("*")):
        rel = src.relative_to(layout)
        dst = root / rel
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        elif dst.exists():
            report.kept.append(str(rel))
            if not filecmp.cmp(src, dst, shallow=False):
                report.differs.append(str(rel))
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)
            report.created.append(str(rel))
    for name in FOLDERS:
        (root / name).mkdir(exist_ok=True)
    return report
