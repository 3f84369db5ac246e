"""Atomic file and folder writes: a reader sees the old content or the new, never half."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _fsync_dir(path: Path) -> None:
    # Make the rename itself durable; not every filesystem allows opening a folder.
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write DATA to PATH through a temp file in the same folder, fsync, rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Write TEXT (UTF-8) atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def read_input(path: Path, limit: int, what: str) -> bytes:
    """The bytes of an input file, refusing one larger than LIMIT; errors name the file."""
    from hfstage.errors import InputError, UnsafeInputError

    path = Path(path)
    try:
        size = path.stat().st_size
        if size > limit:
            raise UnsafeInputError(f"{path}: {size} bytes is larger than any real {what} ({limit} bytes)")
        return path.read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror}") from e


def write_if_changed(path: Path, data: bytes) -> bool:
    """Atomically write DATA unless PATH already holds exactly it; True when written."""
    try:
        if Path(path).read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write_bytes(path, data)
    return True


@contextlib.contextmanager
def staged_dir(final: Path, durable: bool = False) -> Iterator[Path]:
    """Yield a temp folder beside FINAL; on success rename it to FINAL, else remove it.

    FINAL must not exist yet: a stored folder is never overwritten. DURABLE fsyncs every
    file before the rename, for what cannot be made again (a stored catalog).
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".tmp", dir=final.parent))
    try:
        yield tmp
        if durable:
            for path in tmp.rglob("*"):
                if path.is_file():
                    with open(path, "rb+") as fh:
                        os.fsync(fh.fileno())
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(final.parent)
