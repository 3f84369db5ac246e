"""Test-only cabinet writer for what gcab cannot make: several folders, LZX folders,
a reserve area without a signature, and member names no sane tool would write.

LZX folders are written as LZX *uncompressed* blocks (a legal LZX stream that needs no
compressor); make_cabs.sh checks every output with cabextract, an independent reader.
Usage: python cabwriter.py OUT.cab [--reserve N] [--name NAME] FOLDER_SPEC...
  FOLDER_SPEC = KIND:FILE[,FILE...]  with KIND none | mszip | lzx; FILE=path[=member-name]
"""

from __future__ import annotations

import argparse
import struct
import zlib
from pathlib import Path

BLOCK = 32768


def _mszip_blocks(data: bytes) -> list[tuple[bytes, int]]:
    out, history = [], b""
    for i in range(0, len(data), BLOCK):
        chunk = data[i:i + BLOCK]
        comp = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=history) if history else \
            zlib.compressobj(9, zlib.DEFLATED, -15)
        out.append((b"CK" + comp.compress(chunk) + comp.flush(), len(chunk)))
        history = chunk
    return out or [(b"CK\x03\x00", 0)]


def _lzx_uncompressed(data: bytes) -> list[tuple[bytes, int]]:
    if len(data) > BLOCK:
        raise SystemExit("lzx folder data must fit one 32 KiB frame in this writer")
    # Bits (MSB first in 16-bit little-endian words): E8 flag 0, block type 3,
    # 24-bit block length; then padding to the next 16-bit boundary.
    bits = "0" + "011" + format(len(data), "024b")  # 28 bits: 4 bits of padding follow
    bits += "0" * (-len(bits) % 16)
    words = [int(bits[i:i + 16], 2) for i in range(0, len(bits), 16)]
    head = b"".join(struct.pack("<H", w) for w in words)
    body = head + struct.pack("<III", 1, 1, 1) + data + (b"\0" if len(data) % 2 else b"")
    return [(body, len(data))]


def _csum(data: bytes, seed: int = 0) -> int:
    csum = seed
    n = len(data) // 4
    for (word,) in struct.iter_unpack("<I", data[:n * 4]):
        csum ^= word
    tail = data[n * 4:]
    value = 0
    for b in tail:
        value = (value << 8) | b
    return csum ^ value


def write_cab(out: Path, folders: list[tuple[str, list[tuple[bytes, str]]]], reserve: int = 0) -> None:
    kinds = {"none": 0, "mszip": 1, "lzx": 0x0F03}
    files = []  # (name, size, uoff, folder index)
    folder_blocks = []
    for index, (kind, members) in enumerate(folders):
        data = b""
        for content, name in members:
            files.append((name, len(content), len(data), index))
            data += content
        if kind == "none":
            blocks = [(data[i:i + BLOCK], len(data[i:i + BLOCK])) for i in range(0, len(data), BLOCK)]
        elif kind == "mszip":
            blocks = _mszip_blocks(data)
        else:
            blocks = _lzx_uncompressed(data)
        folder_blocks.append((kinds[kind], blocks))
    header_size = 36 + (4 + reserve if reserve else 0)
    folders_size = 8 * len(folders)
    names = [n.encode("utf-8") + b"\0" for n, *_ in files]
    files_offset = header_size + folders_size
    files_size = sum(16 + len(n) for n in names)
    data_offset = files_offset + files_size
    folder_recs, data_blob = b"", b""
    for type_compress, blocks in folder_blocks:
        folder_recs += struct.pack("<IHH", data_offset + len(data_blob), len(blocks), type_compress)
        for comp, uncomp in blocks:
            csum = _csum(struct.pack("<HH", len(comp), uncomp), _csum(comp))
            data_blob += struct.pack("<IHH", csum, len(comp), uncomp) + comp
    file_recs = b""
    for (name, size, uoff, index), raw in zip(files, names, strict=True):
        utf = 0x80 if any(ord(c) > 127 for c in name) else 0
        file_recs += struct.pack("<IIHHHH", size, uoff, index, 0x5921, 0x6000, 0x20 | utf) + raw
    total = data_offset + len(data_blob)
    flags = 0x0004 if reserve else 0
    head = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, files_offset, 0, 3, 1,
                       len(folders), len(files), flags, 0x1234, 0)
    if reserve:
        head += struct.pack("<HBB", reserve, 0, 0) + b"\0" * reserve
    out.write_bytes(head + folder_recs + file_recs + data_blob)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--reserve", type=int, default=0)
    ap.add_argument("folders", nargs="+")
    args = ap.parse_args()
    folders = []
    for spec in args.folders:
        kind, _, items = spec.partition(":")
        members = []
        for item in items.split(","):
            path, _, name = item.partition("=")
            members.append((Path(path).read_bytes(), name or Path(path).name))
        folders.append((kind, members))
    write_cab(args.out, folders, args.reserve)


if __name__ == "__main__":
    main()
