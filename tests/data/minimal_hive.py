"""Write an empty REGF hive (base block, one hbin, a root key and its security cell).

hivex cannot create a hive from nothing, only edit one; this writes the smallest valid
starting point. make_hives.sh then fills it with `hivexregedit --merge` (hivex does
all the real writing) and reads every result back with hivexsh.
Usage: python minimal_hive.py OUT [ROOT-NAME]
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

FILETIME_2003 = 127_000_000_000_000_000  # a fixed last-write time: 2003-06-12
HBIN_SIZE = 4096


def _cell(payload: bytes) -> bytes:
    size = (len(payload) + 4 + 7) & ~7
    return struct.pack("<i", -size) + payload + b"\0" * (size - 4 - len(payload))


def minimal_hive(root_name: str = "ROOT") -> bytes:
    # Security descriptor: revision 1, self-relative, no owner/group/DACL/SACL.
    descriptor = struct.pack("<BBHIIII", 1, 0, 0x8000, 0, 0, 0, 0)
    nk_offset = 0x20  # first cell of the first hbin (offsets are relative to 4096)
    name = root_name.encode("ascii")
    # nk: signature, flags (hive entry | no delete | compressed name), last write, access
    # bits, parent, subkey counts and list, value count and list, security cell, class,
    # four maxima, work var, name length, class length, name.
    nk_size = (4 + 76 + len(name) + 7) & ~7
    sk_offset = nk_offset + nk_size
    nk = struct.pack("<2sHQ15IHH", b"nk", 0x2C, FILETIME_2003, 0, 0, 0, 0, 0xFFFFFFFF, 0xFFFFFFFF,
                     0, 0xFFFFFFFF, sk_offset, 0xFFFFFFFF, 0, 0, 0, 0, 0, len(name), 0) + name
    nk_cell = _cell(nk)
    sk = struct.pack("<2sHIIII", b"sk", 0, sk_offset, sk_offset, 1, len(descriptor)) + descriptor
    cells = nk_cell + _cell(sk)
    free = HBIN_SIZE - 0x20 - len(cells)
    hbin = struct.pack("<4sIIIIQI", b"hbin", 0, HBIN_SIZE, 0, 0, FILETIME_2003, 0) + cells \
        + struct.pack("<i", free) + b"\0" * (free - 4)
    base = bytearray(4096)
    struct.pack_into("<4sIIQIIIIIII", base, 0, b"regf", 1, 1, FILETIME_2003, 1, 3, 0, 1,
                     nk_offset, HBIN_SIZE, 1)
    checksum = 0
    for (word,) in struct.iter_unpack("<I", bytes(base[:508])):
        checksum ^= word
    struct.pack_into("<I", base, 508, checksum)
    return bytes(base) + hbin


if __name__ == "__main__":
    Path(sys.argv[1]).write_bytes(minimal_hive(sys.argv[2] if len(sys.argv) > 2 else "ROOT"))
