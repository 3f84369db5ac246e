"""The staging share: its folders (DESIGN §2), `init`, the audit log and the run lock."""

from __future__ import annotations

import contextlib
import getpass
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hfstage import resources
from hfstage.errors import UsageError, os_fault
from hfstage.share.config import SiteConfig, load_site_config
from hfstage.share.files import FOLDER, PRIVATE, PRIVATE_FOLDER, PUBLIC, make_folder, open_private, temp_folder
from hfstage.share.lock import share_lock

FOLDERS = (
    "incoming", "catalogs", "trust", "hotfixes", "inventory",
    "scripts", "netlogon", "results", "reports", "state",
)
# Folders only admins and hfstage read: state (history, caches, audit log).
PRIVATE_FOLDERS = ("state",)
# Folders every client writes (DESIGN §8): what is in them is hostile input. They are made
# writable by everyone with the sticky bit (as /tmp: a client cannot delete another's files);
# README shows how to narrow them to the clients' group.
CLIENT_FOLDERS = ("inventory", "results")
CLIENT_FOLDER = 0o1777
LOCK_NAME = "hfstage.lock"
AUDIT_NAME = "audit.log"
# state\machines.json: every machine's lifecycle (pending, accepted, retired), who accepted or retired it and
# when, and when the server first saw it (inventory.lifecycle)
MACHINES_NAME = "machines.json"
# state\quarantine\: what `hfstage share provision --apply` moved out of machine folders (share.ownership)
QUARANTINE_NAME = "quarantine"


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
        # absolute: messages and cached facts name files the same wherever hfstage was started from
        object.__setattr__(self, "root", Path(os.path.abspath(self.root)))

    def folder(self, name: str) -> Path:
        return self.root / name

    @property
    def site_ini(self) -> Path:
        return self.root / "site.ini"

    @property
    def state(self) -> Path:
        return self.root / "state"

    def check(self) -> None:
        """Fail clearly when ROOT is not an initialised share."""
        if not self.root.is_dir():
            raise UsageError(f"{self.root}: no such share folder (create it with `hfstage init {self.root}`)")
        missing = [name for name in FOLDERS if not (self.root / name).is_dir()]
        if missing:
            raise UsageError(f"{self.root}: not an hfstage share (missing {', '.join(missing)}); "
                             f"run `hfstage init {self.root}`")

    def config(self) -> SiteConfig:
        """site.ini, parsed and checked (callers keep the result and pass it on)."""
        return load_site_config(self.site_ini)

    def audit(self, message: str) -> None:
        """Append one dated line to state/audit.log (overrides and other decisions)."""
        path = self.state / AUDIT_NAME
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} {getpass.getuser()}: {message}\n"
        try:
            with open_private(path) as fh:
                fh.write(line)
        except OSError as e:
            raise os_fault(path, e, "write") from e

    def remove_stale_temps(self) -> int:
        """Temp files and folders a killed run left in hfstage's own folders (call with the lock held)."""
        import shutil

        removed = 0
        for name in ("catalogs", "scripts", "netlogon", "reports", "state"):
            for stale in sorted(self.folder(name).rglob(".*.tmp"), reverse=True):
                if stale.is_dir() and not stale.is_symlink():
                    shutil.rmtree(stale, ignore_errors=True)
                else:
                    stale.unlink(missing_ok=True)
                removed += 1
        return removed

    @contextlib.contextmanager
    def scratch(self, label: str) -> Iterator[Path]:
        """A private temp folder in state/, removed afterwards; one a killed run leaves behind is
        swept by the next run (remove_stale_temps), so nothing piles up in the server's /tmp."""
        import shutil

        tmp = temp_folder(self.state, label, PRIVATE_FOLDER)
        try:
            yield tmp
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    @contextlib.contextmanager
    def lock(self, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold the share's run lock; wait up to WAIT_SECONDS, then fail clearly."""
        make_folder(self.state, PRIVATE_FOLDER)
        with share_lock(self.state / LOCK_NAME, wait_seconds):
            yield


def init_share(root: Path) -> InitReport:
    """Create the share layout from the package's share skeleton; never touch a file that exists."""
    root = Path(root)
    report = InitReport()
    make_folder(root)
    for name in FOLDERS:
        make_folder(root / name, _folder_mode(name))
    for parts, source in resources.walk(resources.data("share_layout")):
        rel = "/".join(parts)
        target = root.joinpath(*parts)
        private = parts[0] in PRIVATE_FOLDERS
        make_folder(target.parent, _folder_mode(parts[0]))
        data = source.read_bytes()
        if target.exists():
            report.kept.append(rel)
            if target.read_bytes() != data:
                report.differs.append(rel)
            continue
        try:
            target.write_bytes(data)
            target.chmod(PRIVATE if private else PUBLIC)
        except OSError as e:
            raise os_fault(target, e, "write") from e
        report.created.append(rel)
    return report


def _folder_mode(top: str) -> int:
    if top in CLIENT_FOLDERS:
        return CLIENT_FOLDER
    return PRIVATE_FOLDER if top in PRIVATE_FOLDERS else FOLDER
