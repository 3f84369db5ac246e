"""A large memo's record is not encoded whole for the few entries a month changes (share.memo's changes file).

scripts.json holds 5,000 machines' entries (4 MB); a month in which 50 machines changed wrote it whole twice
(begin, commit). Now a record of many entries keeps the entries changed since it was last written whole in
its changes file, written whole each time, read with it; once they are an eighth of it, it is written whole
again. The story: the record reads back what was stored, whichever way; a changes file left from before
the record was last written whole is never applied; a damaged one makes everything again; and a run killed
at each point, the changes file's writes included, never leaves a key vouching for an unfinished item.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap

import pytest

from hfstage.share import Memo, Record
from hfstage.share.memo import CHANGES

DEMO = Memo("demo", "demo.json", "share", "the test's own memo")
MANY = 300  # entries: over the size from which a record keeps changes


def _record(folder, n: int = MANY, version: str = "v1") -> Record:
    record = Record(folder, DEMO)
    for i in range(n):
        record.put(f"PC{i:03d}", DEMO.key(f"PC{i:03d}", version), {"i": i})
    record.commit()
    return record


def test_a_few_changes_go_to_the_changes_file_and_read_back(tmp_path):
    record = _record(tmp_path)
    whole = (tmp_path / DEMO.path).read_bytes()
    record.begin(["PC000", "PC001"])
    assert "PC000" not in Record(tmp_path, DEMO).entries  # durably forgotten, the record as it was
    record.put("PC000", "k0b", {"new": True})
    record.keep_only([f"PC{i:03d}" for i in range(2, MANY)] + ["PC000"])
    record.commit()
    assert (tmp_path / DEMO.path).read_bytes() == whole
    assert (tmp_path / (DEMO.path + CHANGES)).is_file()
    again = Record(tmp_path, DEMO)
    assert again.entries == record.entries and again.fresh("PC000", "k0b") == {"new": True}
    assert "PC001" not in again.entries and again.known("PC002", DEMO.key("PC002", "v1"))


def test_changes_of_an_eighth_write_the_record_whole(tmp_path):
    record = _record(tmp_path)
    record.put("PC000", "k0b")
    record.commit()
    assert (tmp_path / (DEMO.path + CHANGES)).is_file()
    for i in range(MANY // 8 + 1):
        record.put(f"PC{i:03d}", f"later{i}")
    record.commit()
    assert not (tmp_path / (DEMO.path + CHANGES)).exists()
    assert Record(tmp_path, DEMO).entries == record.entries


def test_a_changes_file_from_before_the_record_was_written_whole_is_not_applied(tmp_path):
    """A run killed between writing the record whole and removing the changes file leaves it: its entries
    were folded into the record, and later ones may have replaced them."""
    record = _record(tmp_path)
    record.put("PC000", "k0b")
    record.commit()
    left = (tmp_path / (DEMO.path + CHANGES)).read_bytes()
    for i in range(MANY // 8 + 1):
        record.put(f"PC{i:03d}", f"later{i}")
    record.commit()
    (tmp_path / (DEMO.path + CHANGES)).write_bytes(left)
    assert Record(tmp_path, DEMO).known("PC000", "later0")
    assert Record(tmp_path, DEMO).entries == record.entries


def test_a_small_record_is_written_whole(tmp_path):
    record = _record(tmp_path, n=10)
    record.put("PC000", "k0b")
    record.commit()
    assert not (tmp_path / (DEMO.path + CHANGES)).exists()
    assert Record(tmp_path, DEMO).known("PC000", "k0b")


@pytest.mark.parametrize("content", [b"{not json", b'{"memo": "demo", "whole": "x", "changes": {"PC1": "key"}}'])
def test_a_damaged_changes_file_empties_the_record_and_says_so(tmp_path, caplog, content):
    """Its drops cannot be known: nothing the record says is trusted, everything is made again."""
    _record(tmp_path).begin(["PC000"])
    (tmp_path / (DEMO.path + CHANGES)).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="hfstage.share.memo"):
        assert Record(tmp_path, DEMO).entries == {}
    assert f"{tmp_path / (DEMO.path + CHANGES)}: damaged" in caplog.text


# A run that makes MANY items with the memo, the first COUNT of them at VERSION, the rest at v1.
_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hfstage.share import Memo, Record, atomic_write_text
    folder, version, count = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    memo = Memo("demo", "demo.json", "share", "the test's own memo")
    record = Record(folder, memo)
    names = [f"PC{i:03d}" for i in range(300)]
    items = {name: memo.key(name, version if i < count else "v1") for i, name in enumerate(names)}
    todo = [name for name, key in items.items() if not record.known(name, key)]
    record.begin(todo)
    for name in todo:
        atomic_write_text(folder / f"{name}.bat", f"{name} {version if int(name[2:]) < count else 'v1'}")
        record.put(name, items[name])
    record.commit()
""")


def _run(folder, version: str, count: int, kill: str | None = None) -> int:
    env = {k: v for k, v in os.environ.items() if k != "HFSTAGE_TEST_KILL_AT"}
    if kill:
        env["HFSTAGE_TEST_KILL_AT"] = kill
    return subprocess.run([sys.executable, "-c", _RUN, str(folder), version, str(count)], env=env,
                          capture_output=True, text=True).returncode


def _wrong(folder) -> list[str]:
    """Items the record vouches for whose file is not the version its key was made for."""
    record = Record(folder, DEMO)
    return [name for name, (key, _) in record.entries.items()
            if DEMO.key(name, (folder / f"{name}.bat").read_text().split()[1]) != key]


@pytest.mark.parametrize(("count", "point"), [
    (3, "memo:demo:begun"), (3, "write:1"), (3, "write:3"), (3, "memo:demo:commit"), (3, "write:5"),
    (60, "memo:demo:whole"), (60, "write:3"), (60, "memo:demo:commit")])
def test_a_run_killed_at_each_point_never_leaves_a_key_for_an_unfinished_item(tmp_path, count, point):
    """All at v1, then the first 3 at v2 (kept as changes), then the first COUNT at v3 killed at POINT (3: the
    changes file's writes, begin's and commit's, and the files between; 60: the record written whole by begin,
    the old changes file still there): nothing vouched for is unfinished; then v1 again brings back every
    v1 file."""
    assert _run(tmp_path, "v1", 0) == 0
    assert _run(tmp_path, "v2", 3) == 0 and (tmp_path / (DEMO.path + CHANGES)).is_file()
    assert _run(tmp_path, "v3", count, kill=point) == -9
    assert _wrong(tmp_path) == []
    assert _run(tmp_path, "v1", MANY) == 0
    assert {p.read_text().split()[1] for p in tmp_path.glob("*.bat")} == {"v1"}
    assert _wrong(tmp_path) == []
