"""Compound files (OLE2) with the root CLSID of a Windows Installer package (.msi) and patch (.msp).

Only what hfstage reads is real: the header (magic, sector shift, first directory sector)
and the root directory entry with its CLSID; a FAT sector marks the sectors used.
"""

import struct
import uuid

SECTOR = 512
FREE, END, FATSECT = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD


def compound_file(clsid: str) -> bytes:
    header = bytearray(SECTOR)
    header[0:8] = bytes.fromhex("d0cf11e0a1b11ae1")
    struct.pack_into("<HHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9)  # minor, major version 3, byte order, shift 9
    struct.pack_into("<H", header, 0x20, 6)  # mini sector shift
    struct.pack_into("<III", header, 0x2C, 1, 1, 0)  # FAT sectors, first directory sector, transaction
    struct.pack_into("<IIIII", header, 0x38, 0x1000, END, 0, END, 0)  # mini cutoff, mini FAT, DIFAT start/count
    struct.pack_into("<I", header, 0x4C, 0)  # DIFAT[0]: the FAT is sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 0x4C + 4 * i, FREE)
    fat = bytearray(struct.pack("<II", FATSECT, END) + b"\xff" * (SECTOR - 8))
    directory = bytearray(SECTOR)
    name = "Root Entry".encode("utf-16-le") + b"\0\0"
    directory[0:len(name)] = name
    struct.pack_into("<HBB", directory, 0x40, len(name), 5, 1)  # name length, type root, black
    struct.pack_into("<III", directory, 0x44, FREE, FREE, FREE)  # siblings, child
    directory[0x50:0x60] = uuid.UUID(clsid).bytes_le
    struct.pack_into("<I", directory, 0x74, END)  # start sector of the (empty) mini stream
    for i in range(1, 4):  # unused entries
        struct.pack_into("<III", directory, i * 128 + 0x44, FREE, FREE, FREE)
    return bytes(header + fat + directory)


with open("sample.msi", "wb") as f:
    f.write(compound_file("000c1084-0000-0000-c000-000000000046"))
with open("sample.msp", "wb") as f:
    f.write(compound_file("000c1086-0000-0000-c000-000000000046"))
