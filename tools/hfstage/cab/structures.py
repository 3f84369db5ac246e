"""Cabinet on-disk structures (MS-CAB names), parsed with every offset bounds-checked.

Only the directory is parsed here (CFHEADER, abReserve, CFFOLDER, CFFILE and the CFDATA
headers); folders.py checks and decompresses the data blocks, names.py judges the names.
Work is bounded by the file's size before it is done: every CFFOLDER is read first, and the
data blocks they claim must fit in the file (each CFDATA header takes 8 bytes) and must not be
shared or overlap between folders, as no cabinet writer does; otherwise 65,535 folders naming
one run of 65,535 blocks would be 4 billion block headers to walk in a 1 MiB file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from hfstage.errors import InputError, UnsupportedError, q

CFHEADER = struct.Struct("<4sIIIIIBBHHHHH")  # signature .. iCabinet (36 bytes)
CFHEADER_RESERVE = struct.Struct("<HBB")  # cbCFHeader, cbCFFolder, cbCFData
CFFOLDER = struct.Struct("<IHH")  # coffCabStart, cCFData, typeCompress
CFFILE = struct.Struct("<IIHHHH")  # cbFile, uoffFolderStart, iFolder, date, time, attribs
CFDATA = struct.Struct("<IHH")  # csum, cbData, cbUncomp
# Authenticode's 20-byte abReserve: magic 0x00100000, signature offset, signature length.
SIGNATURE_RESERVE = struct.Struct("<III8x")

FLAG_PREV_CABINET = 0x0001
FLAG_NEXT_CABINET = 0x0002
FLAG_RESERVE_PRESENT = 0x0004
ATTRIB_NAME_IS_UTF = 0x80
SIGNATURE_RESERVE_MAGIC = 0x00100000
COMPRESSION_NAMES = {0: "none", 1: "mszip", 2: "quantum", 3: "lzx"}
# FDI's CB_MAX_FILENAME is 256 bytes with the NUL, so a name holds at most 255 (libmspack agrees).
MAX_NAME = 255
# What one CFDATA block may hold (libmspack's CAB_BLOCKMAX and CAB_INPUTMAX): 32 KiB of output
# from at most 32 KiB + 6 KiB of input; a block beyond either is damaged, not merely large.
MAX_BLOCK_OUTPUT = 32768
MAX_BLOCK_INPUT = 32768 + 6144


@dataclass(frozen=True)
class DataBlock:
    """One CFDATA block: its checksum, where its payload starts, and the payload's sizes."""

    checksum: int
    offset: int
    packed: int
    unpacked: int


@dataclass(frozen=True)
class CabFolder:
    """One CFFOLDER: where its data blocks start and how they are compressed."""

    index: int
    offset: int
    data_blocks: int
    compression: str
    compressed_size: int
    uncompressed_size: int
    type_compress: int = 0
    blocks: tuple[DataBlock, ...] = ()

    @property
    def window_bits(self) -> int:
        """Quantum's and LZX's window size, as a power of two (bits 8-12 of typeCompress)."""
        return (self.type_compress >> 8) & 0x1F


@dataclass(frozen=True)
class CabMember:
    """One CFFILE entry: a file's name (not yet judged safe) and where it lives.

    NAME is for people: UTF-8 when the attributes say so, else each byte as its Latin-1
    character; RAW_NAME keeps the bytes (names.py decides what reaches the disk).
    """

    name: str
    size: int
    folder: int
    folder_offset: int
    attributes: int
    date: int
    time: int
    raw_name: bytes = b""

    @property
    def utf8(self) -> bool:
        """The _A_NAME_IS_UTF attribute: the name is UTF-8, not the writer's 8-bit code page."""
        return bool(self.attributes & ATTRIB_NAME_IS_UTF)


@dataclass(frozen=True)
class SignatureLocation:
    """Where abReserve says the PKCS#7 SignedData blob sits."""

    offset: int
    length: int


@dataclass
class CabinetLayout:
    """The parsed directory of a cabinet."""

    size: int
    cabinet_size: int
    flags: int
    set_id: int
    reserve_header: bytes = b""
    folder_reserve: int = 0
    data_reserve: int = 0
    folders: list[CabFolder] = field(default_factory=list)
    members: list[CabMember] = field(default_factory=list)
    signature: SignatureLocation | None = None

    @property
    def has_reserve(self) -> bool:
        return bool(self.flags & FLAG_RESERVE_PRESENT)

    @property
    def uncompressed_size(self) -> int:
        return sum(f.uncompressed_size for f in self.folders)


def _unpack(fmt: struct.Struct, buf: bytes, offset: int, what: str, source: str) -> tuple:
    if offset < 0 or offset + fmt.size > len(buf):
        raise InputError(
            f"{source}: truncated cabinet: {what} at 0x{offset:x} needs {fmt.size} bytes, "
            f"file has {len(buf)}"
        )
    return fmt.unpack_from(buf, offset)


def _cstring(buf: bytes, offset: int, what: str, source: str) -> tuple[bytes, int]:
    end = buf.find(b"\0", offset, offset + MAX_NAME + 1)
    if end < 0 and offset + MAX_NAME + 1 > len(buf):
        raise InputError(f"{source}: truncated cabinet: {what} at 0x{offset:x} runs past the end of the file")
    if end < 0:
        raise InputError(f"{source}: {what} at 0x{offset:x} is longer than {MAX_NAME} bytes "
                         f"(no NUL within {MAX_NAME + 1})")
    return buf[offset:end], end + 1


def parse_layout(buf: bytes, source: str = "cabinet") -> CabinetLayout:
    """Parse the cabinet directory in BUF; SOURCE names the file in error messages."""
    (sig, _r1, cb_cabinet, _r2, coff_files, _r3, minor, major,
     n_folders, n_files, flags, set_id, i_cabinet) = _unpack(CFHEADER, buf, 0, "CFHEADER", source)
    if sig != b"MSCF":
        raise InputError(f"{source}: not a cabinet file (expected signature 'MSCF' at 0x0, got {q(sig)})")
    if (major, minor) != (1, 3):
        raise UnsupportedError(f"{source}: cabinet format version {major}.{minor} is not supported (expected 1.3)")
    if flags & (FLAG_PREV_CABINET | FLAG_NEXT_CABINET) or i_cabinet != 0:
        raise UnsupportedError(f"{source}: multi-volume (spanned) cabinets are not supported")
    if cb_cabinet > len(buf):
        raise InputError(f"{source}: truncated cabinet: header says {cb_cabinet} bytes, file has {len(buf)}")
    layout = CabinetLayout(size=len(buf), cabinet_size=cb_cabinet, flags=flags, set_id=set_id)
    offset = CFHEADER.size
    if flags & FLAG_RESERVE_PRESENT:
        cb_header, layout.folder_reserve, layout.data_reserve = _unpack(
            CFHEADER_RESERVE, buf, offset, "reserve sizes", source)
        offset += CFHEADER_RESERVE.size
        if offset + cb_header > len(buf):
            raise InputError(f"{source}: truncated cabinet: abReserve of {cb_header} bytes at 0x{offset:x}")
        layout.reserve_header = buf[offset:offset + cb_header]
        offset += cb_header
        layout.signature = _signature_location(layout.reserve_header, len(buf), source)
    headers = []
    for index in range(n_folders):
        headers.append(_unpack(CFFOLDER, buf, offset, f"CFFOLDER {index}", source))
        offset += CFFOLDER.size + layout.folder_reserve
    _check_block_claims(headers, len(buf), layout.data_reserve, source)
    for index, header in enumerate(headers):
        layout.folders.append(_parse_folder(buf, header, index, layout, source))
    _check_no_shared_blocks(layout.folders, source)
    offset = coff_files
    for _ in range(n_files):
        member, offset = _parse_member(buf, offset, layout, source)
        layout.members.append(member)
    return layout


def _signature_location(reserve: bytes, size: int, source: str) -> SignatureLocation | None:
    """The signature's place when abReserve is Authenticode's 20-byte block, else None."""
    if len(reserve) != SIGNATURE_RESERVE.size:
        return None
    magic, offset, length = SIGNATURE_RESERVE.unpack(reserve)
    if magic != SIGNATURE_RESERVE_MAGIC:
        return None
    if offset == 0 and length == 0:
        return None
    if offset + length > size or length == 0:
        raise InputError(
            f"{source}: signature block at 0x{offset:x} of {length} bytes runs past the end of "
            f"the file ({size} bytes): the cabinet is truncated"
        )
    return SignatureLocation(offset, length)


def _check_block_claims(headers: list[tuple], size: int, data_reserve: int, source: str) -> None:
    """Refuse, before walking them, more data blocks than the file could hold."""
    claimed = sum(n_blocks for _, n_blocks, _ in headers)
    if claimed * (CFDATA.size + data_reserve) > size:
        raise InputError(f"{source}: its {len(headers)} folders claim {claimed} data blocks, more than its {size} "
                         "bytes can hold: folders share or overlap their data (no cabinet writer does that)")


def _check_no_shared_blocks(folders: list[CabFolder], source: str) -> None:
    """Each byte of data belongs to one folder: shared or overlapping runs would decode the same bytes many times."""
    runs = sorted((f.offset, f.blocks[-1].offset + f.blocks[-1].packed, f.index)
                  for f in folders if f.blocks)
    for (_, end, first), (start, _, second) in zip(runs, runs[1:], strict=False):
        if start < end:
            raise InputError(f"{source}: folders {first} and {second} share or overlap data blocks "
                             "(no cabinet writer does that)")


def _parse_folder(buf: bytes, header: tuple, index: int, layout: CabinetLayout, source: str) -> CabFolder:
    start, n_blocks, type_compress = header
    kind = COMPRESSION_NAMES.get(type_compress & 0x000F)
    if kind is None:
        raise UnsupportedError(f"{source}: folder {index} uses unknown compression 0x{type_compress:04x}")
    blocks = []
    pos = start
    for block in range(n_blocks):
        csum, cb_data, cb_uncomp = _unpack(CFDATA, buf, pos, f"CFDATA {block} of folder {index}", source)
        payload = pos + CFDATA.size + layout.data_reserve
        pos = payload + cb_data
        if pos > len(buf):
            raise InputError(f"{source}: truncated cabinet: data block {block} of folder {index} ends past the file")
        if cb_uncomp > MAX_BLOCK_OUTPUT or cb_data > MAX_BLOCK_INPUT:
            raise InputError(
                f"{source}: data block {block} of folder {index} at 0x{payload:x} claims {cb_data} bytes "
                f"expanding to {cb_uncomp}; a block holds at most {MAX_BLOCK_INPUT} expanding to {MAX_BLOCK_OUTPUT}")
        blocks.append(DataBlock(csum, payload, cb_data, cb_uncomp))
    return CabFolder(index, start, n_blocks, kind, sum(b.packed for b in blocks), sum(b.unpacked for b in blocks),
                     type_compress, tuple(blocks))


def _parse_member(buf: bytes, offset: int, layout: CabinetLayout, source: str) -> tuple[CabMember, int]:
    size, folder_offset, i_folder, date, time, attribs = _unpack(CFFILE, buf, offset, "CFFILE", source)
    raw, nxt = _cstring(buf, offset + CFFILE.size, "CFFILE name", source)
    # Names are UTF-8 when the attribute says so, else an unknown code page; latin-1 keeps
    # every byte visible to the safety checks.
    name = raw.decode("utf-8", "replace") if attribs & ATTRIB_NAME_IS_UTF else raw.decode("latin-1")
    if i_folder >= 0xFFFD:
        raise UnsupportedError(f"{source}: member {q(name)} continues from/into another cabinet")
    if i_folder >= len(layout.folders):
        raise InputError(f"{source}: member {q(name)} names folder {i_folder}, cabinet has {len(layout.folders)}")
    folder = layout.folders[i_folder]
    if folder_offset + size > folder.uncompressed_size:
        raise InputError(
            f"{source}: member {q(name)} ({size} bytes at {folder_offset}) extends past its folder's "
            f"{folder.uncompressed_size} bytes"
        )
    return CabMember(name, size, i_folder, folder_offset, attribs, date, time, raw), nxt
