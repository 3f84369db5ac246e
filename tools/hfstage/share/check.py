"""`hfstage share check`: what the server side can see of the share's safety (DESIGN §8).

Clients write inventory\\ and results\\ only and read scripts\\, hotfixes\\ and netlogon\\;
nobody but admins writes templates\\, trust\\, catalogs\\, state\\ or scripts\\. From the
server, hfstage checks the folders' modes and owners, and everything clients wrote: links,
special files, names that cannot be machines or collide with hfstage's own files, files
over the size caps. Each problem is one line naming the path.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import UnsafeInputError, shown
from hfstage.share.clientfiles import HARD_LINK, entries, walk_entries
from hfstage.share.config import SiteConfig
from hfstage.share.generations import generations
from hfstage.share.layout import CLIENT_FOLDERS, FOLDERS, PRIVATE_FOLDERS, Share
from hfstage.share.names import machine_name_problem

CLIENTS_READ = ("scripts", "netlogon", "hotfixes")  # every client must be able to read these
ADMIN_ONLY = ("templates", "trust", "catalogs", "state", "scripts", "netlogon", "hotfixes", "reports", "incoming")
UNNAMED = "_unnamed"


@dataclass
class ShareCheck:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: int = 0


def check_share(share: Share, config: SiteConfig) -> ShareCheck:
    """Every problem the server can see; an empty list means the share looks as README describes."""
    share.check()
    result = ShareCheck()
    _folder_modes(share, result)
    caps = {"hive": config.get("limits", "hive_bytes"), "export": config.get("limits", "export_bytes"),
            "file": config.get("limits", "file_bytes"), "results": config.get("limits", "results_bytes"),
            "entries": config.get("limits", "tree_entries")}
    _inventory(share.folder("inventory"), caps, result)
    _results(share.folder("results"), caps["results"], result)
    for name in ("scripts", "netlogon"):
        _published(share.folder(name), result)
    return result


def _mode(path: Path) -> os.stat_result:
    return os.lstat(path)


def _folder_modes(share: Share, result: ShareCheck) -> None:
    for name in (*FOLDERS, "templates"):
        path = share.folder(name)
        if not path.exists():
            continue
        st = _mode(path)
        if stat.S_ISLNK(st.st_mode):
            result.problems.append(f"{path}: is a symbolic link; hfstage's folders must be real folders")
            continue
        mode = stat.S_IMODE(st.st_mode)
        if name in ADMIN_ONLY and mode & (stat.S_IWOTH | stat.S_IWGRP) and not (mode & stat.S_ISVTX):
            result.problems.append(f"{path}: mode {mode:04o} lets others write it; only admins may "
                                   "(chmod go-w)")
        if name in CLIENTS_READ and (mode & 0o005) != 0o005:
            result.problems.append(f"{path}: mode {mode:04o}: clients cannot read it (chmod o+rx)")
        if name in PRIVATE_FOLDERS and mode & stat.S_IROTH:
            result.notes.append(f"{path}: mode {mode:04o}: everyone can read the history and caches")
        if name in CLIENT_FOLDERS and not mode & (stat.S_IWOTH | stat.S_IWGRP):
            result.problems.append(f"{path}: mode {mode:04o}: clients cannot write it (chmod 1777, or give the "
                                   "clients' group write: chgrp CLIENTS; chmod 1770)")
        if name in CLIENT_FOLDERS and not mode & stat.S_ISVTX and mode & (stat.S_IWOTH | stat.S_IWGRP):
            result.notes.append(f"{path}: mode {mode:04o}: without the sticky bit (chmod +t) one client can "
                                "delete another's files")


def _inventory(root: Path, caps: dict[str, int], result: ShareCheck) -> None:
    seen: dict[str, str] = {}
    for entry in entries(root):
        if entry.name.startswith(".") or entry.name == "README.txt":
            continue
        if entry.name.casefold() == UNNAMED:
            for user in entries(entry.path):
                if user.is_folder:
                    _tree(user.path, caps, result)
                elif user.name != "README.txt":
                    _special(user, result, "a folder")
            continue
        if not entry.is_folder:
            _special(entry, result, "a folder")
            continue
        problem = machine_name_problem(entry.name)
        if problem is None and entry.name.casefold() in seen:
            problem = f"the same name as {seen[entry.name.casefold()]} (names are compared without case)"
        seen.setdefault(entry.name.casefold(), entry.name)
        if problem:
            result.problems.append(f"{shown(entry.path)}: machine name: {problem}")
        _tree(entry.path, caps, result)


def _tree(folder: Path, caps: dict[str, int], result: ShareCheck) -> None:
    try:
        for entry in walk_entries(folder, max_entries=caps["entries"]):
            _judge(entry, caps, result)
    except UnsafeInputError as e:
        result.problems.append(f"{e}: hfstage refuses this machine's inventory")


def _judge(entry, caps: dict[str, int], result: ShareCheck) -> None:
    result.checked += 1
    if entry.is_folder:
        return
    if not entry.is_file:
        _special(entry, result)
        return
    lower = entry.name.lower()
    cap = caps["hive"] if lower in ("software", "system") else caps["export"] if lower.endswith(".reg") \
        else caps["file"]
    if entry.size > cap:
        result.problems.append(f"{shown(entry.path)}: {entry.size} bytes, over the cap of {cap} ([limits] in "
                               "site.ini): hfstage refuses it")


def _results(root: Path, cap: int, result: ShareCheck) -> None:
    for entry in entries(root):
        if entry.name == "README.txt" or entry.name.startswith("."):
            continue
        result.checked += 1
        if entry.name.lower().endswith(".log"):
            problem = machine_name_problem(entry.name[:-4])
            if problem:
                result.problems.append(f"{shown(entry.path)}: not a machine's results log ({problem})")
            elif not entry.is_file:
                _special(entry, result)
            elif entry.size > cap:
                result.problems.append(f"{shown(entry.path)}: {entry.size} bytes, over the cap of {cap}: hfstage "
                                       "refuses it")
        elif not entry.is_folder:
            _special(entry, result)


def _published(folder: Path, result: ShareCheck) -> None:
    sets = generations(folder) if folder.name == "scripts" else []
    for entry in entries(folder):
        if entry.is_folder and entry.name in sets:  # a generation: hfstage's files, checked one by one
            _published(entry.path, result)
            continue
        # a file carried unchanged from the set before is a second name for it (never rewritten in place)
        if not (entry.is_file or entry.kind == HARD_LINK and folder.parent.name == "scripts"):
            _special(entry, result)
            continue
        mode = stat.S_IMODE(os.lstat(entry.path).st_mode)
        if not mode & stat.S_IROTH:
            result.problems.append(f"{shown(entry.path)}: mode {mode:04o}: clients cannot read it (chmod o+r)")
        if mode & (stat.S_IWOTH | stat.S_IWGRP):
            result.problems.append(f"{shown(entry.path)}: mode {mode:04o}: others can change what clients run "
                                   "(chmod go-w)")


def _special(entry, result: ShareCheck, expected: str = "a regular file") -> None:
    if entry.kind in ("file", "folder"):
        result.problems.append(f"{shown(entry.path)}: it is {entry.described}, not {expected}")
    else:
        result.problems.append(f"{shown(entry.path)}: it is {entry.described}; hfstage refuses it")
