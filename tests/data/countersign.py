"""Add a legacy Authenticode timestamp (a PKCS#9 counterSignature) to a signed cabinet or PE file.

Catalogs signed in 1999-2003 carry this older kind of timestamp, which osslsigncode
cannot make without a timestamp server; this writes one with the test TSA key. The RSA
block is made by `openssl pkeyutl -sign`, so the payload is what openssl was given:
  --payload digestinfo        the DigestInfo (RFC 8017; -pkeyopt digest:HASH)
  --payload bare              the bare digest, as the VeriSign Time Stamping Service signed
  --payload bare-wrong-data   bare digest of the attributes as stored ([0] tag, not SET)
  --payload bare-other-hash   bare SHA-1 digest while the countersignature names HASH
  --payload digestinfo-extra  the DigestInfo followed by one extra byte
  --payload bad-padding       a whole block (openssl rsautl -raw) with a 0xFE among the FF bytes
--time generalized writes signingTime as GeneralizedTime; --time none leaves it out.
Usage: python countersign.py IN OUT TSA.pem TSA.key WHEN [HASH] [--payload P] [--time T]
WHEN is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS (UTC). TSA.pem may hold the TSA's certificate
followed by its issuers: all go into the bag. HASH defaults to sha256 (1999-2003: md5).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import struct
import subprocess
import tempfile
from pathlib import Path

from asn1crypto import algos, cms, core, pem
from asn1crypto import x509 as ax509

PAYLOADS = ("digestinfo", "bare", "bare-wrong-data", "bare-other-hash", "digestinfo-extra", "bad-padding")


def _attributes(signature: bytes, when: dt.datetime, hash_name: str, time_type: str) -> cms.CMSAttributes:
    attrs = [{"type": "content_type", "values": ["data"]}]
    if time_type != "none":
        kind = "generalized_time" if time_type == "generalized" else "utc_time"
        attrs.append({"type": "signing_time", "values": [cms.Time({kind: when})]})
    # the counterSignature covers the signer's encrypted digest (its signature value)
    attrs.append({"type": "message_digest", "values": [hashlib.new(hash_name, signature).digest()]})
    return cms.CMSAttributes(attrs)


def _digest_info(hash_name: str, digest: bytes) -> bytes:
    algorithm = algos.DigestAlgorithm({"algorithm": hash_name, "parameters": core.Null()})
    return algos.DigestInfo({"digest_algorithm": algorithm, "digest": digest}).dump()


def _openssl(key_path: Path, data: bytes, *command: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "in.bin").write_bytes(data)
        subprocess.run(["openssl", *command, "-inkey", str(key_path), "-in", f"{tmp}/in.bin",
                        "-out", f"{tmp}/sig.bin"], check=True)
        return (Path(tmp) / "sig.bin").read_bytes()


def _pkeyutl(key_path: Path, data: bytes, *options: str) -> bytes:
    """PKCS#1 v1.5 type 1 padding around DATA (with a DigestInfo only if -pkeyopt digest: is given)."""
    return _openssl(key_path, data, "pkeyutl", "-sign", *options)


def _modulus_bytes(key_path: Path) -> int:
    text = subprocess.run(["openssl", "rsa", "-in", str(key_path), "-noout", "-modulus"], check=True,
                          capture_output=True, text=True).stdout
    return len(text.strip().split("=", 1)[1]) // 2


def sign_attributes(attrs: cms.CMSAttributes, key_path: Path, hash_name: str, payload: str) -> bytes:
    """The RSA block over the attributes (as a SET, tag 0x31) in the PAYLOAD form asked for."""
    as_set = attrs.dump()
    digest = hashlib.new(hash_name, as_set).digest()
    if payload == "digestinfo":
        return _pkeyutl(key_path, digest, "-pkeyopt", f"digest:{hash_name}")
    if payload == "bare":
        return _pkeyutl(key_path, digest)
    if payload == "bare-wrong-data":
        return _pkeyutl(key_path, hashlib.new(hash_name, b"\xa0" + as_set[1:]).digest())
    if payload == "bare-other-hash":
        return _pkeyutl(key_path, hashlib.sha1(as_set).digest())
    if payload == "digestinfo-extra":
        return _pkeyutl(key_path, _digest_info(hash_name, digest) + b"\x00")
    if payload == "bad-padding":
        k = _modulus_bytes(key_path)
        filler = bytearray(b"\xff" * (k - 3 - len(digest)))
        filler[len(filler) // 2] = 0xFE
        block = b"\x00\x01" + bytes(filler) + b"\x00" + digest
        # pkeyutl takes no more than a digest's length: a whole block goes through rsautl -raw
        return _openssl(key_path, block, "rsautl", "-sign", "-raw")
    raise ValueError(f"unknown payload {payload}")


def _certificate_entry(data: bytes) -> int:
    """Where a PE file's data directory entry 4 (the Certificate Table: offset, size) sits."""
    optional = struct.unpack_from("<I", data, 0x3C)[0] + 24
    return optional + (96 if struct.unpack_from("<H", data, optional)[0] == 0x10B else 112) + 4 * 8


def _blob_place(data: bytes) -> tuple[int, int]:
    """(offset, length) of the PKCS#7 blob: abReserve of a cabinet, the one WIN_CERTIFICATE of a PE."""
    if data[:4] == b"MSCF":
        return struct.unpack_from("<II", data, 44)
    table = struct.unpack_from("<I", data, _certificate_entry(data))[0]
    return table + 8, struct.unpack_from("<I", data, table)[0] - 8


def _replace_blob(data: bytes, offset: int, blob: bytes) -> bytes:
    """DATA with the blob at OFFSET (it ends the file) replaced, padded to 8 bytes, lengths updated."""
    blob += b"\0" * (-len(blob) % 8)
    out = bytearray(data[:offset] + blob)
    if data[:4] == b"MSCF":
        struct.pack_into("<I", out, 48, len(blob))
    else:
        struct.pack_into("<I", out, offset - 8, len(blob) + 8)  # WIN_CERTIFICATE dwLength
        struct.pack_into("<I", out, _certificate_entry(data) + 4, len(blob) + 8)  # the table's size
    return bytes(out)


def countersign(data: bytes, bag: list[ax509.Certificate], key_path: Path, when: dt.datetime,
                hash_name: str = "sha256", payload: str = "digestinfo", time_type: str = "utc") -> bytes:
    tsa_cert = bag[0]
    offset, length = _blob_place(data)
    info = cms.ContentInfo.load(data[offset:offset + length], strict=False)
    signed = info["content"]
    signer = signed["signer_infos"][0]
    attrs = _attributes(signer["signature"].native, when, hash_name, time_type)
    counter = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({"issuer_and_serial_number": cms.IssuerAndSerialNumber(
            {"issuer": tsa_cert.issuer, "serial_number": tsa_cert.serial_number})}),
        "digest_algorithm": {"algorithm": hash_name},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": "rsassa_pkcs1v15"},
        "signature": sign_attributes(attrs, key_path, hash_name, payload),
    })
    signer["unsigned_attrs"] = cms.CMSAttributes([{"type": "counter_signature", "values": [counter]}])
    certificates = list(signed["certificates"]) + [cms.CertificateChoices({"certificate": c}) for c in bag]
    signed["certificates"] = cms.CertificateSet(certificates)
    return _replace_blob(data, offset, info.dump(force=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("cert", type=Path)
    parser.add_argument("key", type=Path)
    parser.add_argument("when")
    parser.add_argument("hash", nargs="?", default="sha256", choices=("md5", "sha1", "sha256"))
    parser.add_argument("--payload", default="digestinfo", choices=PAYLOADS)
    parser.add_argument("--time", default="utc", choices=("utc", "generalized", "none"))
    args = parser.parse_args()
    bag = [ax509.Certificate.load(der) for _, _, der in pem.unarmor(args.cert.read_bytes(), multiple=True)]
    when = dt.datetime.fromisoformat(args.when).replace(tzinfo=dt.timezone.utc)
    out = countersign(args.source.read_bytes(), bag, args.key, when, args.hash, args.payload, args.time)
    args.target.write_bytes(out)


if __name__ == "__main__":
    main()
