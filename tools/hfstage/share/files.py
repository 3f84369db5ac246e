"""Atomic writes with the share's modes: a reader sees the old content or the new, never half.

Temp files (mkstemp, mkdtemp) start private (0600/0700); every file hfstage writes gets
the mode the share needs before it is renamed into place: scripts, netlogon files,
reports and catalogs are readable by everyone (clients read their scripts over SMB),
state files by the owner and group only. The admin's umask does not narrow them.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from hfstage.errors import HfstageError, InputError, UnsafeInputError, os_fault
from hfstage.faults import write_point

PUBLIC = 0o644  # scripts, netlogon, reports, catalogs: clients and other admins read them
PRIVATE = 0o640  # state: history, caches, audit log
FOLDER = 0o755
PRIVATE_FOLDER = 0o750


def _fsync_dir(path: Path) -> None:
    # Make the rename itself durable; not every filesystem allows opening a folder.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _folder_for(file_mode: int) -> int:
    """A folder made for a private file is private too (state\\facts is 0750, like state)."""
    return PRIVATE_FOLDER if file_mode == PRIVATE else FOLDER


def make_folder(path: Path, mode: int = FOLDER) -> None:
    """Create PATH (and parents) with MODE; an existing folder is left as it is."""
    missing, current = [], Path(path)
    while not current.is_dir() and current != current.parent:
        missing.append(current)
        current = current.parent
    try:
        for folder in reversed(missing):
            folder.mkdir(exist_ok=True)
            os.chmod(folder, mode)
    except OSError as e:
        raise os_fault(path, e, "create folder") from e


def atomic_write_bytes(path: Path, data: bytes, mode: int = PUBLIC, sync_dir: bool = True,
                       durable: bool = True) -> None:
    """Write DATA to PATH through a temp file in the same folder, fsync, chmod, rename.

    SYNC_DIR=False leaves the folder's fsync to the caller (`sync_folders`), who writes many
    files into the same folders and makes the renames durable once at the end. DURABLE=False
    skips the file's fsync, for caches: a cache lost in a power cut is only read again.
    """
    path = Path(path)
    make_folder(path.parent, _folder_for(mode))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        write_point()
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        if isinstance(e, OSError):
            raise os_fault(path, e, "write") from e
        raise
    if sync_dir:
        _fsync_dir(path.parent)


def sync_folders(paths) -> None:
    """Make the renames of files written with sync_dir=False durable: one fsync per folder."""
    for folder in sorted({(p if isinstance(p, Path) else Path(p)).parent for p in paths}):
        _fsync_dir(folder)


def atomic_write_text(path: Path, text: str, mode: int = PUBLIC) -> None:
    """Write TEXT (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"), mode)


def write_if_changed(path: Path, data: bytes, mode: int = PUBLIC, sync_dir: bool = True,
                     durable: bool = True) -> bool:
    """Atomically write DATA unless PATH already holds exactly it; True when written."""
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data, mode, sync_dir, durable)
    return True


def write_many(files: dict[Path, bytes], mode: int = PUBLIC) -> list[Path]:
    """Write each of FILES (path -> bytes) whose content changed, each atomically, and return those written.

    Every temp file is written first, then all are made durable together (_make_durable), then each is
    renamed into place (a crash point before each rename, as atomic_write_bytes has), then each folder is
    synced once. A failure leaves the files already renamed in place (the caller puts back what it must) and
    no temp file."""
    paths = (p if isinstance(p, Path) else Path(p) for p in files)  # a Path is not made again (5,000 stubs)
    changed = {p: d for p, d in zip(paths, files.values(), strict=True) if _differs(p, d)}
    temps: dict[Path, str] = {}
    written: list[Path] = []
    folders: set[Path] = set()  # each folder made (or found) once, not once per file
    path = None
    try:
        for path, data in changed.items():
            folder = path.parent
            if folder not in folders:
                make_folder(folder, _folder_for(mode))
                folders.add(folder)
            fd, temps[path] = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(temps[path], mode)
        _make_durable(temps)
        for path, tmp in temps.items():
            write_point()
            os.replace(tmp, path)
            written.append(path)
    except BaseException as e:
        for path, tmp in temps.items():
            if path not in written:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        if isinstance(e, OSError):
            raise os_fault(path, e, "write") from e
        raise
    sync_folders(written)
    return written


def write_fresh_folder(folder: Path, files: dict[str, bytes], mode: int = PUBLIC) -> None:
    """FILES (name -> bytes) into FOLDER, a new empty temp folder no reader sees before its owner renames it
    into place (a generation): each under its own name, no temp file and rename per file (the folder's rename
    is the atomic step), all made durable at once as write_many does, a crash point after each as write_many
    has before each rename. Errors name the file. Plain os calls and path strings: 10,000 files in a
    generation of 5,000 machines, where a Path and a file object each cost more than the writing."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    made: dict[str, str] = {}  # path -> itself: each file is its own temp (_make_durable)
    base = os.fspath(folder)
    name = ""
    try:
        for name, data in files.items():
            target = os.path.join(base, name)
            made[target] = target
            fd = os.open(target, flags, mode)
            try:
                view = memoryview(data)
                while view:  # os.write may write less than it was given
                    view = view[os.write(fd, view):]
                os.fchmod(fd, mode)  # the share's mode whatever the umask
            finally:
                os.close(fd)
        _make_durable(made)
        for _ in made:
            write_point()
    except OSError as e:
        raise os_fault(Path(folder, name), e, "write") from e


def _make_durable(temps: dict[Path | str, str]) -> None:
    """The temp files TEMPS (target -> temp name) on disk before any is renamed. On Linux one syncfs per file
    system: one journal commit and one flush of the disk's cache for thousands of files, where a fsync per
    file waits for a cache flush each (some 2.5 ms on a virtual disk: 20 s of a 2,000-machine month). A
    write error reaches syncfs too (Linux 5.8+). Elsewhere, and on a file system mounted from another
    server, a fsync per file. Errors name a target."""
    syncfs = _syncfs()
    if syncfs is None:
        for path, tmp in temps.items():
            _synced(path, tmp, os.fsync)
        return
    devices: dict[int, tuple[Path | str, str]] = {}
    folders: dict[str, int] = {}  # a folder's files are on its file system: one stat per folder, not per file
    for path, tmp in temps.items():
        parent = os.path.dirname(tmp)
        device = folders.get(parent)
        if device is None:
            device = folders[parent] = os.stat(tmp).st_dev
        if _fs_type(device) in _SYNCFS_DURABLE:
            devices.setdefault(device, (path, tmp))
        else:  # a network file system (cifs, nfs ...): syncfs need not reach the server; fsync does
            _synced(path, tmp, os.fsync)
    for path, tmp in devices.values():
        _synced(path, tmp, lambda fd: _checked(syncfs(fd)))


# File systems whose syncfs(2) writes every dirty file and flushes the disk's cache, as fsync does per file.
# Not cifs/smb3 (no SMB flush is sent), nfs or FUSE: a share mounted from another server keeps a fsync per file.
_SYNCFS_DURABLE = frozenset({"ext2", "ext3", "ext4", "xfs", "btrfs", "f2fs", "jfs", "reiserfs", "zfs", "tmpfs",
                             "overlay"})  # overlay: its syncfs syncs the upper file system


@functools.cache
def _fs_type(device: int) -> str | None:
    """The type of the file system mounted from DEVICE (st_dev), from /proc/self/mountinfo; None when unknown."""
    wanted = f"{os.major(device)}:{os.minor(device)}"
    try:
        with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                fields = line.split()
                if len(fields) > 2 and fields[2] == wanted and " - " in line:
                    return line.split(" - ", 1)[1].split()[0]
    except OSError:
        return None
    return None


def _synced(path: Path | str, tmp: str, sync: Callable[[int], object]) -> None:
    try:
        fd = os.open(tmp, os.O_RDONLY)
        try:
            sync(fd)
        finally:
            os.close(fd)
    except OSError as e:
        raise os_fault(path, e, "write") from e


def _checked(status: int) -> None:
    if status != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's syncfs(2), or None (another system, or a C library without it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


def _differs(path: Path, data: bytes) -> bool:
    try:
        return path.read_bytes() != data
    except OSError:
        return True


@contextlib.contextmanager
def atomic_text_stream(path: Path, mode: int = PUBLIC) -> Iterator:
    """A text file handle for writing PATH piece by piece; renamed into place only if the block succeeds."""
    path = Path(path)
    make_folder(path.parent, _folder_for(mode))
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise os_fault(path, e, "write") from e
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        write_point()
        os.replace(tmp, path)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise os_fault(path, e, "write") from e
        raise
    _fsync_dir(path.parent)


def open_private(path: Path, mode: str = "a"):
    """PATH opened for appending (MODE "a" or "a+"), created 0640 and given 0640 whatever the umask: the
    audit log and the run lock are written in place, not renamed, so atomic_write's chmod never reaches them."""
    flags = os.O_CREAT | os.O_APPEND | (os.O_RDWR if "+" in mode else os.O_WRONLY) | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, PRIVATE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE)
        return os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def read_at_most(fh, size: int, limit: int) -> bytes:
    """The bytes of open file FH, at most LIMIT + 1 (more than LIMIT: it grew past it while being read), asked for
    by SIZE, what fstat said it holds. fh.read(LIMIT + 1) sets aside LIMIT bytes of address space before it reads
    a byte: 512 MiB for a 30 KB hive, which a worker capped at 640 MiB cannot spare ([limits] worker_memory_mib),
    and 300 us where reading a 300 KB file takes 45 us."""
    data = fh.read(min(size, limit) + 1)
    if len(data) <= size or len(data) > limit:
        return data
    parts, got = [data], len(data)  # it grew while being read: the rest up to LIMIT + 1, a MiB at a time
    while got <= limit:
        part = fh.read(min(1 << 20, limit + 1 - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def read_input(path: Path, limit: int, what: str) -> bytes:
    """The bytes of an admin-supplied input file, refusing one larger than LIMIT; errors name the file."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnsafeInputError(f"{path}: {size} bytes is larger than any real {what} ({limit} bytes)")
        with open(path, "rb") as fh:
            data = read_at_most(fh, os.fstat(fh.fileno()).st_size, limit)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e
    if len(data) > limit:
        raise UnsafeInputError(f"{path}: grew past {limit} bytes while being read")
    return data


def publish_tree(root: Path, file_mode: int = PUBLIC, folder_mode: int = FOLDER) -> None:
    """Give every file and folder below ROOT (and ROOT) the share's modes."""
    for path in Path(root).rglob("*"):
        if not path.is_symlink():
            os.chmod(path, folder_mode if path.is_dir() else file_mode)
    os.chmod(root, folder_mode)


def temp_folder(parent: Path, label: str, mode: int = FOLDER) -> Path:
    """A new private folder .LABEL.*.tmp in PARENT (made with MODE if missing): what a killed run leaves
    is found by that pattern and swept (Share.remove_stale_temps)."""
    make_folder(parent, mode)
    try:
        return Path(tempfile.mkdtemp(prefix=f".{label}.", suffix=".tmp", dir=parent))
    except OSError as e:
        raise os_fault(parent, e, "write") from e


@contextlib.contextmanager
def staged_dir(final: Path, durable: bool = False) -> Iterator[Path]:
    """Yield a temp folder beside FINAL; on success rename it to FINAL, else remove it.

    FINAL must not exist yet: a stored folder is never overwritten. DURABLE fsyncs every
    file before the rename, for what cannot be made again (a stored catalog).
    """
    final = Path(final)
    tmp = temp_folder(final.parent, final.name)
    try:
        yield tmp
        publish_tree(tmp)
        if durable:
            for path in tmp.rglob("*"):
                if path.is_file():
                    with open(path, "rb+") as fh:
                        os.fsync(fh.fileno())
        write_point()
        os.rename(tmp, final)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError) and not isinstance(e, HfstageError):
            raise os_fault(final, e, "write") from e
        raise
    _fsync_dir(final.parent)
