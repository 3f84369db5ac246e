"""A hive that names the same lists and records again and again is refused before it is walked.

The story (review finding 1): a client's 540 KB SOFTWARE hive whose root key's subkey list is an `ri`
index of 65,535 entries, each naming one inner `ri` of 65,535 entries naming the real list, lists 4.3
billion subkeys; python-registry follows every entry and `hfstage facts` / `hfstage inventory` ran for
hours, because the cycle check looked only at key offsets. The class: any list, key or value record a
hostile hive names more than once, a list whose declared count overruns its cell, an index inside an
index. In a real hive every record has one owner, so each is reached once per hive; the records reached
may not outnumber what the file can hold. These tests check the structure, never the clock.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from Registry import Registry

from hfstage.inventory import gather_facts
from tests.conftest import DATA

SOURCE = DATA / "inventory" / "W2KSRV" / "SOFTWARE"
CURRENT_VERSION = "Microsoft\\Windows NT\\CurrentVersion"


def _cell(payload: bytes) -> bytes:
    size = (len(payload) + 4 + 7) // 8 * 8
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))


def _append_bin(data: bytearray, payloads: list[bytes]) -> list[int]:
    """PAYLOADS as cells in a new hbin at the end of DATA (header fixed up); their hbin-relative offsets."""
    bins = struct.unpack_from("<I", data, 0x28)[0]
    at, body, offsets = bins + 0x20, b"", []
    for payload in payloads:
        offsets.append(at + len(body))
        body += _cell(payload)
    total = (0x20 + len(body) + 0xFFF) // 0x1000 * 0x1000
    free = total - 0x20 - len(body)
    body += struct.pack("<i", free) + b"\0" * (free - 4)
    data += b"hbin" + struct.pack("<II", bins, total) + b"\0" * 20 + body
    struct.pack_into("<I", data, 0x28, bins + total)
    return offsets


def _checksum(data: bytearray) -> bytes:
    checksum = 0
    for i in range(0, 0x1FC, 4):
        checksum ^= struct.unpack_from("<I", data, i)[0]
    struct.pack_into("<I", data, 0x1FC, checksum)
    return bytes(data)


def _nk(data: bytes, path: str = "") -> int:
    """The buffer offset of the nk record of key PATH (python-registry finds it in the untouched hive)."""
    import io

    root = Registry.Registry(io.BytesIO(data)).root()
    return (root.find_key(path) if path else root)._nkrecord.offset()


def _shared_index_hive(source: Path, target: Path, fan_out: int = 65535) -> None:
    """SOURCE's hive with its root key's subkey list replaced by an `ri` index of FAN_OUT entries, each naming
    one inner `ri` of FAN_OUT entries, each naming the root's real subkey list: 540 KB that list 4.3 billion
    subkeys (the hive form of issue 22's cabinet whose folders share one run of data blocks)."""
    data = bytearray(source.read_bytes())
    nk = _nk(data)
    real_list = struct.unpack_from("<I", data, nk + 0x1C)[0]
    inner_at = struct.unpack_from("<I", data, 0x28)[0] + 0x20
    inner = b"ri" + struct.pack("<H", fan_out) + struct.pack("<I", real_list) * fan_out
    _, outer_at = _append_bin(data, [inner, b"ri" + struct.pack("<H", fan_out) + struct.pack("<I", inner_at) * fan_out])
    struct.pack_into("<I", data, nk + 0x1C, outer_at)
    target.write_bytes(_checksum(data))


def _machine(tmp_path: Path, software: bytes) -> Path:
    machine = tmp_path / "W2KSRV"
    shutil.copytree(DATA / "inventory" / "W2KSRV", machine)
    (machine / "SOFTWARE").write_bytes(software)
    return machine


def test_hive_whose_subkey_index_lists_share_one_list_is_refused_not_walked_for_hours(tmp_path):
    """The reviewer's hive: `hfstage facts` still walking it after 120 s; now refused at once, naming the file."""
    machine = tmp_path / "W2KSRV"
    shutil.copytree(DATA / "inventory" / "W2KSRV", machine)
    _shared_index_hive(SOURCE, machine / "SOFTWARE")
    try:
        done = subprocess.run([sys.executable, "-m", "hfstage", "facts", str(machine)], capture_output=True,
                              text=True, timeout=120)
    except subprocess.TimeoutExpired:
        pytest.fail("hfstage facts still walking the hive's shared subkey index after 120 s")
    assert done.returncode == 3 and "SOFTWARE" in done.stderr, done.stderr
    assert "damaged hive" in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def _index_naming_one_list_twice(data: bytearray) -> bytes:
    """The root's subkey list wrapped in an `ri` of two entries that both name it: every key listed twice."""
    nk = _nk(data)
    real_list = struct.unpack_from("<I", data, nk + 0x1C)[0]
    (index,) = _append_bin(data, [b"ri" + struct.pack("<H", 2) + struct.pack("<I", real_list) * 2])
    struct.pack_into("<I", data, nk + 0x1C, index)
    return _checksum(data)


def _index_inside_index(data: bytearray) -> bytes:
    """The root's subkey list behind two levels of `ri` (one entry each): no hive Windows writes has that."""
    nk = _nk(data)
    real_list = struct.unpack_from("<I", data, nk + 0x1C)[0]
    inner_at = struct.unpack_from("<I", data, 0x28)[0] + 0x20
    _, outer = _append_bin(data, [b"ri" + struct.pack("<HI", 1, real_list), b"ri" + struct.pack("<HI", 1, inner_at)])
    struct.pack_into("<I", data, nk + 0x1C, outer)
    return _checksum(data)


def _values_naming_one_record(data: bytearray, count: int = 200_000) -> bytes:
    """CurrentVersion's value count raised to COUNT, its new list naming its first value record COUNT times."""
    nk = _nk(data, CURRENT_VERSION)
    first = struct.unpack_from("<I", data, 0x1000 + struct.unpack_from("<I", data, nk + 0x28)[0] + 4)[0]
    (values,) = _append_bin(data, [struct.pack("<I", first) * count])
    struct.pack_into("<II", data, nk + 0x24, count, values)
    return _checksum(data)


def _count_beyond_its_cell(data: bytearray) -> bytes:
    """CurrentVersion declares 2^32 - 2 values; its value list's cell holds a handful."""
    nk = _nk(data, CURRENT_VERSION)
    struct.pack_into("<I", data, nk + 0x24, 0xFFFFFFFE)
    return _checksum(data)


def _two_parents(data: bytearray) -> bytes:
    """Two keys share one subkey list: `Windows NT` lists the children of its sibling `Windows`."""
    windows, nt = _nk(data, "Microsoft\\Windows"), _nk(data, "Microsoft\\Windows NT")
    data[nt + 0x14:nt + 0x20] = data[windows + 0x14:windows + 0x20]  # counts and list pointer
    return _checksum(data)


@pytest.mark.parametrize("attack, words", [
    (_index_naming_one_list_twice, "named twice"),
    (_index_inside_index, "inside an `ri` index"),
    (_values_naming_one_record, "named twice"),
    (_count_beyond_its_cell, "more than its cell"),
    (_two_parents, "named twice"),
])
def test_a_hive_naming_a_record_more_than_once_is_one_error_row(tmp_path, attack, words):
    """Each member of the class is one error row naming the hive and what is wrong, reached without a walk."""
    machine = _machine(tmp_path, attack(bytearray(SOURCE.read_bytes())))
    facts = gather_facts(machine)
    assert facts.error and facts.error.startswith(str(machine / "SOFTWARE")), facts.error
    assert words in facts.error and "\n" not in facts.error, facts.error


def test_a_real_hive_reads_as_before(tmp_path):
    """The bounds refuse nothing in a genuine hive: the demo's W2KSRV reads, with its version and products."""
    facts = gather_facts(_machine(tmp_path, SOURCE.read_bytes()))
    assert facts.error is None and facts.version == "5.0" and facts.build, facts
