"""Add a legacy Authenticode timestamp (a PKCS#9 counterSignature) to a signed cabinet.

Catalogs signed in 1999-2003 carry this older kind of timestamp, which osslsigncode
cannot make without a timestamp server; this writes one with the test TSA key.
Usage: python countersign.py IN.cab OUT.cab TSA.pem TSA.key YYYY-MM-DD [HASH]
TSA.pem may hold the TSA's certificate followed by its issuers: all go into the bag.
HASH is the countersignature's digest (default sha256; signers of 1999-2003 used md5).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import struct
import sys
from pathlib import Path

from asn1crypto import cms, pem
from asn1crypto import x509 as ax509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

_HASHES = {"md5": (hashlib.md5, hashes.MD5), "sha1": (hashlib.sha1, hashes.SHA1),
           "sha256": (hashlib.sha256, hashes.SHA256)}


def countersign(cab: bytes, bag: list[ax509.Certificate], tsa_key, when: dt.datetime,
                hash_name: str = "sha256") -> bytes:
    tsa_cert = bag[0]
    hasher, hash_alg = _HASHES[hash_name]
    offset, length = struct.unpack_from("<II", cab, 44)
    info = cms.ContentInfo.load(cab[offset:offset + length], strict=False)
    signed = info["content"]
    signer = signed["signer_infos"][0]
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["data"]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": when})]},
        # the counterSignature covers the signer's encrypted digest (its signature value)
        {"type": "message_digest", "values": [hasher(signer["signature"].native).digest()]},
    ])
    value = tsa_key.sign(attrs.dump(), padding.PKCS1v15(), hash_alg())
    counter = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number})}),
        "digest_algorithm": {"algorithm": hash_name},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": value,
    })
    signer["unsigned_attrs"] = cms.CMSAttributes([{"type": "counter_signature", "values": [counter]}])
    certificates = list(signed["certificates"]) + [cms.CertificateChoices({"certificate": c}) for c in bag]
    signed["certificates"] = cms.CertificateSet(certificates)
    blob = info.dump(force=True)
    blob += b"\0" * (-len(blob) % 8)
    out = bytearray(cab[:offset] + blob)
    struct.pack_into("<I", out, 48, len(blob))
    return bytes(out)


def main() -> None:
    source, target, cert_path, key_path, date = sys.argv[1:6]
    hash_name = sys.argv[6] if len(sys.argv) > 6 else "sha256"
    bag = [ax509.Certificate.load(der) for _, _, der in pem.unarmor(Path(cert_path).read_bytes(), multiple=True)]
    key = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
    when = dt.datetime.strptime(date, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
    Path(target).write_bytes(countersign(Path(source).read_bytes(), bag, key, when, hash_name))


if __name__ == "__main__":
    main()
