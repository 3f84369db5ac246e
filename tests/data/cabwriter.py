"""Test-only cabinet writer for what gcab cannot make: several folders, LZX and Quantum
folders, a reserve area without a signature, member names in an 8-bit code page (bytes,
without the UTF-8 attribute) and names no sane tool would write.

LZX folders are written as LZX *uncompressed* blocks (a legal LZX stream that needs no
compressor); Quantum folders by quantum_encoder.py; a folder whose members are all empty
gets no data block, as gcab writes it. make_cabs.sh and make_cab_classes.py check every
output with cabextract, an independent reader.
Usage: python cabwriter.py OUT.cab [--reserve N] FOLDER_SPEC...
  FOLDER_SPEC = KIND:FILE[,FILE...]  with KIND none | mszip | lzx | quantumBITS (window 2^BITS,
  10-21); FILE=path[=member-name]
"""

from __future__ import annotations

import argparse
import re
import struct
import sys
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from quantum_encoder import encode as quantum_encode  # noqa: E402

BLOCK = 32768
UTF8_NAME = 0x80  # _A_NAME_IS_UTF
ARCHIVE = 0x20


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


def _type_compress(kind: str) -> int:
    quantum = re.fullmatch(r"quantum(\d+)", kind)
    if quantum:
        return 0x0002 | (4 << 4) | (int(quantum.group(1)) << 8)  # level 4 (unused by readers), window
    return {"none": 0, "mszip": 1, "lzx": 0x0F03}[kind]


def _blocks(kind: str, data: bytes) -> list[tuple[bytes, int]]:
    if not data:
        return []
    if kind == "none":
        return [(data[i:i + BLOCK], len(data[i:i + BLOCK])) for i in range(0, len(data), BLOCK)]
    if kind == "mszip":
        return _mszip_blocks(data)
    if kind == "lzx":
        return _lzx_uncompressed(data)
    return quantum_encode(data, _type_compress(kind) >> 8)


def _name_record(name: str | bytes, utf8: bool | None) -> tuple[bytes, int]:
    """The CFFILE name bytes and attributes: str names are UTF-8 (flagged when not ASCII);
    bytes go in unchanged, flagged only when UTF8 says so."""
    raw = name.encode("utf-8") if isinstance(name, str) else name
    if utf8 is None:
        utf8 = isinstance(name, str) and not name.isascii()
    return raw + b"\0", ARCHIVE | (UTF8_NAME if utf8 else 0)


def write_cab(out: Path, folders: list[tuple[str, list[tuple]]], reserve: int = 0,
              folder_reserve: int = 0, data_reserve: int = 0) -> None:
    """FOLDERS: (kind, members); a member is (content, name) or (content, name, utf8 flag).
    RESERVE, FOLDER_RESERVE, DATA_RESERVE: zero bytes reserved in CFHEADER, each CFFOLDER, each CFDATA."""
    files = []  # (name record, attributes, size, uoff, folder index)
    folder_blocks = []
    for index, (kind, members) in enumerate(folders):
        data = b""
        for content, name, *flag in members:
            raw, attribs = _name_record(name, flag[0] if flag else None)
            files.append((raw, attribs, len(content), len(data), index))
            data += content
        folder_blocks.append((_type_compress(kind), _blocks(kind, data)))
    reserved = bool(reserve or folder_reserve or data_reserve)
    header_size = 36 + (4 + reserve if reserved else 0)
    files_offset = header_size + (8 + folder_reserve) * len(folders)
    data_offset = files_offset + sum(16 + len(raw) for raw, *_ in files)
    folder_recs, data_blob = b"", b""
    for type_compress, blocks in folder_blocks:
        folder_recs += struct.pack("<IHH", data_offset + len(data_blob), len(blocks), type_compress)
        folder_recs += b"\0" * folder_reserve
        for comp, uncomp in blocks:
            csum = _csum(struct.pack("<HH", len(comp), uncomp), _csum(comp))  # the reserve is not summed
            data_blob += struct.pack("<IHH", csum, len(comp), uncomp) + b"\xa5" * data_reserve + comp
    file_recs = b"".join(struct.pack("<IIHHHH", size, uoff, index, 0x5921, 0x6000, attribs) + raw
                         for raw, attribs, size, uoff, index in files)
    total = data_offset + len(data_blob)
    head = struct.pack("<4sIIIIIBBHHHHH", b"MSCF", 0, total, 0, files_offset, 0, 3, 1,
                       len(folders), len(files), 0x0004 if reserved else 0, 0x1234, 0)
    if reserved:
        head += struct.pack("<HBB", reserve, folder_reserve, data_reserve) + b"\0" * reserve
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
