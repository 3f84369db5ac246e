"""Authenticode of a PE file (a hotfix package): the same PKCS#7 as a signed cabinet, another digest.

The signature sits in the Certificate Table (data directory 4, a file offset) as one
WIN_CERTIFICATE; its SpcIndirectDataContent names SpcPeImageData. The digest covers the
whole file up to the table except the header CheckSum and the Certificate Table entry,
so an SFXCAB package's appended cabinet is covered too.
"""

from __future__ import annotations

import datetime as dt
import struct
from dataclasses import dataclass

from hfstage.cab.asn1 import SPC_PE_IMAGE_DATA_OBJID
from hfstage.cab.authenticode import VerifyResult, guarded, verify_blob
from hfstage.cab.hashes import digest
from hfstage.cab.pkcs7 import Refused
from hfstage.cab.trust import TrustStore

WIN_CERT_REVISION_2_0 = 0x0200
WIN_CERT_TYPE_PKCS_SIGNED_DATA = 0x0002
_PE32, _PE32_PLUS = 0x10B, 0x20B


@dataclass(frozen=True)
class PeSignatureLayout:
    """Where the parts the digest skips are, and where the certificate table is (0, 0: unsigned)."""

    checksum_at: int
    certificate_entry_at: int
    table_offset: int
    table_size: int


def pe_signature_layout(buf: bytes, source: str = "PE file") -> PeSignatureLayout:
    """Offsets from the DOS and PE headers, bounds-checked; Refused when they do not fit BUF."""
    if len(buf) < 0x40 or buf[:2] != b"MZ":
        raise Refused(f"{source}: not a PE file (no MZ header)")
    e_lfanew = struct.unpack_from("<I", buf, 0x3C)[0]
    if e_lfanew + 24 + 2 > len(buf) or buf[e_lfanew:e_lfanew + 4] != b"PE\0\0":
        raise Refused(f"{source}: not a PE file (no PE header at 0x{e_lfanew:x})")
    optional = e_lfanew + 24
    magic = struct.unpack_from("<H", buf, optional)[0]
    if magic not in (_PE32, _PE32_PLUS):
        raise Refused(f"{source}: unknown optional header magic 0x{magic:x}")
    directories = optional + (96 if magic == _PE32 else 112)
    count_at = directories - 4
    if directories + 5 * 8 > len(buf) or struct.unpack_from("<I", buf, count_at)[0] < 5:
        return PeSignatureLayout(optional + 64, directories + 4 * 8, 0, 0)
    entry = directories + 4 * 8
    offset, size = struct.unpack_from("<II", buf, entry)
    return PeSignatureLayout(optional + 64, entry, offset, size)


def pe_digest(buf: bytes, layout: PeSignatureLayout, algorithm: str) -> bytes:
    """The Authenticode image hash: the file up to the certificate table minus CheckSum and its entry."""
    end = layout.table_offset if layout.table_size else len(buf)
    covered = (buf[:layout.checksum_at] + buf[layout.checksum_at + 4:layout.certificate_entry_at]
               + buf[layout.certificate_entry_at + 8:end])
    return digest(algorithm, covered)


def signature_blob(buf: bytes, layout: PeSignatureLayout) -> bytes | None:
    """The PKCS#7 blob of the one WIN_CERTIFICATE, or None when the file is not signed."""
    if not layout.table_size and not layout.table_offset:
        return None
    if layout.table_offset + layout.table_size != len(buf) or layout.table_offset < layout.certificate_entry_at:
        raise Refused(f"the certificate table (0x{layout.table_offset:x}, {layout.table_size} bytes) does not end "
                      "the file: bytes after it would not be covered by the signature")
    if layout.table_size < 8:
        raise Refused("the certificate table is too short for a WIN_CERTIFICATE")
    length, revision, kind = struct.unpack_from("<IHH", buf, layout.table_offset)
    if revision != WIN_CERT_REVISION_2_0 or kind != WIN_CERT_TYPE_PKCS_SIGNED_DATA:
        raise Refused(f"the certificate table holds revision 0x{revision:x} type {kind}, not Authenticode's "
                      "PKCS#7 SignedData")
    if not 8 < length <= layout.table_size or buf[layout.table_offset + length:].strip(b"\0"):
        raise Refused("the certificate table holds more than one signature, or bytes no signature covers")
    return buf[layout.table_offset + 8:layout.table_offset + length]


def verify_pe(buf: bytes, store: TrustStore, source: str, now: dt.datetime | None = None) -> VerifyResult:
    """Verify the Authenticode signature of the PE file in BUF (named SOURCE) against STORE."""
    when = now or dt.datetime.now(dt.timezone.utc)

    def check(result: VerifyResult) -> None:
        layout = pe_signature_layout(buf, source)
        blob = signature_blob(buf, layout)
        if blob is None:
            raise Refused("not signed (no certificate table)")
        result.signed = True
        verify_blob(blob, SPC_PE_IMAGE_DATA_OBJID, lambda algorithm: pe_digest(buf, layout, algorithm), store, when,
                    result)

    return guarded(VerifyResult(file=source), check)
