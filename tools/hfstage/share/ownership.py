"""Giving a client folder to one account (`hfstage share provision --apply`), without following links.

Every change is made on the name itself (lchown, and a mode only on what lstat shows is a real
folder or file), so a client that swapped a link in cannot make the server chown a server file.
What another account wrote there is not adopted: it is moved, whole and unread, into
state\\quarantine\\ (admins only), where an admin can look at it and nothing reads it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from hfstage.errors import UnsafeInputError, os_fault, shown
from hfstage.share.files import PRIVATE_FOLDER, make_folder


def give_to(path: Path, uid: int, mode: int, kind: str) -> None:
    """Make PATH (a KIND: 'folder' or 'file', as lstat must show it) UID's with MODE; a link is refused."""
    try:
        st = os.lstat(path)
        is_kind = stat.S_ISDIR(st.st_mode) if kind == "folder" else stat.S_ISREG(st.st_mode) and st.st_nlink == 1
        if not is_kind:
            raise UnsafeInputError(f"{shown(path)}: not given to the machine: it is not a plain {kind}")
        os.chown(path, uid, -1, follow_symlinks=False)
        os.chmod(path, mode)  # a plain folder or file, as lstat just showed: no link to follow
    except OSError as e:
        raise os_fault(path, e, "change the owner of") from e


def new_file_for(path: Path, uid: int, mode: int) -> None:
    """Create PATH empty, owned by UID with MODE; an existing name is left alone."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), mode)
    except FileExistsError:
        return
    except OSError as e:
        raise os_fault(path, e, "create") from e
    try:
        os.fchown(fd, uid, -1)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def new_folder_for(path: Path, uid: int, mode: int) -> None:
    """Create folder PATH owned by UID with MODE; an existing name is left alone."""
    try:
        os.mkdir(path, mode)
    except FileExistsError:
        return
    except OSError as e:
        raise os_fault(path, e, "create folder") from e
    give_to(path, uid, mode, "folder")


def quarantine(folder: Path, label: str, paths: list[Path]) -> Path | None:
    """Move PATHS (names in one client folder) into FOLDER\\LABEL\\ (state\\quarantine\\), unread; the folder,
    or None."""
    if not paths:
        return None
    target = Path(folder) / label
    make_folder(target, PRIVATE_FOLDER)
    for path in paths:
        try:
            os.rename(path, target / path.name)  # rename moves the name itself: a link is moved, never followed
        except OSError as e:
            raise os_fault(path, e, "move into quarantine") from e
    return target
