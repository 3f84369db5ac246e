"""The staging share: its folders (DESIGN §2), every file hfstage keeps in state\\ (the one list of them),
`init`, the audit log and the run lock."""

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
from hfstage.share.lock import lock_holder, share_lock
from hfstage.share.memo import CHANGES, Memo, Record

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


@dataclass(frozen=True)
class StateFile:
    """A file (or folder) below state\\ and what it keeps."""

    name: str
    what: str


# Every file the run keeps state in (plaso's habit: one module knows them all). Nothing else names a
# file below state\; tests/share/test_share_state_files.py checks the code and what a month leaves there.
LOCK = StateFile("hfstage.lock", "the run lock: one hfstage run writes the share at a time")
AUDIT = StateFile("audit.log", "overrides and other decisions an admin made, one dated line each")
HISTORY = StateFile("history.sqlite", "every scan with each machine's assessment, and the rollback history (what "
                    "the scripts ran, what the clients installed); SQLite keeps -wal and -shm files beside it")
PINS = StateFile("packages.json", "the packages confirmed, pinned by SHA-256 (damaged is an error, never empty)")
SITE_KEY = StateFile("site-key.pem", "this site's private key, signing its bundles for the central office")
SITE_RULES = StateFile("products.json", "the site's own product rules, when it keeps a copy (wins over hfstage's)")
TESTING = StateFile("testing.json", "the site's testing phases per severity, when it has its own")
DETECTION = StateFile("detection.json", "the site's detection supplements (file checks the catalog lacks)")
FACTS_FOLDER = StateFile("facts", "each machine's facts as last read, <MACHINE>.json")
RAW_FOLDER = StateFile("raw-facts", "each machine's raw facts: what its hives, exports and collected files alone "
                       "say, and what a new catalog may ask of them, <MACHINE>.json")
SEEN = StateFile("facts/seen.json", "per machine: its evidence's digest and when this server first saw it (the "
                 "\"last reported\" time, by the server's clock; kept across upgrades)")
MACHINES = StateFile("machines.json", "every machine's lifecycle (pending, accepted, retired), who or what gave "
                     "it that standing and when, by the server's clock (inventory.lifecycle); kept, never rebuilt")
QUARANTINE = StateFile("quarantine", "what `hfstage share provision --apply` moved out of machine folders, whole "
                       "and unread, for an admin to look at (share.ownership)")
APPROVALS = StateFile("approvals.json", "where hfstage kept approvals before they moved into history.sqlite "
                      "(issue 21): taken into the history by the first approve or unapprove after the upgrade, "
                      "then no longer read")
COMPILED_TEMPLATES = StateFile("report-templates.cache", "hfstage's report templates compiled (Jinja2's bytecode), "
                               "checked by SHA-256 and the code's version: damaged or stale, they are compiled again")
MEMO_CHANGES = StateFile(f"*{CHANGES}", "a large memo's entries changed since its record was last written whole "
                         "(the record's name and .changes): read with it; folded into it once they are an eighth "
                         "of it")
README = StateFile("README.txt", "this list, for the admin who opens the folder (from the share skeleton)")
SCRATCH = StateFile(".*.tmp", "temporary folders of a run (a dry run's copy, an extracted cabinet); a killed "
                    "run's are removed by the next")

# The memos: what is computed once and reused across runs (DESIGN §9), each with the stage whose code makes it.
FACTS = Memo("facts", "facts/index.json", "inventory",
             "per machine: its input files' sizes and times, the catalog, rules and caps its facts were read with")
RAW_FACTS = Memo("raw-facts", "raw-facts.json", "inventory",
                 "per machine: its input files' sizes, times and owners, the rules and caps (not the catalog) its "
                 "raw facts were read with: a new catalog reads no hive or file of a machine that did not change")
SCANS = Memo("scans", HISTORY.name, "assess",
             "per machine: the facts, catalog, policy and client results its assessment was made from (the "
             "history's machines.input_key)")
TALLIES = Memo("tallies", HISTORY.name, "history",
               "the plan's patch tallies: by the scan's machines and their assessments, and the bulletins "
               "counted (the history's patch_tallies table)")
ROLLBACK = Memo("rollback", "rollback.json", "scripts",
                "per machine: the assessment, results and rollback history that changed nothing in its rollback")
SCRIPTS = Memo("scripts", "scripts.json", "scripts",
               "per machine: what its install and rollback scripts were made from, and its NT 4.0 scheduled job")
COLLECTORS = Memo("collectors", "collectors.json", "scripts",
                  "what the collectors and stubs in netlogon\\ were made from, and each file's size and time then; "
                  "the files the collectors copy from clients (a change is named in the month)")
REPORT = Memo("report", "report.json", "report", "per page of reports\\: what it was rendered from")
PACKAGE_FACTS = Memo("package-facts", "package-facts.json", "packages",
                     "per file below hotfixes\\: what it is, read from its bytes, by size, time and trust store")
ACCOUNTS = Memo("accounts", "accounts.json", "inventory",
                "per machine: its computer account as the server's user database answered, by the identity of "
                "every file that decides that answer (inventory.accounts)")
MEMOS = (FACTS, RAW_FACTS, ACCOUNTS, SCANS, TALLIES, ROLLBACK, SCRIPTS, COLLECTORS, REPORT, PACKAGE_FACTS)
STATE_FILES = (LOCK, AUDIT, HISTORY, PINS, APPROVALS, SITE_KEY, SITE_RULES, TESTING, DETECTION, FACTS_FOLDER,
               RAW_FOLDER, SEEN, MACHINES, QUARANTINE, COMPILED_TEMPLATES, MEMO_CHANGES, README, SCRATCH)

# A central office's folder (`hfstage central init`): its database beside trust\ and reports\, its memo in state\.
CENTRAL_DB = StateFile("central.sqlite", "every site's bundles: sites, machines, missing patches, plans")
CENTRAL_PAGES = Memo("central-pages", "pages.json", "central", "per site page: the site row it was rendered from")


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

    def state_file(self, entry: StateFile | Memo) -> Path:
        """Where ENTRY (one of the registered state files or memos) lives on this share."""
        return self.state / (entry.name if isinstance(entry, StateFile) else entry.path)

    def record(self, memo: Memo) -> Record:
        """MEMO's keyed record on this share, as stored (empty when missing or damaged)."""
        return Record(self.state, memo)

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
        path = self.state_file(AUDIT)
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

    def lock_holder(self) -> str | None:
        """Which other run holds the share's lock now (None: nobody else)."""
        return lock_holder(self.state_file(LOCK))

    @contextlib.contextmanager
    def lock(self, wait_seconds: float | None = None) -> Iterator[None]:
        """Hold the share's run lock; wait up to WAIT_SECONDS, then fail clearly."""
        make_folder(self.state, PRIVATE_FOLDER)
        with share_lock(self.state_file(LOCK), wait_seconds):
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
