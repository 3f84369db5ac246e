"""A collected file's versions are read once per distinct file, not once per machine that carries it.

A site's machines carry the same builds of the same files; pefile took 1-3 ms a file to read headers and
resources, for every copy on every machine. The fields are remembered by the file's bytes (compared whole),
so a copy whose bytes differ is read for itself, and an unreadable file is never remembered: its error names
its own path.
"""

from __future__ import annotations

import dataclasses
import shutil
import struct

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.errors import InputError
from hfstage.inventory import files
from hfstage.inventory.files import VersionsSeen
from hfstage.inventory.gather import gather_facts
from tests.conftest import DATA

MACHINE = DATA / "inventory" / "NT4WKS"


@pytest.fixture()
def catalog(real_catalog_path):
    return parse_catalog_file(real_catalog_path)


@pytest.fixture()
def parses(monkeypatch) -> list[str]:
    """The paths pefile is asked to read, with a memo of this test's own."""
    monkeypatch.setattr(files, "SEEN", VersionsSeen())
    asked: list[str] = []
    original = files.read_pe_version
    monkeypatch.setattr(files, "read_pe_version", lambda path, data: asked.append(str(path)) or original(path, data))
    return asked


def _found(facts) -> dict[str, dict]:
    return {f.path: dataclasses.asdict(f) for f in facts.files if f.found}


def test_the_same_files_on_a_second_machine_are_not_read_again(tmp_path, catalog, parses):
    first = gather_facts(MACHINE, catalog)
    assert len(parses) == 2 and all(f["file_version"] for f in _found(first).values())
    shutil.copytree(MACHINE, tmp_path / "NT4WKS")
    second = gather_facts(tmp_path / "NT4WKS", catalog)
    assert len(parses) == 2
    assert _found(second) == _found(first)


def test_a_copy_whose_bytes_differ_is_read_for_itself(tmp_path, catalog, parses):
    first = gather_facts(MACHINE, catalog)
    shutil.copytree(MACHINE, tmp_path / "NT4WKS")
    dll = tmp_path / "NT4WKS" / "files" / "WINNT" / "System32" / "RPCRT4.DLL"
    data = bytearray(dll.read_bytes())
    fixed = data.index(struct.pack("<I", 0xFEEF04BD))  # VS_FIXEDFILEINFO's signature; FileVersionLS is 12 on
    build = struct.unpack_from("<I", data, fixed + 12)[0]
    struct.pack_into("<I", data, fixed + 12, build + 1)
    dll.write_bytes(bytes(data))
    second = gather_facts(tmp_path / "NT4WKS", catalog)
    assert len(parses) == 3
    before = next(f for p, f in _found(first).items() if p.lower().endswith("rpcrt4.dll"))
    after = next(f for p, f in _found(second).items() if p.lower().endswith("rpcrt4.dll"))
    assert after["file_version"] != before["file_version"]
    assert after["file_version"].rsplit(".", 1)[0] == before["file_version"].rsplit(".", 1)[0]


def test_a_file_that_is_not_pe_is_refused_with_its_own_path_every_time(tmp_path, parses):
    seen = VersionsSeen()
    junk = b"MZ" + bytes(200)
    for name in ("a.dll", "b.dll"):
        with pytest.raises(InputError, match=name):
            seen.fields(tmp_path / name, junk)
    assert len(parses) == 2


def test_what_is_held_stays_under_its_cap(tmp_path):
    seen = VersionsSeen()
    data = (MACHINE / "files" / "WINNT" / "system32" / "rpcss.exe").read_bytes()
    seen.MAX_BYTES = 2 * len(data) + 16
    copies = [data + bytes([i]) * 8 for i in range(5)]  # trailing bytes: the same versions, other files
    fields = [seen.fields(tmp_path / f"{i}.exe", copy) for i, copy in enumerate(copies)]
    assert seen._held <= seen.MAX_BYTES and len(seen._known) <= 2
    assert all(f["file_version"] == fields[0]["file_version"] for f in fields)
    assert seen.fields(tmp_path / "again.exe", copies[-1]) == fields[-1]


def test_what_is_held_follows_the_worker_s_address_space():
    seen = VersionsSeen()
    seen.fit(700)  # [limits] worker_memory_mib = 700: a 32nd of it
    assert seen.MAX_BYTES == 700 * 1024 * 1024 // 32 and seen.MAX_FILE == seen.MAX_BYTES // 8
    seen.fit(4096)
    assert (seen.MAX_BYTES, seen.MAX_FILE) == (VersionsSeen.MAX_BYTES, VersionsSeen.MAX_FILE)
