"""Cabinets a peer's test suite accepts (issue 20, section 7).

Run against the test cabinets of libmspack and cabextract, hfstage crashed on none and refused
every damaged one, but it also refused four kinds of valid cabinet that cabextract extracts:
folders whose files are all empty (no CFDATA block at all), a 255-byte member name, member
names in an 8-bit code page (no _A_NAME_IS_UTF attribute: KOI8 on old Russian packages), and
Quantum folders. tests/data/make_cab_classes.py makes cabinets of each kind with gcab and by
hand (tests/data/cabwriter.py, Quantum by tests/data/quantum_encoder.py). Here cabextract is
the reference: hfstage must write the same members, the same bytes under the same names (as
bytes on disk: an 8-bit name keeps its bytes, as cabextract keeps them). Their damaged
neighbours, cut short or with a flipped byte under a CFDATA checksum, and the names a Windows
share cannot hold, are still refused with the reason, and nothing is left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from hfstage.cab.extract import extract_cabinet, read_cabinet, read_member
from hfstage.errors import InputError, UnsafeInputError
from tests.conftest import CABS, EXAMPLES

CLASSES = CABS / "classes"
VALID = sorted(p.name for p in CLASSES.glob("*.cab") if not p.name.startswith(("damaged-", "unsafe-")))
needs_cabextract = pytest.mark.skipif(shutil.which("cabextract") is None, reason="cabextract not installed")


def _tree(root: Path) -> dict[bytes, bytes]:
    """{relative path as bytes: content} of every file below ROOT: names compared byte for byte."""
    base = os.fsencode(root)
    return {os.path.relpath(os.path.join(d, f), base): Path(os.fsdecode(os.path.join(d, f))).read_bytes()
            for d, _, files in os.walk(base) for f in files}


def _cabextract(cab: Path, dest: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["cabextract", "-q", "-d", str(dest), str(cab)], capture_output=True)


def test_every_class_has_cabinets():
    kinds = {name.split("-")[0] for name in VALID}
    assert {"empty", "name255", "cp", "quantum", "mixed", "reserve"} <= kinds
    assert len(VALID) >= 15


@needs_cabextract
@pytest.mark.parametrize("name", VALID)
def test_extracts_what_cabextract_extracts(tmp_path, name):
    members = extract_cabinet(CLASSES / name, tmp_path / "ours")
    assert _cabextract(CLASSES / name, tmp_path / "theirs").returncode == 0
    ours, theirs = _tree(tmp_path / "ours"), _tree(tmp_path / "theirs")
    assert ours == theirs
    assert len(ours) == len(members)


def test_empty_folders_give_empty_files(tmp_path):
    _, layout = read_cabinet(CLASSES / "empty-folders.cab")
    assert [f.data_blocks for f in layout.folders] == [0, 1, 0, 0]
    extract_cabinet(CLASSES / "empty-folders.cab", tmp_path / "x")
    assert (tmp_path / "x" / "empty-quantum.txt").stat().st_size == 0
    assert (tmp_path / "x" / "data" / "mszip.txt").stat().st_size == 5000


def test_eight_bit_names_keep_their_bytes_and_utf8_names_are_utf8(tmp_path):
    extract_cabinet(CLASSES / "cp-koi8.cab", tmp_path / "koi8")
    folder = "Документы".encode("koi8-r")
    assert sorted(_tree(tmp_path / "koi8")) == sorted([
        b"readme.txt", "Привет.txt".encode("koi8-r"), folder + b"/" + "Отчёт за 1998 год.txt".encode("koi8-r")])
    extract_cabinet(CLASSES / "cp-utf8-flagged.cab", tmp_path / "utf8")
    assert (tmp_path / "utf8" / "中文" / "文件.txt").read_bytes() == b"cjk\r\n"


def test_names_of_255_bytes(tmp_path):
    extract_cabinet(CLASSES / "name255-gcab.cab", tmp_path / "x")
    assert [len(n) for n in os.listdir(tmp_path / "x")] == [255]


def test_quantum_members_and_read_member():
    buf, layout = read_cabinet(CLASSES / "quantum-window16.cab")
    assert [(f.compression, f.window_bits, f.data_blocks) for f in layout.folders] == [("quantum", 16, 3)]
    catalog = (EXAMPLES / "catalog" / "month1.xml").read_bytes()
    assert read_member(buf, "mssecure.xml", 1 << 20, "q.cab") == catalog
    tail = read_member(buf, "bulk\\tail.txt", 1 << 20, "q.cab")
    assert tail == b"tail\r\n"


def _flip_data(data: bytearray, folder: int = 0) -> None:
    """Flip a byte inside the first data block of FOLDER (CFFOLDER.coffCabStart + header)."""
    start = struct.unpack_from("<I", data, 36 + 8 * folder)[0] + 8
    data[start + 3] ^= 0x55


def _window_bits(value: int):
    def patch(data: bytearray) -> None:
        type_compress = struct.unpack_from("<H", data, 42)[0]
        struct.pack_into("<H", data, 42, (type_compress & 0xE0FF) | (value << 8))
    return patch


DAMAGED = [
    ("empty-gcab.cab", lambda d: d.__delitem__(slice(len(d) - 6, None)), "truncated cabinet"),
    ("name255-gcab.cab", lambda d: d.__delitem__(slice(200, None)), "truncated cabinet"),
    ("cp-koi8.cab", _flip_data, "fails its checksum"),
    ("cp-cp866.cab", _flip_data, "fails its checksum"),
    ("quantum-window16.cab", _flip_data, "fails its checksum"),
    ("quantum-window16.cab", lambda d: d.__delitem__(slice(len(d) // 2, None)), "truncated cabinet"),
    ("quantum-window10.cab", _window_bits(9), "window of 2\\^9 bytes is outside"),
    ("quantum-window21.cab", _window_bits(22), "window of 2\\^22 bytes is outside"),
    ("empty-folders.cab", lambda d: _flip_data(d, 1), "fails its checksum"),
]


@needs_cabextract
@pytest.mark.parametrize("name, damage, reason", DAMAGED)
def test_damaged_neighbours_are_refused_like_cabextract(tmp_path, name, damage, reason):
    data = bytearray((CLASSES / name).read_bytes())
    damage(data)
    cab = tmp_path / name
    cab.write_bytes(bytes(data))
    with pytest.raises(InputError, match=reason) as e:
        extract_cabinet(cab, tmp_path / "ours")
    assert str(e.value).startswith(str(cab))
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    assert _cabextract(cab, tmp_path / "theirs").returncode != 0


def test_name_longer_than_a_cabinet_holds(tmp_path):
    with pytest.raises(InputError, match=r"CFFILE name at 0x3c is longer than 255 bytes \(no NUL within 256\)"):
        extract_cabinet(CLASSES / "damaged-name256.cab", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_name_marked_utf8_that_is_not(tmp_path):
    """gcab sets _A_NAME_IS_UTF for any byte over 127, KOI8 too; cabextract then writes U+FFFD,
    hfstage refuses: the name contradicts its own flag."""
    with pytest.raises(UnsafeInputError, match=r"marked UTF-8 \(_A_NAME_IS_UTF\) but byte 0 \(0xf0\) is not"):
        extract_cabinet(CLASSES / "damaged-utf8-flag-on-koi8-gcab.cab", tmp_path / "x")
    assert not (tmp_path / "x").exists()


@needs_cabextract
def test_unsafe_eight_bit_name_is_refused_though_cabextract_writes_it(tmp_path):
    cab = CLASSES / "unsafe-koi8-question.cab"
    with pytest.raises(UnsafeInputError, match="character not allowed in Windows file names"):
        extract_cabinet(cab, tmp_path / "x")
    assert _cabextract(cab, tmp_path / "theirs").returncode == 0


def test_listing_says_which_names_are_utf8(run):
    code, out, _ = run("cab", "list", "--json", CLASSES / "cp-koi8.cab")
    members = json.loads(out)["members"]
    assert code == 0 and [m["name_is_utf8"] for m in members] == [False, False, False]
    assert members[1]["name"].encode("latin-1") == "Привет.txt".encode("koi8-r")
    code, out, _ = run("cab", "list", "--json", CLASSES / "cp-utf8-flagged.cab")
    assert [m["name"] for m in json.loads(out)["members"]] == ["Привет мир.txt", "中文\\文件.txt"]


@needs_cabextract
def test_member_that_is_another_members_folder(tmp_path):
    """'a' and 'a\\b': cabextract writes the first and fails on the second; hfstage refuses
    before writing, where it used to stop at 'cannot write: File exists' naming its temp folder."""
    from tests.data.cabwriter import write_cab

    cab = tmp_path / "clash.cab"
    write_cab(cab, [("mszip", [(b"file\r\n", "a"), (b"inside\r\n", "a\\b")])])
    with pytest.raises(InputError, match=r"member 'a\\b' needs a folder where member 'a' is a file"):
        extract_cabinet(cab, tmp_path / "ours")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clash.cab"]
    assert _cabextract(cab, tmp_path / "theirs").returncode != 0
