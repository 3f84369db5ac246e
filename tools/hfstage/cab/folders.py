"""A folder's data: its CFDATA blocks checked and decompressed, up to the bytes its members need.

Stored, MSZIP (zlib) and Quantum (quantum.py) folders are decoded here in Python; LZX goes
through the system libarchive, handed a one-member cabinet made of the folder's own blocks,
so that names, sizes and paths are decided by hfstage alone. A folder whose members are all
empty needs no block at all: gcab writes such folders with none, and cabextract reads them.
Like cabextract, only the blocks up to the last byte a member uses are read.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator

from hfstage.cab.quantum import QuantumError, decode_folder
from hfstage.cab.structures import CFDATA, CFFILE, CFFOLDER, CFHEADER, CabFolder, DataBlock
from hfstage.errors import InputError, UnsupportedError

MSZIP_SIGNATURE = b"CK"
MSZIP_HISTORY = 32768  # deflate's window: a block may refer to the 32 KiB before it


def checksum(data: bytes | memoryview, seed: int = 0) -> int:
    """MS-CAB's CFDATA checksum: the XOR of the little-endian 32-bit words, the 1-3 bytes left
    over taken big-endian (the format's quirk). The words are folded as one integer, half onto
    half, which runs in C rather than a Python loop per word."""
    whole = len(data) & ~3
    value, bits = int.from_bytes(data[:whole], "little"), whole * 8
    while bits > 32:
        keep = ((bits // 32 + 1) // 2) * 32
        value = (value >> keep) ^ (value & ((1 << keep) - 1))
        bits = keep
    return seed ^ value ^ int.from_bytes(data[whole:], "big")


def folder_data(buf: bytes, folder: CabFolder, needed: int, source: str) -> bytes:
    """The first NEEDED bytes of FOLDER in the cabinet BUF; InputError names the folder and block."""
    if needed <= 0:
        return b""
    decode = _DECODERS[folder.compression]
    where = f"{source}: corrupt cabinet data: folder {folder.index} ({folder.compression})"
    try:
        data = decode(buf, folder, needed)
    except (zlib.error, QuantumError, _BlockError) as e:
        raise InputError(f"{where}: {e}") from e
    if len(data) < needed:
        raise InputError(f"{where} decompressed to {len(data)} bytes, its members need {needed}")
    return data if len(data) == needed else data[:needed]


class _BlockError(Exception):
    """A data block is damaged; folder_data adds the cabinet and the folder."""


def _payloads(buf: bytes, folder: CabFolder, needed: int) -> Iterator[tuple[int, DataBlock, memoryview]]:
    """(index, block, payload) of each block up to the one holding byte NEEDED - 1, checksums checked."""
    view, produced = memoryview(buf), 0
    for index, block in enumerate(folder.blocks):
        if produced >= needed:
            return
        payload = view[block.offset:block.offset + block.packed]
        if block.checksum:
            actual = checksum(CFDATA.pack(0, block.packed, block.unpacked)[4:], checksum(payload))
            if actual != block.checksum:
                raise _BlockError(f"data block {index} at 0x{block.offset:x} fails its checksum "
                                  f"(expected 0x{block.checksum:08x}, got 0x{actual:08x})")
        yield index, block, payload
        produced += block.unpacked


def _stored(buf: bytes, folder: CabFolder, needed: int) -> bytes:
    chunks = []
    for index, block, payload in _payloads(buf, folder, needed):
        if block.packed != block.unpacked:
            raise _BlockError(f"stored data block {index} holds {block.packed} bytes but says {block.unpacked}")
        chunks.append(payload)
    return b"".join(chunks)


def _mszip(buf: bytes, folder: CabFolder, needed: int) -> bytes:
    """MSZIP: each block is 'CK' and a raw deflate stream that may refer to the previous 32 KiB."""
    chunks: list[bytes] = []
    history = b""
    for index, block, payload in _payloads(buf, folder, needed):
        if payload[:2] != MSZIP_SIGNATURE:
            raise _BlockError(f"data block {index} at 0x{block.offset:x} does not start with MSZIP's 'CK'")
        inflate = zlib.decompressobj(-zlib.MAX_WBITS, zdict=history) if history else \
            zlib.decompressobj(-zlib.MAX_WBITS)
        chunk = inflate.decompress(payload[2:], block.unpacked)
        if inflate.unconsumed_tail or len(chunk) != block.unpacked:
            raise _BlockError(f"data block {index} at 0x{block.offset:x} does not inflate to the "
                              f"{block.unpacked} bytes it declares")
        chunks.append(chunk)
        # blocks hold 32 KiB but for the last: a shorter one keeps the end of the one before
        history = chunk if len(chunk) >= MSZIP_HISTORY else (history + chunk)[-MSZIP_HISTORY:]
    return b"".join(chunks)


def _quantum(buf: bytes, folder: CabFolder, needed: int) -> bytes:
    payloads = [bytes(payload) for _, _, payload in _payloads(buf, folder, needed)]
    return decode_folder(payloads, folder.window_bits, needed)


def _lzx(buf: bytes, folder: CabFolder, needed: int) -> bytes:
    """LZX through libarchive, over a cabinet of one member covering the folder's first NEEDED bytes."""
    libarchive = _libarchive()
    payloads = [(block, bytes(payload)) for _, block, payload in _payloads(buf, folder, needed)]
    chunks, size = [], 0
    try:
        with libarchive.memory_reader(_one_member_cabinet(folder, payloads, needed), format_name="cab") as archive:
            for entry in archive:
                for chunk in entry.get_blocks():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > needed:
                        raise _BlockError("LZX data expands past the folder's declared size")
    except libarchive.ArchiveError as e:
        raise _BlockError(f"LZX data is corrupt: {getattr(e, 'msg', e)}") from e
    return b"".join(chunks)


def _one_member_cabinet(folder: CabFolder, payloads: list[tuple[DataBlock, bytes]], size: int) -> bytes:
    """A minimal cabinet: FOLDER's compression and blocks (checksums already checked), one member of SIZE bytes."""
    name = b"folder\0"
    files_at = CFHEADER.size + CFFOLDER.size
    data_at = files_at + CFFILE.size + len(name)
    blocks = b"".join(CFDATA.pack(0, len(p), b.unpacked) + p for b, p in payloads)
    header = CFHEADER.pack(b"MSCF", 0, data_at + len(blocks), 0, files_at, 0, 3, 1, 1, 1, 0, 0, 0)
    return (header + CFFOLDER.pack(data_at, len(payloads), folder.type_compress)
            + CFFILE.pack(size, 0, 0, 0x0021, 0, 0x20) + name + blocks)


def _libarchive():
    try:
        import libarchive
    except (ImportError, OSError) as e:  # OSError: the shared library itself is missing
        raise UnsupportedError(
            "this cabinet uses LZX compression, which needs the system libarchive: install "
            "the Debian package libarchive13 (and the Python package libarchive-c)"
        ) from e
    return libarchive


_DECODERS: dict[str, Callable[[bytes, CabFolder, int], bytes]] = {
    "none": _stored, "mszip": _mszip, "quantum": _quantum, "lzx": _lzx,
}
