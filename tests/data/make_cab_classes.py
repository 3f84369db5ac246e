"""Build tests/data/cabs/classes: one or more cabinets for each kind of valid cabinet that
hfstage once refused (issue 20, section 7), and the unsafe and damaged neighbours of each.

  empty-*      folders whose members are all empty (no CFDATA block), from gcab and by hand
  name255-*    255-byte member names, the longest a cabinet holds
  cp-*         names in an 8-bit code page without _A_NAME_IS_UTF (KOI8-R, cp866, cp1252,
               Shift-JIS), and UTF-8 names with it
  quantum-*    Quantum folders (tests/data/quantum_encoder.py), windows of 2^10 to 2^21
  mixed-all    stored, MSZIP, LZX and Quantum folders in one cabinet (reserve-all: with
               reserved bytes in CFHEADER, every CFFOLDER and every CFDATA)
  unsafe-*     valid cabinets whose names a Windows share cannot hold ('?' in a KOI8 name)
  damaged-*    a name of 256 bytes; a name marked UTF-8 whose bytes are KOI8 (gcab writes
               that from a KOI8 file name)

gcab makes what it can (empty files, long and UTF-8 names, MSZIP); tests/data/cabwriter.py
the rest. Every valid cabinet is extracted with cabextract and compared with its sources.
Usage: python tests/data/make_cab_classes.py   (needs gcab and cabextract)
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
OUT = HERE / "cabs" / "classes"
sys.path.insert(0, str(HERE))
from cabwriter import write_cab  # noqa: E402

STAMP = 867_000_000  # 1997-06-22: what gcab records as the members' date


def text(seed: int, size: int) -> bytes:
    """Compressible, catalog-like text that is not all repeats."""
    rng = random.Random(seed)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9))) for _ in range(400)]
    out = bytearray()
    while len(out) < size:
        out += b"<Patch Q%06d Name=\"" % rng.randint(0, 999999) + b" ".join(rng.choices(words, k=6)) + b"\"/>\r\n"
    return bytes(out[:size])


def gcab(out: Path, files: dict[bytes, bytes], compress: bool) -> None:
    """gcab -c [-z] OUT with FILES (name bytes -> content) written to a scratch folder first."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, content in files.items():
            path = os.path.join(os.fsencode(tmp), name)
            Path(os.fsdecode(path)).write_bytes(content)
            os.utime(path, (STAMP, STAMP))
        args = ["gcab", "-c"] + (["-z"] if compress else []) + [str(out.resolve())]
        subprocess.run(args + [os.fsdecode(n) for n in files], cwd=tmp, check=True)


RESERVES = {"reserve-all.cab": {"reserve": 20, "folder_reserve": 3, "data_reserve": 5}}


def hand_made() -> dict[str, list]:
    """Cabinets for cabwriter: file name -> folders (and RESERVES' extra arguments)."""
    xml = (HERE.parent.parent / "tools/hfstage/data/examples/catalog/month1.xml").read_bytes()
    long_dir = "Setup\\" + "L" * 245 + ".txt"  # 255 bytes with the folder
    long_utf8 = "Д" * 127 + "x"  # 255 bytes of UTF-8 in 128 characters
    return {
        "empty-folders.cab": [
            ("none", [(b"", "empty-stored-1.txt"), (b"", "empty-stored-2.txt")]),
            ("mszip", [(text(1, 5000), "data\\mszip.txt")]),
            ("quantum16", [(b"", "empty-quantum.txt")]),
            ("lzx", [(b"", "empty-lzx.txt")]),
        ],
        "name255-path.cab": [("mszip", [(text(2, 3000), long_dir), (b"short\r\n", long_utf8)])],
        "cp-koi8.cab": [("mszip", [
            (text(3, 4000), "Документы\\Отчёт за 1998 год.txt".encode("koi8-r"), False),
            (b"koi8\r\n", "Привет.txt".encode("koi8-r"), False),
            (b"ascii\r\n", "readme.txt")])],
        "cp-cp866.cab": [("none", [(text(4, 2000), "ПРОЧТИ МЕНЯ.TXT".encode("cp866"), False),
                                   (b"oem\r\n", "Сетевые\\диски.ini".encode("cp866"), False)])],
        "cp-cp1252.cab": [("quantum16", [(text(5, 9000), "Résumé – Übersicht.txt".encode("cp1252"), False)])],
        "cp-shift-jis.cab": [("mszip", [(text(6, 2500), "日本語のファイル.txt".encode("shift_jis"), False)])],
        "cp-utf8-flagged.cab": [("lzx", [(b"utf-8 in an LZX folder\r\n", "Привет мир.txt"),
                                         (b"cjk\r\n", "中文\\文件.txt")])],
        "quantum-window16.cab": [("quantum16", [(xml, "mssecure.xml"), (text(7, 70000), "bulk\\patches.txt"),
                                                (b"tail\r\n", "bulk\\tail.txt")])],
        "quantum-window10.cab": [("quantum10", [(text(8, 40000), "small-window.txt")])],
        "quantum-window21.cab": [("quantum21", [(text(9, 50000) * 2 + text(10, 20000), "far-matches.txt")])],
        "mixed-all.cab": [("none", [(b"stored\r\n", "stored.txt")]), ("mszip", [(text(11, 6000), "mszip.txt")]),
                          ("lzx", [(text(12, 6000), "lzx.txt")]), ("quantum15", [(text(13, 6000), "quantum.txt")])],
        "reserve-all.cab": [("none", [(b"stored\r\n", "stored.txt")]), ("mszip", [(text(16, 40000), "mszip.txt")]),
                            ("lzx", [(text(17, 6000), "lzx.txt")]), ("quantum15", [(text(18, 40000), "quantum.txt")]),
                            ("none", [(b"", "empty.txt")])],
        "unsafe-koi8-question.cab": [("none", [(b"q\r\n", "Это канал?".encode("koi8-r"), False)])],
        "damaged-name256.cab": [("none", [(b"x\r\n", "N" * 252 + ".txt")])],
    }


def gcab_made() -> dict[str, tuple[dict[bytes, bytes], bool]]:
    return {
        "empty-gcab.cab": ({b"empty1.txt": b"", b"empty2.txt": b""}, False),
        "empty-gcab-mszip.cab": ({b"empty.txt": b""}, True),
        "empty-gcab-mixed.cab": ({b"a-empty.txt": b"", b"b-full.txt": text(14, 3000), b"c-empty.txt": b""}, True),
        "name255-gcab.cab": ({b"G" * 251 + b".txt": text(15, 1000)}, True),
        "cp-utf8-gcab.cab": ({"Привет.txt".encode(): b"gcab utf-8\r\n", "Übersicht.txt".encode(): b"u\r\n"}, True),
        "damaged-utf8-flag-on-koi8-gcab.cab": ({"Привет.txt".encode("koi8-r"): b"koi8 under the UTF-8 flag\r\n"},
                                               True),
    }


CABEXTRACT_REFUSES = {"damaged-name256.cab"}
CABEXTRACT_RENAMES = {"damaged-utf8-flag-on-koi8-gcab.cab"}  # it writes U+FFFD for the invalid bytes


def cabextract_tree(cab: Path) -> dict[bytes, bytes] | None:
    """{path bytes: content} as cabextract extracts CAB, or None when it fails."""
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(["cabextract", "-q", "-d", tmp, str(cab)], capture_output=True)
        if run.returncode:
            return None
        root = os.fsencode(tmp)
        return {os.path.relpath(os.path.join(d, f), root): Path(os.fsdecode(os.path.join(d, f))).read_bytes()
                for d, _, names in os.walk(root) for f in names}


def expected_tree(members) -> dict[bytes, bytes]:
    """What cabextract writes: the name's bytes (UTF-8 for str names), \\ turned into /."""
    return {(n.encode() if isinstance(n, str) else n).replace(b"\\", b"/"): content for content, n, *_ in members}


def check(cab: Path, expected: dict[bytes, bytes]) -> None:
    tree = cabextract_tree(cab)
    if cab.name in CABEXTRACT_REFUSES:
        if tree is not None:
            raise SystemExit(f"{cab}: cabextract should refuse it")
    elif tree is None or (cab.name not in CABEXTRACT_RENAMES and tree != expected):
        raise SystemExit(f"{cab}: cabextract does not extract what was written")


def main() -> None:
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir(parents=True)
    expected = {}
    for name, folders in hand_made().items():
        write_cab(OUT / name, folders, **RESERVES.get(name, {}))
        expected[name] = expected_tree([m for _, members in folders for m in members])
    for name, (files, compress) in gcab_made().items():
        gcab(OUT / name, files, compress)
        expected[name] = files
    for name in sorted(expected):
        check(OUT / name, expected[name])
        print(f"{(OUT / name).stat().st_size:8d}  {name}")


if __name__ == "__main__":
    main()
