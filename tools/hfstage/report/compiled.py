"""hfstage's page templates compiled once, not in every run and every worker: Jinja2's bytecode cache, kept in
state\\ (COMPILED_TEMPLATES) by the run and handed to the drawing workers.

Jinja2 compiles a template's source to Python code on its first use in a process: some 0.2 s of CPU per run
for the templates a month renders (index.html alone 0.09 s), and again in each drawing worker. Its bytecode
cache keeps that code; a template whose source changed is compiled again (the cache's bucket carries the
source's checksum). What Jinja2 does not check is the cache's own bytes: a damaged file could fail to load or,
worse, load as other code and draw a wrong page. So the file carries the SHA-256 of what it holds and the
report code's format version (hfstage's code and templates, Jinja2's and Python's versions: the code a newer
Jinja2 generates may call what an older one did not have); when either does not match, or anything in it
cannot be read, every template is compiled again and the file written anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from hfstage.errors import HfstageError
from hfstage.report.html import html_env
from hfstage.share import PRIVATE, REPORT, atomic_write_bytes

log = logging.getLogger(__name__)

_MAGIC = b"hfstage compiled templates 1\n"
_LIMIT = 16 * 1024 * 1024  # hfstage's templates compile to some 200 KB
_KEY = 40  # Jinja2's bucket key: SHA-1 in hex
_SIZE = 8  # each entry's length, little-endian


class CompiledTemplates(BytecodeCache):
    """Compiled templates by Jinja2's bucket key (template name and file); CHANGED: something was compiled."""

    def __init__(self, entries: dict[str, bytes] | None = None) -> None:
        self.entries = dict(entries or {})
        self.changed = False

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.entries.get(bucket.key)
        if data is not None:
            try:
                bucket.bytecode_from_string(data)  # Jinja2 resets it when the template's source changed
            except Exception:  # noqa: BLE001 (whatever the bytes are: compiled again)
                bucket.reset()

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.entries[bucket.key] = bucket.bytecode_to_string()
        self.changed = True

    def clear(self) -> None:
        self.entries.clear()
        self.changed = True


@contextlib.contextmanager
def compiled_templates(path: Path) -> Iterator[CompiledTemplates]:
    """hfstage's page templates compiled from the cache at PATH while the block runs (those not in it compiled
    and added); the cache written back when the block compiled something and ended well."""
    cache = load(path)
    env = html_env()
    before, env.bytecode_cache = env.bytecode_cache, cache
    try:
        yield cache
    finally:
        env.bytecode_cache = before
    if cache.changed:
        try:
            atomic_write_bytes(path, encode(cache.entries), PRIVATE, durable=False)  # lost: compiled again
        except HfstageError as e:  # a cache: the report it served is written; the next run compiles again
            log.warning("%s: templates compiled again next run", e)


def use(entries: dict[str, bytes] | None) -> None:
    """In a drawing worker: the templates the run compiled (ENTRIES), not compiled again here."""
    if entries:
        html_env().bytecode_cache = CompiledTemplates(entries)


def encode(entries: dict[str, bytes]) -> bytes:
    """The cache file: its magic, the report code's version and the SHA-256 of its entries, then the entries."""
    body = b"".join(key.encode("ascii") + len(data).to_bytes(_SIZE, "little") + data
                    for key, data in sorted(entries.items()))
    return _MAGIC + REPORT.format.encode("ascii") + b"\n" + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def load(path: Path) -> CompiledTemplates:
    """The cache at PATH; empty (every template compiled again) when it is missing, damaged, too large or made by
    other code."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(_LIMIT + 1)
    except FileNotFoundError:
        return CompiledTemplates()
    except OSError as e:
        log.warning("%s: cannot read (%s): templates compiled again", path, e.strerror)
        return CompiledTemplates()
    entries = decode(data)
    if entries is None:
        log.warning("%s: damaged or made by another hfstage: templates compiled again", path)
        return CompiledTemplates()
    return CompiledTemplates(entries)


def decode(data: bytes) -> dict[str, bytes] | None:
    """The entries of a cache file's DATA, or None when it is not one this code wrote, whole."""
    head = _MAGIC + REPORT.format.encode("ascii") + b"\n"
    if len(data) > _LIMIT or not data.startswith(head):
        return None
    digest, _, body = data[len(head):].partition(b"\n")
    if hashlib.sha256(body).hexdigest().encode() != digest:
        return None
    entries, at = {}, 0
    while at < len(body):
        key, size = body[at:at + _KEY], int.from_bytes(body[at + _KEY:at + _KEY + _SIZE], "little")
        at += _KEY + _SIZE
        if len(key) != _KEY or at + size > len(body):
            return None
        entries[key.decode("ascii", "replace")] = body[at:at + size]
        at += size
    return entries
