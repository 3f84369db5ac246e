"""Authenticode verification of a cabinet (DESIGN §5): digest, signer, chain, time."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from asn1crypto import cms, tsp
from asn1crypto import parser as asn1_parser
from asn1crypto.core import Asn1Value
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID

from hfstage.cab import trust as trustmod
from hfstage.cab.asn1 import SPC_INDIRECT_DATA_OBJID, SpcIndirectDataContent
from hfstage.cab.extract import read_cabinet
from hfstage.cab.structures import CabinetLayout
from hfstage.cab.trust import TrustStore

_HASHES = {
    "md5": (hashlib.md5, hashes.MD5), "sha1": (hashlib.sha1, hashes.SHA1),
    "sha256": (hashlib.sha256, hashes.SHA256), "sha384": (hashlib.sha384, hashes.SHA384),
    "sha512": (hashlib.sha512, hashes.SHA512),
}


# What cryptography raises for a certificate that is damaged in one of its lazily parsed parts.
_CERT_ERRORS = (ValueError, TypeError, UnsupportedAlgorithm, x509.InvalidVersion)


class _Refused(Exception):
    """Internal: verification cannot go on; the message becomes a reason."""


@dataclass
class VerifyResult:
    """What `cab verify` found; `ok` only when signed, intact, valid and trusted."""

    file: str
    signed: bool = False
    digest_algorithm: str | None = None
    digest_matches: bool = False
    signature_valid: bool = False
    signer: str | None = None
    chain: list[str] = field(default_factory=list)
    timestamp: str | None = None
    trusted: bool = False
    reasons: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.signed and self.digest_matches and self.signature_valid and self.trusted

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def content_digest(buf: bytes, layout: CabinetLayout, algorithm: str) -> bytes:
    """Hash of what the signature covers: CFHEADER minus reserved1, iCabinet and abReserve."""
    assert layout.signature is not None
    h = _HASHES[algorithm][0]()
    # The digest skips bytes 4-7 (reserved1) and 34-55 (iCabinet, reserve sizes and the
    # signature's own offset/length), then covers everything up to the signature blob.
    h.update(buf[0:4])
    h.update(buf[8:34])
    h.update(memoryview(buf)[56:layout.signature.offset])
    return h.digest()


def verify_cabinet(path: Path, store: TrustStore, now: dt.datetime | None = None) -> VerifyResult:
    """Verify the Authenticode signature of cabinet PATH against STORE's anchors."""
    buf, layout = read_cabinet(path)
    result = VerifyResult(file=str(path))
    try:
        _verify(buf, layout, store, now or dt.datetime.now(dt.timezone.utc), result)
    except _Refused as e:
        result.reasons.append(str(e))
    except Exception as e:  # noqa: BLE001
        # asn1crypto and cryptography parse lazily and raise many kinds of errors for a
        # damaged structure deep in the blob (AttributeError, InvalidVersion, ...): any of
        # them means the signature cannot be trusted, never a crash.
        result.trusted = False
        result.signature_valid = False
        result.reasons.append(f"signature blob is damaged: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    return result


def _verify(buf: bytes, layout: CabinetLayout, store: TrustStore, now: dt.datetime,
            result: VerifyResult) -> None:
    if not layout.has_reserve:
        raise _Refused("cabinet is not signed (no reserve area in the header)")
    if layout.signature is None:
        raise _Refused(f"cabinet has a {len(layout.reserve_header)}-byte reserve area but no signature")
    sig = layout.signature
    result.signed = True
    if sig.offset < layout.cabinet_size or sig.offset < 60:
        raise _Refused(f"signature offset 0x{sig.offset:x} lies inside the cabinet data")
    if sig.offset + sig.length != len(buf):
        result.reasons.append(f"{len(buf) - sig.offset - sig.length} bytes follow the signature "
                              "and are not covered by it")
    signed_data = _load_signed_data(buf[sig.offset:sig.offset + sig.length])
    indirect = _indirect_data(signed_data)
    algorithm = _hash_name(indirect["message_digest"]["digest_algorithm"]["algorithm"].native)
    result.digest_algorithm = algorithm
    result.digest_matches = content_digest(buf, layout, algorithm) == indirect["message_digest"]["digest"].native
    if not result.digest_matches:
        result.reasons.append("content digest does not match the signature: the cabinet was modified after signing")
    pool = _certificates(signed_data)
    signer_info = signed_data["signer_infos"][0] if len(signed_data["signer_infos"]) else None
    if signer_info is None:
        raise _Refused("signature has no signer")
    leaf = _find_signer(signer_info, pool + store.anchors)
    result.signer = trustmod.subject_text(leaf)
    result.signature_valid = _signer_valid(signer_info, leaf, indirect.contents, result.reasons)
    chain, anchored, problems = trustmod.build_chain(leaf, pool, store)
    result.chain = [trustmod.subject_text(c) for c in chain]
    problems += trustmod.eku_problems(leaf, ExtendedKeyUsageOID.CODE_SIGNING)
    result.reasons.extend(problems)
    when = _timestamp(signer_info, pool, store, result.reasons)
    result.timestamp = when.isoformat() if when else None
    validity = trustmod.validity_problems(chain, when or now)
    if validity and when is None:
        validity = [p + " (and the signature has no valid timestamp)" for p in validity]
    result.reasons.extend(validity)
    publisher_ok = _publisher_allowed(leaf, store, result.reasons)
    result.trusted = anchored and not problems and not validity and publisher_ok and result.signature_valid


def _load_signed_data(blob: bytes) -> cms.SignedData:
    try:
        info = cms.ContentInfo.load(blob, strict=False)
        if info["content_type"].native != "signed_data":
            raise _Refused(f"signature blob holds {info['content_type'].native}, not PKCS#7 SignedData")
        signed = info["content"]
        _ = signed.native  # force a full parse so a damaged blob fails here, not later
        return signed
    except _Refused:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as e:
        raise _Refused(f"signature blob is not valid PKCS#7: {str(e).splitlines()[0]}") from e


def _indirect_data(signed: cms.SignedData) -> SpcIndirectDataContent:
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != SPC_INDIRECT_DATA_OBJID:
        raise _Refused(f"signed content is {encap['content_type'].dotted}, not SpcIndirectDataContent")
    try:
        raw = encap["content"].dump()
        if raw[:1] == b"\xa0":  # asn1crypto keeps the [0] EXPLICIT wrapper on unknown content
            raw = asn1_parser.parse(raw)[4]
        content = SpcIndirectDataContent.load(raw)
        _ = content.native  # full parse now
    except (ValueError, TypeError, KeyError) as e:
        raise _Refused(f"SpcIndirectDataContent is malformed: {str(e).splitlines()[0]}") from e
    return content


def _hash_name(name: str) -> str:
    name = {"sha1": "sha1", "md5": "md5"}.get(name, name)
    if name not in _HASHES:
        raise _Refused(f"digest algorithm {name} is not supported")
    return name


def _certificates(signed: Asn1Value) -> list[x509.Certificate]:
    """The blob's certificates that parse completely (cryptography parses some fields lazily)."""
    certs = []
    for choice in signed["certificates"] or []:
        if choice.name != "certificate":
            continue
        try:
            cert = x509.load_der_x509_certificate(choice.chosen.dump())
            _ = (cert.subject, cert.issuer, cert.public_key(), cert.not_valid_after_utc, cert.extensions)
        except _CERT_ERRORS:
            continue
        certs.append(cert)
    return certs


def _find_signer(signer_info: cms.SignerInfo, pool: list[x509.Certificate]) -> x509.Certificate:
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise _Refused("signer is identified by key id; only issuer and serial number are supported")
    issuer = sid.chosen["issuer"].dump()
    serial = sid.chosen["serial_number"].native
    for cert in pool:
        if cert.serial_number == serial and cert.issuer.public_bytes() == issuer:
            return cert
    raise _Refused(f"signer certificate (serial {serial:x}) is neither in the signature nor in the trust folder")


def _signed_attr(signer_info: cms.SignerInfo, name: str):
    for attr in signer_info["signed_attrs"] or []:
        if attr["type"].native == name:
            return attr["values"][0]
    return None


def _signer_valid(signer_info: cms.SignerInfo, cert: x509.Certificate, content: bytes,
                  reasons: list[str]) -> bool:
    """messageDigest covers the content octets (an Authenticode quirk); RSA sig over attrs."""
    algorithm = _hash_name(signer_info["digest_algorithm"]["algorithm"].native)
    digest = _signed_attr(signer_info, "message_digest")
    if digest is None:
        reasons.append("signer has no messageDigest attribute")
        return False
    if digest.native != _HASHES[algorithm][0](content).digest():
        reasons.append("signer's messageDigest does not match the signed content")
        return False
    return _attrs_signature_valid(signer_info, cert, algorithm, reasons, "signature")


def _attrs_signature_valid(signer_info: cms.SignerInfo, cert: x509.Certificate, algorithm: str,
                           reasons: list[str], what: str) -> bool:
    # The signature covers the signed attributes re-encoded as a SET (tag 0x31), not
    # as the [0] IMPLICIT field they are stored in.
    attrs = signer_info["signed_attrs"].dump()
    data = b"\x31" + attrs[1:]
    ok = trustmod.verify_signature(cert.public_key(), signer_info["signature"].native, data,
                                   _HASHES[algorithm][1]())
    if not ok:
        reasons.append(f"{what} over the signed attributes does not verify with {trustmod.subject_text(cert)!r}")
    return ok


def _timestamp(signer_info: cms.SignerInfo, pool: list[x509.Certificate], store: TrustStore,
               reasons: list[str]) -> dt.datetime | None:
    """The verified countersignature or RFC 3161 time, or None (reasons say why)."""
    signature = signer_info["signature"].native
    for attr in signer_info["unsigned_attrs"] or []:
        kind = attr["type"].native
        try:
            if kind == "counter_signature":
                return _countersignature_time(attr["values"][0], signature, pool, store, reasons)
            if kind == "microsoft_time_stamp_token":
                return _rfc3161_time(attr["values"][0], signature, pool, store, reasons)
        except (_Refused, ValueError, TypeError, KeyError, IndexError) as e:
            reasons.append(f"timestamp ignored: {str(e).splitlines()[0]}")
    return None


def _timestamp_signer_ok(signer: cms.SignerInfo, pool, store: TrustStore, reasons: list[str]) -> bool:
    cert = _find_signer(signer, pool + store.anchors)
    algorithm = _hash_name(signer["digest_algorithm"]["algorithm"].native)
    if not _attrs_signature_valid(signer, cert, algorithm, reasons, "timestamp signature"):
        return False
    chain, anchored, problems = trustmod.build_chain(cert, pool, store)
    if not anchored:
        reasons.append("timestamp ignored: its signer does not chain to a trust anchor: " + "; ".join(problems))
    return anchored


def _countersignature_time(counter: cms.SignerInfo, signature: bytes, pool, store: TrustStore,
                           reasons: list[str]) -> dt.datetime | None:
    algorithm = _hash_name(counter["digest_algorithm"]["algorithm"].native)
    digest = _signed_attr(counter, "message_digest")
    if digest is None or digest.native != _HASHES[algorithm][0](signature).digest():
        reasons.append("timestamp ignored: countersignature does not cover this signature")
        return None
    when = _signed_attr(counter, "signing_time")
    if when is None or not _timestamp_signer_ok(counter, pool, store, reasons):
        return None
    return when.native


def _rfc3161_time(token: cms.ContentInfo, signature: bytes, pool, store: TrustStore,
                  reasons: list[str]) -> dt.datetime | None:
    signed = token["content"]
    tst_der = signed["encap_content_info"]["content"].native
    info = tsp.TSTInfo.load(tst_der if isinstance(tst_der, bytes) else signed["encap_content_info"]["content"].contents)
    imprint = info["message_imprint"]
    algorithm = _hash_name(imprint["hash_algorithm"]["algorithm"].native)
    if imprint["hashed_message"].native != _HASHES[algorithm][0](signature).digest():
        reasons.append("timestamp ignored: RFC 3161 token does not cover this signature")
        return None
    tsa_pool = pool + _certificates(signed)
    ts_signer = signed["signer_infos"][0]
    ts_alg = _hash_name(ts_signer["digest_algorithm"]["algorithm"].native)
    digest = _signed_attr(ts_signer, "message_digest")
    if digest is None or digest.native != _HASHES[ts_alg][0](info.dump()).digest():
        reasons.append("timestamp ignored: RFC 3161 token's digest does not match its content")
        return None
    if not _timestamp_signer_ok(ts_signer, tsa_pool, store, reasons):
        return None
    return info["gen_time"].native


def _publisher_allowed(leaf: x509.Certificate, store: TrustStore, reasons: list[str]) -> bool:
    if not store.publishers:
        return True
    names = {trustmod.common_name(leaf), trustmod.subject_text(leaf)}
    if names & set(store.publishers):
        return True
    reasons.append(f"publisher {trustmod.common_name(leaf)!r} is not listed in trust/{trustmod.PUBLISHERS_FILE}")
    return False
