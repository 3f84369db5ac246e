"""Reading what clients write (inventory\\, results\\): hostile input from any user (DESIGN §8).

Nothing is opened through a symbolic link (every path component is opened with
O_NOFOLLOW relative to its parent's descriptor, so a link swapped in mid-run is refused
too), only regular files are read (a FIFO would block for ever, a device or folder is
nonsense), and never more than a cap: a sparse 3 GB "hive" costs nothing to plant.
On a Windows server, where O_NOFOLLOW and descriptor-relative opens do not exist, the
same rules are applied with lstat. A file with a second name (a hard link) is refused too:
a client that can make one can give a server file a name in its own folder, and hfstage,
reading as root, would publish what it holds. A client's tree is walked without recursion
and within a depth and an entry count, so 1,500 nested folders are one refusal, not a crash.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from hfstage.errors import InputError, LimitError, UnsafeInputError, shown
from hfstage.share.files import read_at_most

_POSIX = hasattr(os, "O_NOFOLLOW") and os.open in os.supports_dir_fd
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_BINARY = getattr(os, "O_BINARY", 0)
MAX_TREE_DEPTH = 32  # a collector's files\ tree is 4-6 deep (files\WINNT\system32\drivers\x.sys)
MAX_TREE_ENTRIES = 100_000  # default; [limits] tree_entries in site.ini
HARD_LINK = "a hard link (a file with more than one name)"
_KINDS = ((stat.S_ISLNK, "a symbolic link"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"))


def account_name(uid: int) -> str:
    """The account UID belongs to, as the system names it (winbind's DOMAIN\\name$ too), or 'uid N'."""
    if uid < 0:
        return "an unknown account"
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return f"uid {uid}"


def administrators() -> frozenset[int]:
    """Accounts whose files in a client folder are the server's own: root and whoever runs hfstage."""
    return frozenset({0, os.geteuid()}) if hasattr(os, "geteuid") else frozenset()


@dataclass(frozen=True)
class Owners:
    """Who may own the files of one client folder: the account it is given to, and the administrators."""

    uids: frozenset[int]
    given_to: str  # for a message: "the machine account dc01$", "alice, who made the folder"

    def refusal(self, path: Path, uid: int) -> UnsafeInputError:
        return UnsafeInputError(f"{shown(path)}: refused: owned by {account_name(uid)}, not by {self.given_to} "
                                "(anyone else's file in this folder is not the machine's evidence)")


@dataclass(frozen=True)
class Entry:
    """One name in a client-written folder, as lstat sees it (nothing followed)."""

    name: str
    path: Path
    kind: str  # "file", "folder", or what else it is ("a symbolic link", "a named pipe (FIFO)", ...)
    size: int
    mtime_ns: int
    uid: int = -1  # the owner (-1: not known, as on a Windows server)

    @property
    def described(self) -> str:
        """What it is, for a message: 'a folder', 'a symbolic link' ..."""
        return {"file": "a regular file", "folder": "a folder"}.get(self.kind, self.kind)

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_folder(self) -> bool:
        return self.kind == "folder"


def kind_of(mode: int, links: int = 1) -> str:
    if stat.S_ISREG(mode):
        return "file" if links <= 1 else HARD_LINK
    if stat.S_ISDIR(mode):
        return "folder"
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def entries(folder: Path, wanted: Callable[[str], bool] | None = None) -> list[Entry]:
    """The names in FOLDER with what each is, sorted; nothing is followed or opened. WANTED: only the names it
    accepts, the others not even looked at (a stat per name is most of a listing's cost)."""
    out = []
    base = Path(folder)  # once, not per name: 5,000 machine folders are listed every month
    try:
        with os.scandir(folder) as it:
            for item in it:
                if wanted is not None and not wanted(item.name):
                    continue
                try:
                    st = item.stat(follow_symlinks=False)
                except OSError:
                    continue  # vanished while listing
                out.append(Entry(item.name, base / item.name, kind_of(st.st_mode, st.st_nlink), st.st_size,
                                 st.st_mtime_ns, st.st_uid if _POSIX else -1))
    except FileNotFoundError:
        return []
    except OSError as e:
        raise InputError(f"{shown(folder)}: cannot list: {e.strerror}") from e
    return sorted(out, key=lambda e: e.name)


def refusal(path: Path, kind: str, expected: str = "a regular file") -> UnsafeInputError:
    described = {"file": "a regular file", "folder": "a folder"}.get(kind, kind)
    return UnsafeInputError(f"{shown(path)}: refused: it is {described}, not {expected} (clients may only write "
                            "plain files and folders here)")


@contextlib.contextmanager
def _open_dir_chain(root: Path, parts: list[str]) -> Iterator[int]:
    """A descriptor of ROOT/PARTS..., each component opened without following links."""
    fds = [os.open(root, os.O_RDONLY | _DIRECTORY)]
    try:
        for part in parts:
            fds.append(os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=fds[-1]))
        yield fds[-1]
    finally:
        for fd in fds:
            os.close(fd)


def _relative_parts(root: Path, path: Path) -> list[str]:
    parts = list(Path(path).relative_to(root).parts)
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise UnsafeInputError(f"{shown(path)}: refused: not a plain path below {root}")
    return parts


def read_client_file(root: Path, path: Path, limit: int, what: str, owners: Owners | None = None) -> bytes:
    """The bytes of PATH (below ROOT, which the admin owns), if it is a plain file of at most LIMIT bytes
    (and, with OWNERS, owned by one of them: checked on the open file, so a file swapped in is refused too)."""
    parts = _relative_parts(root, path)
    try:
        if _POSIX:
            with _open_dir_chain(root, parts[:-1]) as folder:
                fd = os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
        else:
            _check_components(root, parts)
            fd = os.open(path, os.O_RDONLY | _BINARY)
    except OSError as e:
        raise _why(path, e) from e
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            raise refusal(path, kind_of(st.st_mode, st.st_nlink))
        if owners is not None and _POSIX and st.st_uid not in owners.uids:
            raise owners.refusal(path, st.st_uid)
        if st.st_size > limit:
            raise LimitError(f"{shown(path)}: refused: {st.st_size} bytes is larger than any real {what} "
                             f"({limit} bytes; [limits] in site.ini)")
        data = read_at_most(fh, st.st_size, limit)
    if len(data) > limit:
        raise LimitError(f"{shown(path)}: refused: grew past {limit} bytes while being read")
    return data


def _check_components(root: Path, parts: list[str]) -> None:
    current = Path(root)
    for part in parts:
        current = current / part
        st = os.lstat(current)
        if stat.S_ISLNK(st.st_mode) or getattr(st, "st_reparse_tag", 0):
            raise refusal(current, "a symbolic link")


def _why(path: Path, e: OSError) -> InputError:
    import errno

    if e.errno in (errno.ELOOP, errno.EMLINK):  # O_NOFOLLOW on a link
        return refusal(path, "a symbolic link")
    if e.errno == errno.ENOTDIR:
        return refusal(path, "below something that is not a folder (a link?)")
    return InputError(f"{shown(path)}: cannot read: {e.strerror}")


def walk_entries(folder: Path, max_depth: int = MAX_TREE_DEPTH,
                 max_entries: int = MAX_TREE_ENTRIES) -> Iterator[Entry]:
    """Every name below FOLDER in sorted pre-order, nothing followed, without recursion; a tree deeper than
    MAX_DEPTH or with more than MAX_ENTRIES names is refused (UnsafeInputError) before it is walked further."""
    first = entries(folder)
    stack, seen = [(iter(first), 1)], len(first)
    while stack:
        it, depth = stack[-1]
        entry = next(it, None)
        if entry is None:
            stack.pop()
            continue
        yield entry
        if not entry.is_folder:
            continue
        if depth >= max_depth:
            raise UnsafeInputError(f"{shown(folder)}: refused: folders nested more than {max_depth} deep below it "
                                   f"({shown(entry.path.name)}...); no collector writes that")
        found = entries(entry.path)
        seen += len(found)
        if seen > max_entries:
            raise UnsafeInputError(f"{shown(folder)}: refused: more than {max_entries} files and folders below it "
                                   "([limits] tree_entries in site.ini)")
        stack.append((iter(found), depth + 1))


def walk_files(root: Path, folder: Path, max_entries: int = MAX_TREE_ENTRIES) -> Iterator[Entry]:
    """Every plain file below FOLDER (below ROOT); links and special files are skipped, not followed."""
    return (e for e in walk_entries(folder, max_entries=max_entries) if e.is_file)


def move_client_file(root: Path, source: Path, target_folder: Path, name: str) -> None:
    """Move SOURCE into TARGET_FOLDER/NAME (both below ROOT) without following any link.

    Used to file 9x exports from the _unnamed spool under their machine's folder: the
    move happens between descriptors opened with O_NOFOLLOW, so a client that swaps a
    folder for a link cannot make hfstage write outside the share.
    """
    src_parts, dst_parts = _relative_parts(root, source), _relative_parts(root, target_folder)
    try:
        if not _POSIX:
            _check_components(root, src_parts)
            _check_components(root, dst_parts)
            os.replace(source, Path(target_folder) / name)
            return
        with _open_dir_chain(root, src_parts[:-1]) as src, _open_dir_chain(root, dst_parts) as dst:
            st = os.stat(src_parts[-1], dir_fd=src, follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
                raise refusal(source, kind_of(st.st_mode, st.st_nlink))
            os.replace(src_parts[-1], name, src_dir_fd=src, dst_dir_fd=dst)
    except OSError as e:
        raise _why(source, e) from e


def make_client_folder(root: Path, folder: Path) -> None:
    """Create FOLDER below ROOT unless a real folder is there; a link or file in its place is refused."""
    parts = _relative_parts(root, folder)
    try:
        if not _POSIX:
            _check_components(root, parts[:-1])
            Path(folder).mkdir(exist_ok=True)
            return
        with _open_dir_chain(root, parts[:-1]) as parent:
            with contextlib.suppress(FileExistsError):
                os.mkdir(parts[-1], 0o755, dir_fd=parent)
                os.chmod(parts[-1], 0o1777, dir_fd=parent)  # its machine's collector writes here later
            st = os.stat(parts[-1], dir_fd=parent, follow_symlinks=False)
            if not stat.S_ISDIR(st.st_mode):
                raise refusal(folder, kind_of(st.st_mode), "a folder")
    except OSError as e:
        raise _why(folder, e) from e
