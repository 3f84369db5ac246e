"""scan.txt, scan.csv and scan.json of every machine, joined from per-machine fragments.

Each machine's part of the three files depends only on its assessment (its content key) and the report
code (the report memo's format version): a machine whose assessment did not change since the files were
last written has its three fragments copied from those files (their byte spans are remembered in the
report memo, beside the files' SHA-256), so a month in which 1% of machines changed decodes and encodes
1% of the assessments, not all of them. The files' bytes are the same as when every fragment is made again.
Remembered spans are used only when the three files are all there, each the very file hfstage wrote (its
inode, size, modification and change times as they were: any write, even one that restores the modification
time, moves the change time, which no user can set), and the format version is the current one; otherwise
every fragment is made again. (The memo kept the files' SHA-256 before: 5,000 machines' files are some 220 MB,
hashed twice in every month that wrote them.)

scan.json opens with a head naming the scan that wrote it; its spans follow the head, so a month whose scan
changed nothing else writes the file again with the new head and the rest copied as it lies (`retitle`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import os
import time
from collections import Counter
from pathlib import Path

from hfstage.assess import KIND_PATCH, Assessment
from hfstage.history import MachineRow, assessment_blob
from hfstage.inventory import ACCEPTED
from hfstage.report import findings as fmt
from hfstage.report.compliance import summary_counts
from hfstage.report.safe import csv_lines
from hfstage.share import REPORT, atomic_text_stream

NAMES = ("scan.txt", "scan.csv", "scan.json")
_TICK_NS = 20_000_000  # longer than any local file system's timestamp tick (see `identity`)
_JSON_JOIN = b", "
_GAPS = (0, 0, len(_JSON_JOIN))  # the bytes between two machines' fragments in each file (scan.json's join)
_BLOCK = 1 << 20  # what the kernel does not copy is read and written this much at a time


class ScanFiles:
    """The three files written as the machines stream by, each machine's fragment made or copied."""

    def __init__(self, folder: Path, catalog_version: str, scan_id: int, machines: list[MachineRow],
                 missing: list, before: object) -> None:
        self.folder, self.catalog_version, self.scan_id = folder, catalog_version, scan_id
        self.machines, self.missing, self.before = machines, missing, before
        self.stack = contextlib.ExitStack()
        self.spans: dict[str, list[list[int]]] = {}  # assessment key -> its [start, end] in each file
        self.csv_buffer = io.StringIO()
        self.csv = csv.writer(self.csv_buffer, lineterminator="\n")

    def __enter__(self) -> ScanFiles:
        self.old_bases = [0, 0, _head_length(self.before)]
        self.old, self.old_spans = _earlier(self.folder, self.before, self.old_bases, self.stack)
        self.out = [self.stack.enter_context(atomic_text_stream(self.folder / name)).buffer for name in NAMES]
        self.at = [0, 0, 0]
        self.csv.writerow(fmt.CSV_COLUMNS)
        self._write(1, self._csv_text().encode())
        head = json_head(self.scan_id, self.catalog_version)
        self.out[2].write(head)  # outside the spans: a new scan alone rewrites it (`retitle`)
        self.head = len(head)
        self.first = True
        self.run: list[list[int]] | None = None  # old bytes [start, end) of each file to copy next, as one run
        return self

    def reusable(self, m: MachineRow) -> bool:
        """Whether M's fragments can be copied from the files as they were (its assessment is unchanged)."""
        return m.assessment_key in self.old_spans

    def add(self, m: MachineRow, a: Assessment | None, stored: bool = True, blob: bytes | None = None) -> None:
        """M's fragments: copied when A is None (see `reusable`), else made from A; STORED: A is the assessment
        its key names (not one made from its row alone), so its fragments may be copied next time. BLOB: A as
        the history stores it (history.assessment_blob), already made (its SHA-256 is the key)."""
        self.put(m, fragments(a, blob) if a is not None else None, stored)

    def put(self, m: MachineRow, parts: list[bytes] | None, stored: bool = True) -> None:
        """M's fragments PARTS (made by `fragments`, here or in a worker), or copied when None; STORED as `add`.
        A copied machine that follows the one copied before it in the old files joins its run: a run is read and
        written at once (a month in which 1% of 5,000 machines changed copies some 100 runs, not 4,950 fragments)."""
        old = self.old_spans[m.assessment_key] if parts is None else None
        follows = old is not None and self.run is not None and all(
            start == end + gap for (start, _), (_, end), gap in zip(old, self.run, _GAPS, strict=True))
        if not follows:
            self._flush()
            if not self.first:
                self._write(2, _JSON_JOIN)
        self.first = False
        if old is None:
            spans = [self._write(index, part) for index, part in enumerate(parts)]
        else:
            spans = [self._pend(index, start, end, follows) for index, (start, end) in enumerate(old)]
        if old is not None or stored:
            self.spans[m.assessment_key] = spans

    def _pend(self, index: int, start: int, end: int, follows: bool) -> list[int]:
        """The old bytes [START, END) of file INDEX to copy: the run pending extended to them when they FOLLOW it
        (with scan.json's join between them, as it lies there), else a new run; their span in the new file."""
        if follows:
            self.at[index] += _GAPS[index]
            self.run[index][1] = end
        else:
            self.run = self.run or [[0, 0] for _ in NAMES]
            self.run[index] = [start, end]
        self.at[index] += end - start
        return [self.at[index] - (end - start), self.at[index]]

    def _flush(self) -> None:
        """The pending run of copies written out (by the kernel where it can: `_copy_range`)."""
        for index, (start, end) in enumerate(self.run or []):
            self.out[index].flush()  # what was written before the run goes before it
            base = self.old_bases[index]
            _copy_range(self.old[index], self.out[index].fileno(), base + start, base + end)
        self.run = None

    def memo_value(self) -> dict:
        """What the report memo keeps for the files (once they are in place): the spans, each file's identity,
        the code that made them, the length of scan.json's head (what the spans in scan.json follow)."""
        return {"format": REPORT.format, "files": [identity(self.folder / name) for name in NAMES], "spans": self.spans,
                "head": self.head}

    def _csv_text(self) -> str:
        text = self.csv_buffer.getvalue()
        self.csv_buffer.seek(0)
        self.csv_buffer.truncate()
        return text

    def _write(self, index: int, data: bytes) -> list[int]:
        """DATA written to file INDEX (after the pending run of copies); its span there."""
        self.out[index].write(data)
        self.at[index] += len(data)
        return [self.at[index] - len(data), self.at[index]]

    def __exit__(self, *exc) -> bool:
        if exc[0] is None:
            try:
                self._flush()
                self._write(2, f"], \"summary\": {json.dumps(self._summary(), sort_keys=True)}}}\n".encode())
            except BaseException as e:  # the last copies failed: no file is renamed into place, no temp is left
                self.old = []
                self.stack.__exit__(type(e), e, e.__traceback__)
                raise
        self.old = []
        return self.stack.__exit__(*exc)

    def _summary(self) -> dict:
        counted = {m.machine for m in self.machines if m.standing == ACCEPTED}
        missing = [f for f in self.missing if f.machine in counted]
        summary = summary_counts(Counter(m.status for m in self.machines if m.machine in counted),
                                 [f.severity for f in missing if f.kind == KIND_PATCH],
                                 sum(f.kind != KIND_PATCH for f in missing))
        summary["pending"] = len(self.machines) - len(counted)
        return summary


def fragments(a: Assessment, blob: bytes | None = None) -> list[bytes]:
    """A's parts of scan.txt, scan.csv and scan.json (BLOB: its JSON as the history stores it, when at hand)."""
    return [fmt.render_text([a], verbose=True).encode(), csv_lines(fmt.csv_rows(a)).encode(),
            blob if blob is not None else assessment_blob(a)]


def json_head(scan_id: int, catalog_version: str) -> bytes:
    """scan.json's first bytes: the scan and catalog that made it, and the opening of its machines."""
    return (json.dumps({"scan_id": scan_id, "catalog_version": catalog_version})[:-1] + ', "machines": [').encode()


def head_at(folder: Path, before: object) -> bool:
    """Whether FOLDER's scan.json is the file the report memo's value BEFORE vouches for (its identity) and opens
    with a head as long as that value says, so that `retitle` can put a new head in its place and copy the rest:
    a scan.json replaced since (restored from a backup, saved by an editor) is made again, never vouched for."""
    files = before.get("files") if isinstance(before, dict) else None
    if not isinstance(files, list) or len(files) != len(NAMES):
        return False
    try:
        with open(folder / NAMES[2], "rb") as fh:
            return _identity(os.fstat(fh.fileno())) == files[2] and _head_shape(fh.fileno(), _head_length(before))
    except OSError:
        return False


def _head_shape(fd: int, length: int) -> bool:
    """Whether the file FD opens with a head of scan.json of LENGTH bytes."""
    head = os.pread(fd, length, 0) if length > 0 else b""
    return head.startswith(b'{"scan_id": ') and head.endswith(b', "machines": [') and head.count(b"[") == 1


def retitle(folder: Path, scan_id: int, catalog_version: str, before: dict) -> dict:
    """scan.json written again naming SCAN_ID, what follows its head (as long as the memo's value BEFORE says:
    check `head_at` first) copied as it lies: its spans follow the head; the memo's new value."""
    head = json_head(scan_id, catalog_version)
    with open(folder / NAMES[2], "rb") as old, atomic_text_stream(folder / NAMES[2]) as out:
        out.buffer.write(head)
        out.buffer.flush()
        _copy_range(old.fileno(), out.buffer.fileno(), before["head"])
    files = before.get("files")
    files = list(files) if isinstance(files, list) and len(files) == len(NAMES) else [None] * len(NAMES)
    files[2] = identity(folder / NAMES[2])
    return {**before, "head": len(head), "files": files}


def _copy_range(source: int, target: int, start: int, end: int | None = None) -> None:
    """The bytes of the file SOURCE from START to END (None: its end) appended to the file TARGET (descriptors):
    by the kernel where it can (a reflink on XFS or Btrfs; 5,000 machines' scan.json is some 150 MB), else through
    this process."""
    at = start

    def left() -> int:
        return 1 << 30 if end is None else min(end - at, 1 << 30)

    try:
        while left() > 0 and (copied := os.copy_file_range(source, target, left(), at)):
            at += copied
    except (AttributeError, OSError):  # not Linux, an old kernel, or file systems that cannot: copied here
        pass
    while left() > 0 and (block := os.pread(source, min(left(), _BLOCK), at)):  # what the kernel did not copy
        at += len(block)  # (some network and FUSE file systems stop short of the end and say 0)
        view = memoryview(block)
        while view:
            view = view[os.write(target, view):]
    if end is not None and at < end:  # the file shrank since it was vouched for: every later span would be wrong
        raise OSError(errno.EIO, "an earlier scan file ended before the bytes the report's memo vouches for "
                                 "(changed while it was read; the next run makes it anew)")


def _head_length(before: object) -> int:
    """The length of scan.json's head as the memo's value BEFORE gives it; -1 when it gives none."""
    length = before.get("head") if isinstance(before, dict) else None
    return length if isinstance(length, int) and not isinstance(length, bool) else -1


def _earlier(folder: Path, before: object, bases: list[int], stack: contextlib.ExitStack,
             ) -> tuple[list[int], dict[str, list]]:
    """The files as the report memo's value BEFORE vouches for them (open, not read: 5,000 machines' files
    are some 200 MB; each part is read where it lies), and their spans; nothing when that value is missing,
    made by other code, or any file is gone or is not the bytes it was written as. BASES: where each file's
    vouched bytes begin (after scan.json's head; -1: not known). STACK closes them."""
    if not isinstance(before, dict) or before.get("format") != REPORT.format:
        return [], {}
    files, spans = before.get("files"), before.get("spans")
    if not isinstance(files, list) or len(files) != len(NAMES) or not isinstance(spans, dict) or min(bases) < 0:
        return [], {}
    old = []
    for name, written in zip(NAMES, files, strict=True):
        try:
            fh = stack.enter_context(open(folder / name, "rb"))  # noqa: SIM115 (closed by STACK)
            same = _identity(os.fstat(fh.fileno())) == written
        except OSError:
            return [], {}
        if not same:
            return [], {}
        old.append(fh.fileno())
    if not _head_shape(old[2], bases[2]):  # the spans in scan.json follow a head of that length
        return [], {}
    sizes = [os.fstat(fd).st_size - base for fd, base in zip(old, bases, strict=True)]
    return old, {key: where for key, where in spans.items() if _span_shape(where, sizes)}


def identity(path: Path) -> list[int]:
    """What tells the file at PATH from any other, or from itself changed: inode, size, modification and change
    times (the change time moves on any write, chmod or utime, and cannot be set).

    Taken once the clock has moved past the file's last change by more than a file system's timestamp tick
    (ext4 before Linux 6.13 stamps in jiffies, up to 10 ms): a write in the same tick as hfstage's last one
    would leave all four as they were (git's "racily clean" files), a later one cannot."""
    st = os.stat(path)
    wait = st.st_ctime_ns + _TICK_NS - time.time_ns()
    if wait > 0:
        time.sleep(wait / 1e9)
    return _identity(st)


def _identity(st: os.stat_result) -> list[int]:
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]


def _span_shape(where: object, sizes: list[int]) -> bool:
    """Whether WHERE is a [start, end] within each file of SIZES (a damaged memo's value is not copied from)."""
    return isinstance(where, list) and len(where) == len(NAMES) and all(
        isinstance(s, list) and len(s) == 2 and all(isinstance(i, int) for i in s) and 0 <= s[0] <= s[1] <= size
        for s, size in zip(where, sizes, strict=True))
