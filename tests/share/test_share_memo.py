"""The one memory for what changed (hfstage.share.memo): every cache that lets a month skip work keys it
by content and by the format version of the code that makes the value, and keeps its keys in a record
that is written in two moves around the work: `begin` forgets what is about to be made again, `commit`
vouches for it once it is made.

The story these tests tell: a record that cannot be read makes everything again (and says so); the
format version follows the code, so nobody has to remember to bump it, and a release that does not
touch the code keeps the memo; a run killed at the crash points of hfstage.faults, before, between and
after the two moves, never leaves a key vouching for an item it had not finished.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from hfstage.share import FACTS, MEMOS, REPORT, SCANS, SCRIPTS, Memo, Record, Share, fingerprint
from hfstage.share.memo import STAGES, source_version
from tests.conftest import REPO

PACKAGE = REPO / "tools" / "hfstage"
DEMO = Memo("demo", "demo.json", "share", "the test's own memo")


def test_a_key_always_carries_the_format_of_its_producer():
    """Same parts, other memo or other format: another key. The key is the one recipe (fingerprint)."""
    assert FACTS.key("PC1", 1) == FACTS.key("PC1", 1)
    assert FACTS.key("PC1", 1) != SCRIPTS.key("PC1", 1)
    assert FACTS.key("PC1", 1) == fingerprint([FACTS.name, FACTS.format, "PC1", 1])
    assert len({m.format for m in MEMOS}) > 1  # the producers differ, so do their formats


def _copy(tmp_path, name):
    target = tmp_path / name
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__", "examples"))
    return target


def test_the_format_version_follows_the_code_that_makes_the_value(tmp_path):
    """A change to the assessment engine drops the scans memo and every memo made after assessment (scripts,
    reports), not the facts; a new version number alone drops nothing."""
    before = {m.name: source_version(PACKAGE, m.producer) for m in MEMOS}
    changed = _copy(tmp_path, "engine")
    engine = changed / "assess" / "engine.py"
    engine.write_text(engine.read_text() + "\n# the engine says something new\n")
    after = {m.name: source_version(changed, m.producer) for m in MEMOS}
    assert after[SCANS.name] != before[SCANS.name]
    assert after[SCRIPTS.name] != before[SCRIPTS.name] and after[REPORT.name] != before[REPORT.name]
    assert after[FACTS.name] == before[FACTS.name]

    released = _copy(tmp_path, "release")
    (released / "__init__.py").write_text('"""hfstage."""\n\n__version__ = "99.0.0"\n')
    assert {m.name: source_version(released, m.producer) for m in MEMOS} == before

    table = _copy(tmp_path, "table")
    products = table / "data" / "products.json"
    products.write_text(products.read_text().replace('"os"', '"os" ', 1))
    assert source_version(table, "inventory") != before[FACTS.name]  # a data table is code too


def test_every_stage_has_a_format_and_nothing_else_does():
    assert [source_version(PACKAGE, s) for s in STAGES]
    with pytest.raises(ValueError):
        source_version(PACKAGE, "mystery")


# A process's memos ask for the format versions of several stages (inventory, assess, history, packages, scripts,
# report): it counts which folders of its own package it reads to answer them all (twice over).
_ASK_EVERY_STAGE = textwrap.dedent("""
    import collections, json
    from hfstage import resources
    from hfstage.share import memo
    walked, walk = collections.Counter(), resources.walk
    def counting(node, prefix=()):
        if not prefix:
            walked[node.name] += 1
        yield from walk(node, prefix)
    resources.walk = counting
    versions = [memo.format_version(s) for s in memo.STAGES * 2]
    read = dict(walked)
    package = memo.package_files.files("hfstage")
    print(json.dumps([read, versions, [memo.source_version(package, s) for s in memo.STAGES * 2]]))
""")


def test_a_process_reads_its_own_code_once_for_every_stage_a_memo_asks_about():
    """The format version is the code's own: it cannot change while the process runs. Each stage's used to be
    hashed from the package separately (the stage and every stage to its left, the data tables again each
    time: ~0.05 s of CPU in every `hfstage month`); now the package is read once per process, and every stage's
    version is what source_version says of the same package."""
    done = subprocess.run([sys.executable, "-c", _ASK_EVERY_STAGE], capture_output=True, text=True, check=True)
    read, versions, expected = json.loads(done.stdout)
    assert read == {name: 1 for name in (*STAGES, "data")}
    assert versions == expected and len(set(versions)) == len(STAGES)


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b'{"memo": "demo", "entries": {"PC1": "key"}}',
                                     b'{"memo": "demo", "entries": []}', b"\xff\xfe"])
def test_a_damaged_record_is_empty_and_says_so(tmp_path, caplog, content):
    (tmp_path / DEMO.path).write_bytes(content)
    with caplog.at_level(logging.WARNING, logger="hfstage.share.memo"):
        record = Record(tmp_path, DEMO)
    assert record.entries == {}
    assert f"{tmp_path / DEMO.path}: damaged" in caplog.text and "made again" in caplog.text


def test_a_record_from_an_earlier_hfstage_is_made_again_quietly(tmp_path, caplog):
    (tmp_path / DEMO.path).write_text(json.dumps({"keys": {"PC1": "abc"}, "jobs": {}}))
    with caplog.at_level(logging.WARNING, logger="hfstage.share.memo"):
        assert Record(tmp_path, DEMO).entries == {}
    assert caplog.text == ""


def test_begin_forgets_before_commit_vouches(tmp_path):
    record = Record(tmp_path, DEMO)
    record.put("PC1", "k1", {"job": 1})
    record.put("PC2", "k2")
    record.commit()
    stored = Record(tmp_path, DEMO)
    assert stored.fresh("PC1", "k1") == {"job": 1} and stored.known("PC2", "k2")
    assert stored.fresh("PC1", "other") is None and not stored.known("PC3", "k2")
    stored.begin(["PC1"])
    assert Record(tmp_path, DEMO).entries == {"PC2": ["k2", None]}  # durably forgotten before any work
    stored.put("PC1", "k1b")
    stored.keep_only(["PC1"])
    stored.commit()
    assert Record(tmp_path, DEMO).entries == {"PC1": ["k1b", None]}


# A run that makes three items with the memo, as every cache does: begin, write each item's file, commit.
_RUN = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hfstage.share import Memo, Record, atomic_write_text
    folder, version = Path(sys.argv[1]), sys.argv[2]
    memo = Memo("demo", "demo.json", "share", "the test's own memo")
    record = Record(folder, memo)
    items = {name: memo.key(name, version) for name in ("PC1", "PC2", "PC3")}
    todo = [name for name, key in items.items() if not record.known(name, key)]
    record.begin(todo)
    for name in todo:
        atomic_write_text(folder / f"{name}.bat", f"{name} {version}")
        record.put(name, items[name])
    record.commit()
""")


def _run(folder, version, kill=None):
    env = {k: v for k, v in os.environ.items() if k != "HFSTAGE_TEST_KILL_AT"}
    if kill:
        env["HFSTAGE_TEST_KILL_AT"] = kill
    return subprocess.run([sys.executable, "-c", _RUN, str(folder), version], env=env, capture_output=True,
                          text=True).returncode


def _vouched_files_are_current(folder) -> list[str]:
    """Every item the record vouches for has the file its key was made for (old or new version)."""
    record = Record(folder, DEMO)
    wrong = []
    for name, (key, _) in record.entries.items():
        text = (folder / f"{name}.bat").read_text()
        if DEMO.key(name, text.split()[1]) != key:
            wrong.append(f"{name}: the record vouches for another version than {text!r}")
    return wrong


@pytest.mark.parametrize("point", ["memo:demo:begun", "write:1", "write:2", "write:3", "memo:demo:commit",
                                   "write:4"])
def test_a_run_killed_at_each_point_never_leaves_a_key_for_an_unfinished_item(tmp_path, point):
    """Made at version 1, made again at version 2 and killed at POINT (after begin, between the files, before
    and during commit's own write): the record vouches for no file it had not finished; then version 1 again
    (the admin went back) must bring back every version-1 file, which a stale key would have prevented."""
    assert _run(tmp_path, "v1") == 0
    assert _run(tmp_path, "v2", kill=point) == -9
    assert _vouched_files_are_current(tmp_path) == [], point
    assert _run(tmp_path, "v1") == 0
    assert {p.read_text() for p in tmp_path.glob("*.bat")} == {"PC1 v1", "PC2 v1", "PC3 v1"}
    assert _run(tmp_path, "v2") == 0
    assert {p.read_text() for p in tmp_path.glob("*.bat")} == {"PC1 v2", "PC2 v2", "PC3 v2"}


def test_every_memo_has_a_home_on_the_share(tmp_path):
    share = Share(tmp_path)
    homes = [share.state_file(m) for m in MEMOS]
    assert all(h.is_relative_to(share.state) for h in homes)
    json_homes = [h for h in homes if h.suffix == ".json"]
    assert len(set(json_homes)) == len(json_homes), "two memos share one record"
