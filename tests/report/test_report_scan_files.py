"""scan.txt, scan.csv and scan.json are joined from per-machine fragments, copied for an unchanged machine.

At 5,000 machines a month in which 1% of machines changed read back, decoded and encoded again every
assessment of the site for the three whole-site files (issue 20 section 6). Each machine's part of them
depends only on its assessment (its content key) and the report code (the report memo's format version), so
the report memo now keeps where each machine's fragments lie in the files it wrote, with the files' identities;
the next report copies the bytes of the unchanged machines. These tests change each thing the copy depends
on (the assessment, the format version, the files' bytes, a file's presence, the memo's value) and check
that the files come out as if every fragment were made again, on the demo's real assessments.
"""

from __future__ import annotations

import dataclasses
import os
import time

import pytest

from hfstage.errors import HfstageError
from hfstage.history import History
from hfstage.history.store import assessment_key
from hfstage.report.scan_files import NAMES, ScanFiles, head_at, retitle
from hfstage.share import REPORT
from tests.conftest import demo_with_cabinet, hfstage_process


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The demo's machine rows and stored assessments after month 1 (read only: one month for the module)."""
    share = demo_with_cabinet(tmp_path_factory.mktemp("scan-files") / "share", "month1")
    assert hfstage_process("month", share.root, "--fail-on", "none").returncode == 0
    history = History(share)
    rows = history.machines(history.latest_scan().id)
    return rows, history.assessments([m.assessment_key for m in rows])


@pytest.fixture(params=[True, False], ids=["kernel", "process"])
def kernel_copy(request, monkeypatch) -> bool:
    """Copies made by the kernel, or (False) through the process: copy_file_range refused, as across file
    systems."""
    if not request.param:
        def refused(*args):
            raise OSError(18, "Invalid cross-device link")
        monkeypatch.setattr("os.copy_file_range", refused)
    return request.param


def _write(folder, rows, assessments, before=None) -> tuple[dict, set[str]]:
    """The three files into FOLDER, copying what BEFORE allows; the memo value and the machines copied."""
    folder.mkdir(exist_ok=True)
    copied = set()
    with ScanFiles(folder, "1.0", 7, rows, [], before) as files:
        for m in rows:
            if files.reusable(m):
                copied.add(m.machine)
                files.add(m, None)
            else:
                files.add(m, assessments[m.assessment_key])
    return files.memo_value(), copied


def _bytes(folder) -> list[bytes]:
    return [(folder / name).read_bytes() for name in NAMES]


def _fresh(tmp_path, rows, assessments) -> list[bytes]:
    _write(tmp_path / "fresh", rows, assessments)
    return _bytes(tmp_path / "fresh")


def test_unchanged_machines_are_copied_with_the_same_bytes(tmp_path, recorded):
    rows, assessments = recorded
    value, copied = _write(tmp_path / "r", rows, assessments)
    assert copied == set() and len(value["spans"]) == len(rows) and value["format"] == REPORT.format
    _, copied = _write(tmp_path / "r", rows, {}, value)  # nothing to decode: every fragment is copied
    assert copied == {m.machine for m in rows}
    assert _bytes(tmp_path / "r") == _fresh(tmp_path, rows, assessments)


def test_a_changed_assessment_is_made_again(tmp_path, recorded):
    rows, assessments = recorded
    value, _ = _write(tmp_path / "r", rows, assessments)
    first = rows[0]
    changed = dataclasses.replace(assessments[first.assessment_key], status_detail="changed since last month")
    key = assessment_key(changed)
    rows = [dataclasses.replace(first, assessment_key=key), *rows[1:]]
    assessments = {**assessments, key: changed}
    _, copied = _write(tmp_path / "r", rows, assessments, value)
    assert first.machine not in copied and len(copied) == len(rows) - 1
    files = _bytes(tmp_path / "r")
    assert files == _fresh(tmp_path, rows, assessments)
    assert b"changed since last month" in files[2]


def test_runs_of_copies_around_changed_removed_and_moved_machines_are_the_bytes_made_anew(tmp_path, recorded,
                                                                                          monkeypatch, kernel_copy):
    """Machines that follow each other in the old files are copied as one run (with scan.json's joins between
    them; by the kernel, or through the process where it cannot): a changed machine in the middle, one removed
    and one moved to the front break the runs where they are, and the next report copies every fragment again
    from the spans the runs recorded."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    middle = rows[len(rows) // 2]
    changed = dataclasses.replace(assessments[middle.assessment_key], status_detail="changed since last month")
    assessments = {**assessments, assessment_key(changed): changed}
    later = [dataclasses.replace(m, assessment_key=assessment_key(changed)) if m is middle else m
             for m in rows if m is not rows[1]]
    later = [later[-1], *later[:-1]]
    reads = []
    monkeypatch.setattr("os.pread", lambda *args, pread=os.pread: reads.append(args) or pread(*args))
    value, copied = _write(folder, later, assessments, value)
    assert len(copied) == len(later) - 1 and _bytes(folder) == _fresh(tmp_path, later, assessments)
    if not kernel_copy:  # four runs (the moved one; the first; the third to the changed one; after it), 3 files
        assert len(reads) == 4 * 3 + 1  # and scan.json's head
    _, copied = _write(folder, later, {}, value)
    assert copied == {m.machine for m in later} and _bytes(folder) == _fresh(tmp_path, later, assessments)


def test_fragments_of_other_report_code_are_not_copied(tmp_path, recorded):
    rows, assessments = recorded
    value, _ = _write(tmp_path / "r", rows, assessments)
    _, copied = _write(tmp_path / "r", rows, assessments, {**value, "format": "an older hfstage"})
    assert copied == set()


@pytest.mark.parametrize("name", NAMES)
def test_a_file_changed_or_removed_since_is_not_copied_from(tmp_path, recorded, name):
    rows, assessments = recorded
    value, _ = _write(tmp_path / "r", rows, assessments)
    path = tmp_path / "r" / name
    path.write_bytes(path.read_bytes().replace(rows[0].machine.encode(), b"X" * len(rows[0].machine)))
    _, copied = _write(tmp_path / "r", rows, assessments, value)
    assert copied == set()
    assert _bytes(tmp_path / "r") == _fresh(tmp_path, rows, assessments)  # the edit is gone
    value, _ = _write(tmp_path / "r", rows, assessments, value)
    path.unlink()
    _, copied = _write(tmp_path / "r", rows, assessments, value)
    assert copied == set() and _bytes(tmp_path / "r") == _fresh(tmp_path, rows, assessments)


@pytest.mark.parametrize("name", NAMES)
def test_a_file_edited_in_place_with_its_size_and_time_kept_is_not_copied_from(tmp_path, recorded, name):
    """The memo tells the files hfstage wrote by their identity, not by hashing some 220 MB every month: an edit
    that keeps the size and puts the modification time back still moves the change time, which no user sets."""
    rows, assessments = recorded
    value, _ = _write(tmp_path / "r", rows, assessments)
    path = tmp_path / "r" / name
    was = path.stat()
    data = path.read_bytes()
    with open(path, "r+b") as fh:  # the same inode, the same size
        fh.write(data.replace(rows[0].machine.encode(), b"X" * len(rows[0].machine)))
    os.utime(path, ns=(was.st_atime_ns, was.st_mtime_ns))
    assert (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns) == (was.st_ino, was.st_size,
                                                                                   was.st_mtime_ns)
    _, copied = _write(tmp_path / "r", rows, assessments, value)
    assert copied == set() and _bytes(tmp_path / "r") == _fresh(tmp_path, rows, assessments)


def test_a_damaged_memo_value_copies_nothing_it_cannot_place(tmp_path, recorded):
    rows, assessments = recorded
    value, _ = _write(tmp_path / "r", rows, assessments)
    spans = {**value["spans"], rows[0].assessment_key: [[0, 1]], rows[1].assessment_key: [[0, 1], [0, 1], [0, 10**9]]}
    _, copied = _write(tmp_path / "r", rows, assessments, {**value, "spans": spans})
    assert not {rows[0].machine, rows[1].machine} & copied and len(copied) == len(rows) - 2
    for damaged in (None, "text", {**value, "files": value["files"][:2]}, {**value, "spans": []}):
        _, copied = _write(tmp_path / "r", rows, assessments, damaged)
        assert copied == set()
    assert _bytes(tmp_path / "r") == _fresh(tmp_path, rows, assessments)


def test_a_machine_known_only_by_its_row_is_made_again_every_time(tmp_path, recorded):
    """A machine recorded before hfstage kept whole assessments is shown from its row alone: what the report
    made from it is not what its key names, so it is never copied."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    folder.mkdir()
    with ScanFiles(folder, "1.0", 7, rows, [], None) as files:
        for m in rows:
            files.add(m, assessments[m.assessment_key], stored=m is not rows[0])
    _, copied = _write(folder, rows, assessments, files.memo_value())
    assert rows[0].machine not in copied and len(copied) == len(rows) - 1


def test_a_scan_file_someone_removed_is_written_again(month1_site):
    """The report memo vouched for the three files when scan.json alone was there: a removed scan.csv or
    scan.txt stayed missing until something else changed."""
    reports = month1_site.folder("reports")
    for name in ("scan.csv", "scan.txt"):
        before = (reports / name).read_bytes()
        (reports / name).unlink()
        assert hfstage_process("month", month1_site.root, "--fail-on", "none").returncode == 0
        assert (reports / name).read_bytes() == before


def test_a_new_scan_alone_renames_scan_json_and_copies_the_rest_as_it_lies(tmp_path, recorded, monkeypatch,
                                                                          kernel_copy):
    """scan.json opens by naming its scan. A new scan that changed no machine rewrites that head only
    (`retitle`): the rest is copied as it lies (by the kernel, or through the process where the kernel cannot),
    and the next report still copies every fragment from the renamed file (its spans follow the
    head), with the bytes of a scan.json made anew."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    before = (folder / "scan.json").read_bytes()
    assert head_at(folder, value)
    value = retitle(folder, 1000, "1.0", value)  # a head 3 bytes longer: every span follows it
    assert (folder / "scan.json").read_bytes() == before.replace(b'{"scan_id": 7,', b'{"scan_id": 1000,', 1)
    copied = set()
    with ScanFiles(folder, "1.0", 1000, rows, [], value) as files:
        for m in rows:
            assert files.reusable(m)
            copied.add(m.machine)
            files.add(m, None)
    assert copied == {m.machine for m in rows}
    with ScanFiles(tmp_path / "fresh", "1.0", 1000, rows, [], None) as fresh:
        for m in rows:
            fresh.add(m, assessments[m.assessment_key])
    assert _bytes(folder) == _bytes(tmp_path / "fresh")


@pytest.mark.parametrize("damage", ["length", "bytes", "none"])
def test_a_head_not_where_the_memo_says_is_neither_renamed_nor_copied_from(tmp_path, recorded, damage):
    """A memo value whose head length is wrong or missing, or a scan.json whose head someone edited: `head_at`
    says no (the report then makes the three files again) and nothing is copied from scan.json."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    if damage == "length":
        value = {**value, "head": value["head"] + 1}
    elif damage == "none":
        value = {k: v for k, v in value.items() if k != "head"}
    else:
        path = folder / "scan.json"
        path.write_bytes(path.read_bytes().replace(b'{"scan_id": 7,', b'{"scan_id": 77,', 1))
    assert not head_at(folder, value)
    _, copied = _write(folder, rows, assessments, value)
    assert copied == set() and _bytes(folder) == _fresh(tmp_path, rows, assessments)


def test_a_memo_value_that_names_no_files_is_renamed_but_never_copied_from(tmp_path, recorded):
    """A damaged memo value with a good head length: scan.json is renamed all the same (no crash), and what no
    identity vouches for is not copied from afterwards."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    value = retitle(folder, 7, "1.0", {k: v for k, v in value.items() if k != "files"})
    _, copied = _write(folder, rows, assessments, value)
    assert copied == set() and _bytes(folder) == _fresh(tmp_path, rows, assessments)


def test_a_month_that_changed_nothing_names_its_own_scan_in_scan_json(month1_site):
    """In a month in which nothing changed, scan.json still named the previous month's scan (the scan's ID was
    not in the scan files' memo key), while index.html named the new one: an admin comparing months read the
    wrong scan. Now scan.json names the scan that produced it, and scan.txt and scan.csv, which do not name it,
    are left as they are."""
    from hfstage.history import History

    reports = month1_site.folder("reports")
    before = {name: (reports / name).read_bytes() for name in NAMES}
    inodes = {name: (reports / name).stat().st_ino for name in NAMES[:2]}
    first = History(month1_site).latest_scan().id
    assert hfstage_process("month", month1_site.root, "--fail-on", "none").returncode == 0
    scan = History(month1_site).latest_scan().id
    assert scan != first
    assert f"scan {scan}, generated" in (reports / "index.html").read_text()
    assert {name: (reports / name).stat().st_ino for name in NAMES[:2]} == inodes  # not written again
    assert (reports / "scan.json").read_bytes() == before["scan.json"].replace(
        f'{{"scan_id": {first},'.encode(), f'{{"scan_id": {scan},'.encode(), 1)
    assert [(reports / name).read_bytes() for name in NAMES[:2]] == [before[n] for n in NAMES[:2]]


def test_a_scan_json_replaced_since_with_the_same_head_is_made_again_not_renamed(tmp_path, recorded):
    """A cold review: `head_at` looked at scan.json's head only, so a scan.json replaced since (restored from a
    backup, saved by an editor) with the head left as it was got renamed, vouched for with its new identity,
    and copied from in later months. Now a scan.json that is not the file the memo vouches for is made again."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    path = folder / "scan.json"
    path.write_bytes(path.read_bytes().replace(rows[0].machine.encode(), b"X" * len(rows[0].machine)))
    assert not head_at(folder, value)


def test_a_kernel_copy_that_stops_short_is_finished_by_the_process(tmp_path, recorded, monkeypatch):
    """copy_file_range may stop before the end and say 0 (some network and FUSE file systems): the rest of
    scan.json is copied through the process, never left cut short."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    before = (folder / "scan.json").read_bytes()
    real, calls = os.copy_file_range, []

    def short(src, dst, count, offset_src=None, *args):
        calls.append(count)
        return real(src, dst, min(count, 1000), offset_src, *args) if len(calls) == 1 else 0

    monkeypatch.setattr("os.copy_file_range", short)
    retitle(folder, 1000, "1.0", value)
    assert calls and (folder / "scan.json").read_bytes() == before.replace(b'{"scan_id": 7,', b'{"scan_id": 1000,', 1)


def test_a_files_identity_is_taken_after_the_clock_has_left_its_last_change(tmp_path):
    """On file systems that stamp times in ticks (ext4 before Linux 6.13: a jiffy), an edit in the same tick as
    hfstage's write leaves inode, size and times as they were. The identity is taken once the clock has moved
    a tick past the file's last change, so any later edit moves the change time."""
    from hfstage.report.scan_files import _TICK_NS, identity

    path = tmp_path / "scan.json"
    path.write_bytes(b"{}")
    identity(path)
    assert time.time_ns() >= path.stat().st_ctime_ns + _TICK_NS


@pytest.mark.parametrize("name", NAMES)
def test_an_earlier_file_that_shrinks_while_it_is_copied_from_stops_the_copy(tmp_path, recorded, name, monkeypatch):
    """The earlier files are vouched for when they are opened; cut short after that (truncated in place), their
    copies would stop early and every later machine's span would point at the wrong bytes, vouched for by the
    memo. The copy stops instead, with nothing renamed into place; the next run makes the files anew."""
    rows, assessments = recorded
    folder = tmp_path / "r"
    value, _ = _write(folder, rows, assessments)
    before = _bytes(folder)
    if name == "scan.json":
        monkeypatch.setattr("os.copy_file_range", lambda *args: 0)  # through the process too
    with pytest.raises((OSError, HfstageError), match="ended before the bytes"), \
            ScanFiles(folder, "1.0", 8, rows, [], value) as files:
        os.truncate(folder / name, len(before[NAMES.index(name)]) // 2)
        for m in rows:
            files.add(m, None)
    assert [p.name for p in folder.iterdir() if p.name not in NAMES] == []  # no temp file left
