"""Cabinet listing and safe extraction: MSZIP, stored, LZX, several folders, hostile names."""

from __future__ import annotations

import filecmp
import shutil
import subprocess

import pytest

from hfstage.cab.extract import extract_cabinet, read_cabinet
from hfstage.errors import InputError, UnsafeInputError
from hfstage.share import unsafe_reason
from tests.conftest import CABS, EXAMPLES

needs_cabextract = pytest.mark.skipif(shutil.which("cabextract") is None, reason="cabextract not installed")


def _cabextract(cab, dest):
    dest.mkdir()
    subprocess.run(["cabextract", "-q", "-d", str(dest), str(cab)], check=True)
    return dest


def _same_tree(a, b):
    cmp = filecmp.dircmp(a, b)
    assert not cmp.left_only and not cmp.right_only and not cmp.diff_files, cmp.report()
    for sub in cmp.common_dirs:
        _same_tree(a / sub, b / sub)


def test_list_reports_folders_and_members():
    _, layout = read_cabinet(CABS / "multi-folder.cab")
    assert [f.compression for f in layout.folders] == ["none", "mszip", "lzx"]
    assert [(m.name, m.folder) for m in layout.members] == [
        ("readme.txt", 0), ("data/mssecure.xml", 1), ("data/copy.txt", 2)]


@needs_cabextract
@pytest.mark.parametrize("name", ["multi-folder.cab", "signed-lzx.cab", "signed-sha256.cab"])
def test_extraction_equals_cabextract(tmp_path, name):
    ours = tmp_path / "ours"
    extract_cabinet(CABS / name, ours)
    _same_tree(ours, _cabextract(CABS / name, tmp_path / "theirs"))


def test_lzx_member_content(tmp_path):
    extract_cabinet(CABS / "signed-lzx.cab", tmp_path / "x")
    assert (tmp_path / "x" / "mssecure.xml").read_bytes() == (EXAMPLES / "catalog" / "month1.xml").read_bytes()


@pytest.mark.parametrize("stem, reason", [
    ("traversal-dotdot", "parent-folder"),
    ("traversal-nested", "parent-folder"),
    ("traversal-absolute", "absolute path"),
    ("traversal-drive", "drive letter"),
    ("traversal-unc", "UNC path"),
    ("traversal-device", "device name CON"),
    ("traversal-device-ext", "device name LPT1"),
])
def test_hostile_names_are_refused_and_nothing_is_written(tmp_path, stem, reason):
    work = tmp_path / "work"
    dest = work / "dest"
    work.mkdir()
    with pytest.raises(UnsafeInputError, match=reason) as e:
        extract_cabinet(CABS / f"{stem}.cab", dest)
    assert str(e.value).startswith(f"{CABS / stem}.cab: refusing member ")
    assert list(work.iterdir()) == []  # not even the harmless member, not a temp folder
    assert not (tmp_path / "evil.txt").exists()


@pytest.mark.parametrize("name, expected", [
    ("a\0b", "embedded NUL"), ("NUL", "device name NUL"), ("com1.dat", "device name COM1"),
    ("aux", "device name AUX"), ("dir/", "empty path component"), ("x:y", "drive letter"),
    ("ab:c", "character not allowed"),
    ("ok.txt", None), ("sub\\dir\\ok.txt", None), ("CONSOLE.txt", None),
])
def test_name_rules(name, expected):
    reason = unsafe_reason(name)
    assert (reason is None) if expected is None else (expected in reason)


def test_decompression_bomb_is_refused_before_writing(tmp_path):
    with pytest.raises(UnsafeInputError, match="would expand to 67108864 bytes, over the limit of 1048576"):
        extract_cabinet(CABS / "bomb.cab", tmp_path / "dest", max_bytes=1024 * 1024)
    assert not (tmp_path / "dest").exists()


def test_truncated_cabinet_is_a_clear_error(tmp_path):
    data = (CABS / "multi-folder.cab").read_bytes()
    path = tmp_path / "cut.cab"
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(InputError, match=r"cut\.cab: truncated cabinet"):
        extract_cabinet(path, tmp_path / "dest")
    assert not (tmp_path / "dest").exists()


def test_corrupt_data_leaves_nothing(tmp_path):
    data = bytearray((CABS / "unsigned.cab").read_bytes())
    data[-50] ^= 0xFF  # inside the MSZIP stream (the CFDATA checksum catches it)
    path = tmp_path / "bad.cab"
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="bad.cab: corrupt cabinet data"):
        extract_cabinet(path, tmp_path / "dest")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.cab"]


def test_non_empty_destination_is_refused(tmp_path):
    (tmp_path / "dest").mkdir()
    (tmp_path / "dest" / "keep.txt").write_text("mine")
    from hfstage.errors import UsageError

    with pytest.raises(UsageError, match="not empty"):
        extract_cabinet(CABS / "unsigned.cab", tmp_path / "dest")
    assert (tmp_path / "dest" / "keep.txt").read_text() == "mine"


def test_cli_list_and_extract(run, tmp_path):
    code, out, _ = run("cab", "list", CABS / "multi-folder.cab")
    assert code == 0 and "data/mssecure.xml" in out and "lzx" in out
    code, out, _ = run("cab", "extract", CABS / "multi-folder.cab", tmp_path / "o")
    assert code == 0 and "extracted 3 files" in out
    code, _, err = run("cab", "extract", CABS / "traversal-dotdot.cab", tmp_path / "p")
    assert code == 3 and "refusing member '..\\evil.txt': parent-folder ('..') component" in err
