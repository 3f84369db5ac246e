"""Authenticode verification of a cabinet (DESIGN §5): digest, signer, chain, time."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from pathlib import Path

from asn1crypto import cms, core, tsp
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from hfstage.cab import trust as trustmod
from hfstage.cab.asn1 import (
    COUNTER_SIGNATURE_OBJID,
    MS_TIME_STAMP_TOKEN_OBJID,
    SIGNING_TIME_OBJID,
    SPC_CAB_DATA_OBJID,
    SPC_INDIRECT_DATA_OBJID,
)
from hfstage.cab.extract import read_cabinet
from hfstage.cab.hashes import digest, verify_signature
from hfstage.cab.pkcs7 import (
    Refused,
    Signer,
    bag_certificates,
    check_content_type,
    hash_name,
    indirect_data,
    load_signed_data,
    message_digest,
    opus_info,
    read_signer,
)
from hfstage.cab.structures import CabinetLayout
from hfstage.cab.trust import TrustStore
from hfstage.errors import q

TSTINFO_OBJID = "1.2.840.113549.1.9.16.1.4"


@dataclass
class VerifyResult:
    """What `cab verify` found; `ok` only when signed, intact, valid and trusted."""

    file: str
    signed: bool = False
    digest_algorithm: str | None = None
    digest_matches: bool = False
    signature_valid: bool = False
    signer: str | None = None  # the signing certificate's common name ("Autodesk")
    signer_subject: str | None = None
    program_name: str | None = None
    more_info_url: str | None = None
    chain: list[str] = field(default_factory=list)
    timestamp: str | None = None
    trusted: bool = False
    reasons: list[str] = field(default_factory=list)
    clock: str | None = None  # the server's clock, when it (not the signature) is why the file is refused

    @property
    def ok(self) -> bool:
        return self.signed and self.digest_matches and self.signature_valid and self.trusted

    def to_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def content_digest(buf: bytes, layout: CabinetLayout, algorithm: str) -> bytes:
    """Hash of what the signature covers: CFHEADER minus reserved1, iCabinet and abReserve."""
    assert layout.signature is not None
    # The digest skips bytes 4-7 (reserved1) and 34-55 (iCabinet, reserve sizes and the
    # signature's own offset/length), then covers everything up to the signature blob.
    covered = buf[0:4] + buf[8:34] + buf[56:layout.signature.offset]
    return digest(algorithm, covered)


def verify_cabinet(path: Path, store: TrustStore, now: dt.datetime | None = None) -> VerifyResult:
    """Verify the Authenticode signature of cabinet PATH against STORE's anchors."""
    buf, layout = read_cabinet(path)
    when = now or dt.datetime.now(dt.timezone.utc)
    return guarded(VerifyResult(file=str(path)), lambda result: _verify(buf, layout, store, when, result))


def _verify(buf: bytes, layout: CabinetLayout, store: TrustStore, now: dt.datetime,
            result: VerifyResult) -> None:
    if not layout.has_reserve:
        raise Refused("cabinet is not signed (no reserve area in the header)")
    if layout.signature is None:
        raise Refused(f"cabinet has a {len(layout.reserve_header)}-byte reserve area but no signature")
    sig = layout.signature
    result.signed = True
    if sig.offset < layout.cabinet_size or sig.offset < 60:
        raise Refused(f"signature offset 0x{sig.offset:x} lies inside the cabinet data")
    if sig.offset + sig.length != len(buf):
        raise Refused(f"{len(buf) - sig.offset - sig.length} bytes follow the signature and are not covered by it")
    verify_blob(buf[sig.offset:sig.offset + sig.length], SPC_CAB_DATA_OBJID,
                lambda algorithm: content_digest(buf, layout, algorithm), store, now, result)


def verify_blob(blob: bytes, data_type: str, content_digest_of, store: TrustStore, now: dt.datetime,
                result: VerifyResult) -> None:
    """Verify one Authenticode PKCS#7 BLOB whose SpcIndirectDataContent must be of DATA_TYPE (a cabinet's
    or a PE image's) and whose digest must equal CONTENT_DIGEST_OF(algorithm): fills RESULT."""
    signed_data = load_signed_data(blob)
    indirect, content = indirect_data(signed_data)
    if indirect["data"]["type"].dotted != data_type:
        raise Refused(f"the signature is for content of type {indirect['data']['type'].dotted}, not {data_type}: "
                      "it was taken from another kind of file")
    result.digest_algorithm = hash_name(indirect["message_digest"]["digest_algorithm"])
    expected = indirect["message_digest"]["digest"].native
    result.digest_matches = content_digest_of(result.digest_algorithm) == expected
    if not result.digest_matches:
        result.reasons.append("content digest does not match the signature: the file was modified after signing")
    signer = _the_signer(signed_data)
    pool = bag_certificates(signed_data)
    _check_bag(pool, store)
    leaf = _find_certificate(signer.info, pool + store.anchors)
    result.signer, result.signer_subject = trustmod.common_name(leaf), trustmod.subject_text(leaf)
    result.program_name, result.more_info_url = opus_info(signer)
    result.signature_valid = _signer_valid(signer, leaf, content, result.reasons)
    chain, anchored, problems = trustmod.build_chain(leaf, pool, store)
    result.chain = [trustmod.subject_text(c) for c in chain]
    problems += trustmod.eku_problems(leaf, ExtendedKeyUsageOID.CODE_SIGNING)
    result.reasons.extend(problems)
    when = _timestamp(signer, pool, store, result.reasons, chain)
    result.timestamp = when.isoformat() if when else None
    validity = trustmod.validity_problems(chain, when or now)
    if validity and when is None:
        validity = [p + " (and the signature has no valid timestamp)" for p in validity]
    result.clock = _clock_problem(chain, when, now)
    if result.clock:
        validity.append(result.clock)
    result.reasons.extend(validity)
    publisher_ok = _publisher_allowed(leaf, store, result.reasons)
    result.trusted = anchored and not problems and not validity and publisher_ok and result.signature_valid


CLOCK_SKEW = dt.timedelta(days=1)


def _clock_problem(chain: list[x509.Certificate], when: dt.datetime | None, now: dt.datetime) -> str | None:
    """The server's clock named when it, not the signature, is out of step: a timestamp after it, or (with no
    timestamp) a chain not valid yet by it. A clock set back must not read as "use --allow-unsigned"."""
    said = f"this server's clock says {now:%Y-%m-%d %H:%M} UTC"
    if when is not None and when > now + CLOCK_SKEW:
        return f"{said}; the signature is timestamped {when:%Y-%m-%d %H:%M} UTC, later: check the server's clock"
    issued = max((c.not_valid_before_utc for c in chain), default=None)
    if when is None and issued is not None and now < issued:
        return (f"{said}; the signing certificates are valid only from {issued:%Y-%m-%d}: check the server's "
                "clock (a clock set back makes every signature look not yet valid)")
    return None


def guarded(result: VerifyResult, check) -> VerifyResult:
    """Run CHECK(result); a refusal or any parse error deep in the blob becomes a reason, never a crash."""
    try:
        check(result)
    except Refused as e:
        result.reasons.append(str(e))
        result.trusted = False
    except Exception as e:  # noqa: BLE001
        # asn1crypto and cryptography parse lazily and raise many kinds of errors for a
        # damaged structure deep in the blob: any of them means the signature cannot be
        # trusted, never a crash.
        result.trusted = False
        result.signature_valid = False
        result.reasons.append(f"signature blob is damaged: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
    return result


def _the_signer(signed_data: cms.SignedData) -> Signer:
    infos = signed_data["signer_infos"]
    if len(infos) != 1:
        raise Refused(f"signature has {len(infos)} signers; Authenticode has exactly one")
    signer = read_signer(infos[0])
    declared = {hash_name(a) for a in signed_data["digest_algorithms"]}
    if signer.digest_algorithm not in declared:
        raise Refused(f"signer's digest algorithm {signer.digest_algorithm} is not among the declared "
                      f"{', '.join(sorted(declared)) or 'none'}")
    check_content_type(signer, SPC_INDIRECT_DATA_OBJID, "signer")
    return signer


def _check_bag(pool: list[x509.Certificate], store: TrustStore) -> None:
    """A certificate in the bag whose issuer is at hand (in the bag, or pinned) must verify with it.

    Certificates whose issuer is nowhere at hand cannot be checked and are inert: they
    take part in no chain.
    """
    for cert in pool:
        issuers = [c for c in pool + store.anchors if c.subject == cert.issuer]
        if issuers and trustmod.signature_hash_name(cert) and not any(trustmod.issued_by(cert, i) for i in issuers):
            raise Refused(f"certificate {q(trustmod.subject_text(cert))} in the signature does not verify with "
                          "its issuer's key: it was altered")


def _find_certificate(info: cms.SignerInfo, pool: list[x509.Certificate]) -> x509.Certificate:
    sid = info["sid"].chosen
    issuer = sid["issuer"].dump()
    serial = sid["serial_number"].native
    for cert in pool:
        if cert.serial_number == serial and cert.issuer.public_bytes() == issuer:
            return cert
    raise Refused(f"signer certificate (serial {serial:x}) is neither in the signature nor in the trust folder")


def _signer_valid(signer: Signer, cert: x509.Certificate, content: bytes, reasons: list[str]) -> bool:
    """messageDigest covers the content octets (an Authenticode quirk); the signature covers the attributes."""
    found = message_digest(signer)
    if found is None:
        reasons.append("signer has no messageDigest attribute")
        return False
    if found != digest(signer.digest_algorithm, content):
        reasons.append("signer's messageDigest does not match the signed content")
        return False
    return _attrs_signature_valid(signer, cert, reasons, "signature")


def _attrs_signature_valid(signer: Signer, cert: x509.Certificate, reasons: list[str], what: str) -> bool:
    # The signature covers the signed attributes as stored, re-tagged as a SET (0x31)
    # instead of the [0] IMPLICIT field they sit in.
    data = b"\x31" + signer.info["signed_attrs"].dump()[1:]
    ok = verify_signature(cert.public_key(), signer.info["signature"].native, data, signer.digest_algorithm)
    if not ok:
        reasons.append(f"{what} over the signed attributes does not verify with {q(trustmod.subject_text(cert))}")
    return ok


def _timestamp(signer: Signer, pool: list[x509.Certificate], store: TrustStore,
               reasons: list[str], content_chain: list[x509.Certificate]) -> dt.datetime | None:
    """The verified countersignature or RFC 3161 time, or None (reasons say why)."""
    signature = signer.info["signature"].native
    readers = ((COUNTER_SIGNATURE_OBJID, _countersignature_time), (MS_TIME_STAMP_TOKEN_OBJID, _rfc3161_time))
    for oid, reader in readers:
        for raw in signer.unsigned.get(oid, []):
            try:
                when = reader(raw, signature, pool, store, reasons, content_chain)
            except (Refused, ValueError, TypeError, KeyError, IndexError) as e:
                reasons.append(f"timestamp ignored: {str(e).splitlines()[0]}")
                continue
            if when is not None:
                return when
    return None


def _timestamp_signer_ok(counter: Signer, when: dt.datetime, pool: list[x509.Certificate], store: TrustStore,
                         reasons: list[str], content_chain: list[x509.Certificate]) -> bool:
    """The timestamp's signer signed it, chains to an anchor, is a time-stamping signer (not the publisher),
    and was valid at WHEN."""
    cert = _find_certificate(counter.info, pool + store.anchors)
    if not _attrs_signature_valid(counter, cert, reasons, "timestamp signature"):
        return False
    chain, anchored, problems = trustmod.build_chain(cert, pool, store)
    if not anchored:
        reasons.append("timestamp ignored: its signer does not chain to a trust anchor: " + "; ".join(problems))
        return False
    purpose = trustmod.timestamp_purpose_problems(chain, content_chain)
    if purpose:
        reasons.append("timestamp ignored: " + "; ".join(purpose))
        return False
    problems += trustmod.validity_problems(chain, when)
    if problems:
        reasons.append("timestamp ignored: its signer was not valid at the time it gives: " + "; ".join(problems))
        return False
    return True


def _signing_time(counter: Signer) -> dt.datetime | None:
    raw = counter.one(SIGNING_TIME_OBJID, "signingTime")
    return cms.Time.load(raw).native if raw is not None else None


def _countersignature_time(raw: bytes, signature: bytes, pool, store: TrustStore,
                           reasons: list[str], content_chain: list[x509.Certificate]) -> dt.datetime | None:
    counter = read_signer(cms.SignerInfo.load(raw, strict=True), "countersignature")
    if message_digest(counter) != digest(counter.digest_algorithm, signature):
        reasons.append("timestamp ignored: countersignature does not cover this signature")
        return None
    when = _signing_time(counter)
    if when is None:
        reasons.append("timestamp ignored: countersignature has no signing time")
        return None
    return when if _timestamp_signer_ok(counter, when, pool, store, reasons, content_chain) else None


def _rfc3161_time(raw: bytes, signature: bytes, pool, store: TrustStore,
                  reasons: list[str], content_chain: list[x509.Certificate]) -> dt.datetime | None:
    token = cms.ContentInfo.load(raw, strict=True)
    signed = token["content"]
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != TSTINFO_OBJID:
        raise Refused(f"RFC 3161 token holds {encap['content_type'].dotted}, not TSTInfo")
    tst_der = encap["content"].native
    if not isinstance(tst_der, bytes):
        tst_der = encap["content"].contents
    tst_der = core.OctetString.load(tst_der).native if tst_der[:1] == b"\x04" else tst_der
    info = tsp.TSTInfo.load(tst_der)
    imprint = info["message_imprint"]
    if imprint["hashed_message"].native != digest(hash_name(imprint["hash_algorithm"]), signature):
        reasons.append("timestamp ignored: RFC 3161 token does not cover this signature")
        return None
    if len(signed["signer_infos"]) != 1:
        raise Refused("RFC 3161 token does not have exactly one signer")
    counter = read_signer(signed["signer_infos"][0], "timestamp signer")
    check_content_type(counter, TSTINFO_OBJID, "timestamp signer")
    if message_digest(counter) != digest(counter.digest_algorithm, tst_der):
        reasons.append("timestamp ignored: RFC 3161 token's digest does not match its content")
        return None
    when = info["gen_time"].native
    ok = _timestamp_signer_ok(counter, when, pool + bag_certificates(signed), store, reasons, content_chain)
    return when if ok else None


def _publisher_allowed(leaf: x509.Certificate, store: TrustStore, reasons: list[str]) -> bool:
    if not store.publishers:
        return True
    names = {trustmod.common_name(leaf), trustmod.subject_text(leaf)}
    if names & set(store.publishers):
        return True
    reasons.append(f"publisher {q(trustmod.common_name(leaf))} is not listed in trust/{trustmod.PUBLISHERS_FILE}")
    return False
