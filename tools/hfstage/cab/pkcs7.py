"""The PKCS#7 SignedData blob of an Authenticode signature, read tolerantly but strictly.

Tolerant: only what verification needs is parsed. Real signers add signed attributes
(SpcSpOpusInfo, SpcStatementType, ...) whose context-tagged values generic parsers
reject; each attribute is kept as the DER of its values, and the signature covers the
attribute set exactly as stored.
Strict: every part no signature covers (versions, algorithm identifiers, the padding,
the certificate bag) is checked, so a changed byte anywhere in the blob is a refusal.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

from asn1crypto import cms, core
from asn1crypto import parser as asn1_parser
from cryptography import x509

from hfstage.cab.asn1 import (
    CONTENT_TYPE_OBJID,
    MESSAGE_DIGEST_OBJID,
    SPC_INDIRECT_DATA_OBJID,
    SPC_PE_IMAGE_DATA_OBJID,
    SPC_SP_OPUS_INFO_OBJID,
    SpcIndirectDataContent,
    SpcPeImageData,
    SpcSpOpusInfo,
)
from hfstage.cab.hashes import HASH_NAMES

# Signature algorithms a signer may name: plain RSA, <hash>WithRSA, ECDSA (RFC 3279, 5758).
_RSA = {"1.2.840.113549.1.1.1": None, "1.2.840.113549.1.1.2": "md2", "1.2.840.113549.1.1.4": "md5",
        "1.2.840.113549.1.1.5": "sha1", "1.3.14.3.2.29": "sha1", "1.2.840.113549.1.1.11": "sha256",
        "1.2.840.113549.1.1.12": "sha384", "1.2.840.113549.1.1.13": "sha512"}
_ECDSA = {"1.2.840.10045.4.1": "sha1", "1.2.840.10045.4.3.2": "sha256", "1.2.840.10045.4.3.3": "sha384",
          "1.2.840.10045.4.3.4": "sha512"}
_NO_PARAMETERS = (b"", b"\x05\x00")  # absent, or NULL


class Refused(Exception):
    """Verification cannot go on; the message becomes the verdict's reason."""


@dataclass(frozen=True)
class Signer:
    """A SignerInfo with its attributes as OID -> DER of each value (nothing else parsed)."""

    info: cms.SignerInfo
    signed: dict[str, list[bytes]]
    unsigned: dict[str, list[bytes]]
    digest_algorithm: str

    def one(self, oid: str, what: str) -> bytes | None:
        """The single value of signed attribute OID; two values (or two attributes) is a refusal."""
        values = self.signed.get(oid, [])
        if len(values) > 1:
            raise Refused(f"signer carries {len(values)} {what} values; a signature has exactly one")
        return values[0] if values else None


def _attributes(attrs, where: str) -> dict[str, list[bytes]]:
    out: dict[str, list[bytes]] = {}
    for attr in attrs or []:
        oid = attr["type"].dotted
        # .dump() of each value is its stored DER: nothing is parsed or re-encoded
        out.setdefault(oid, []).extend(value.dump() for value in attr["values"])
    return out


def _der_length(blob: bytes) -> int:
    _, _, _, header, contents, trailer = asn1_parser.parse(blob)
    return len(header) + len(contents) + len(trailer)


def load_signed_data(blob: bytes) -> cms.SignedData:
    """The SignedData inside BLOB; the padding after it must be zeros."""
    try:
        used = _der_length(blob)
        info = cms.ContentInfo.load(blob[:used])
        if info["content_type"].native != "signed_data":
            raise Refused(f"signature blob holds {info['content_type'].native}, not PKCS#7 SignedData")
        signed = info["content"]
        if signed["version"].native != "v1":
            raise Refused(f"SignedData version {signed['version'].native} is not Authenticode's v1")
    except Refused:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as e:
        raise Refused(f"signature blob is not valid PKCS#7: {str(e).splitlines()[0]}") from e
    if blob[used:].strip(b"\0"):
        raise Refused(f"the {len(blob) - used} bytes padding the signature blob are not zeros: it was altered")
    return signed


def indirect_data(signed: cms.SignedData) -> tuple[SpcIndirectDataContent, bytes]:
    """The SpcIndirectDataContent and its contents octets (what messageDigest covers)."""
    encap = signed["encap_content_info"]
    if encap["content_type"].dotted != SPC_INDIRECT_DATA_OBJID:
        raise Refused(f"signed content is {encap['content_type'].dotted}, not SpcIndirectDataContent")
    try:
        raw = encap["content"].dump()
        if raw[:1] == b"\xa0":  # asn1crypto keeps the [0] EXPLICIT wrapper on unknown content
            raw = asn1_parser.parse(raw)[4]
        content = SpcIndirectDataContent.load(raw, strict=True)
        _ = content["message_digest"].native  # every field of it is needed: parse it all now
        data = content["data"]
        value = data["value"]
        if data["type"].dotted == SPC_PE_IMAGE_DATA_OBJID and value.contents is not None:
            _ = SpcPeImageData.load(value.dump(), strict=True).native
        else:
            _ = data.native
    except (ValueError, TypeError, KeyError) as e:
        raise Refused(f"SpcIndirectDataContent is malformed: {str(e).splitlines()[0]}") from e
    _check_algorithm(content["message_digest"]["digest_algorithm"], "content digest algorithm")
    return content, content.contents


def hash_name(algorithm) -> str:
    """'md5', 'sha1' ... for a DigestAlgorithm; refused when unknown or with odd parameters."""
    _check_algorithm(algorithm, "digest algorithm")
    name = algorithm["algorithm"].native
    if name not in HASH_NAMES:
        raise Refused(f"digest algorithm {name} is not supported")
    return name


def _check_algorithm(algorithm, what: str) -> None:
    if algorithm["parameters"].dump() not in _NO_PARAMETERS:
        raise Refused(f"{what} carries unexpected parameters")


def read_signer(info: cms.SignerInfo, what: str = "signer") -> Signer:
    """One SignerInfo: checks the fields no signature covers, keeps attributes as DER."""
    try:
        if info["version"].native != "v1" or info["sid"].name != "issuer_and_serial_number":
            raise Refused(f"{what} is not identified by issuer and serial number (version "
                          f"{info['version'].native}); Authenticode signers are")
        digest_algorithm = hash_name(info["digest_algorithm"])
        _check_signature_algorithm(info["signature_algorithm"], digest_algorithm, what)
        signed = _attributes(info["signed_attrs"], what)
        unsigned = _attributes(info["unsigned_attrs"], what)
    except Refused:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as e:
        raise Refused(f"{what} is malformed: {str(e).splitlines()[0]}") from e
    if not signed:
        raise Refused(f"{what} has no signed attributes")
    return Signer(info, signed, unsigned, digest_algorithm)


def _check_signature_algorithm(algorithm, digest_algorithm: str, what: str) -> None:
    oid = algorithm["algorithm"].dotted
    if oid in _ECDSA:
        paired = _ECDSA[oid]
    elif oid in _RSA:
        paired = _RSA[oid]
        _check_algorithm(algorithm, f"{what}'s signature algorithm")
    else:
        raise Refused(f"{what}'s signature algorithm {oid} is not RSA or ECDSA")
    if paired is not None and paired != digest_algorithm:
        raise Refused(f"{what}'s signature algorithm ({paired}) disagrees with its digest algorithm "
                      f"({digest_algorithm})")


def check_content_type(signer: Signer, expected: str, what: str) -> None:
    """RFC 5652: signed attributes carry contentType, equal to the signed content's type."""
    raw = signer.one(CONTENT_TYPE_OBJID, "contentType")
    try:
        found = core.ObjectIdentifier.load(raw, strict=True).dotted if raw is not None else None
    except ValueError as e:
        raise Refused(f"{what}'s contentType attribute is malformed") from e
    if found != expected:
        raise Refused(f"{what}'s contentType attribute is {found}, not {expected}")


def message_digest(signer: Signer) -> bytes | None:
    raw = signer.one(MESSAGE_DIGEST_OBJID, "messageDigest")
    try:
        return core.OctetString.load(raw, strict=True).native if raw is not None else None
    except ValueError as e:
        raise Refused(f"messageDigest attribute is malformed: {e}") from e


def opus_info(signer: Signer) -> tuple[str | None, str | None]:
    """(program name, more-info URL) from SpcSpOpusInfo; (None, None) when absent or unreadable.

    Display only: the signature already covers the attribute's bytes.
    """
    raw = signer.signed.get(SPC_SP_OPUS_INFO_OBJID, [None])[0]
    if raw is None:
        return None, None
    try:
        info = SpcSpOpusInfo.load(raw)
        name = info["program_name"].native if info["program_name"] else None
        link = info["more_info"]
        url = link.native if link and link.name == "url" else (
            link.chosen.native if link and link.name == "file" else None)
    except (ValueError, TypeError, KeyError):
        return None, None
    return _clean(name), _clean(url)


def bag_certificates(signed: cms.SignedData) -> list[x509.Certificate]:
    """Every certificate in the blob's bag; one that does not parse completely is a refusal."""
    certs = []
    for index, choice in enumerate(signed["certificates"] or []):
        if choice.name != "certificate":
            continue  # attribute certificates and the like: not used by Authenticode
        try:
            _check_certificate_envelope(choice.chosen, index)
            with warnings.catch_warnings():  # a damaged name attribute warns before it fails
                warnings.simplefilter("ignore")
                cert = x509.load_der_x509_certificate(choice.chosen.dump())
                _ = (cert.subject, cert.issuer, cert.public_key(), cert.not_valid_after_utc, cert.extensions)
        except (ValueError, TypeError) as e:
            raise Refused(f"certificate {index + 1} in the signature is damaged: {str(e).splitlines()[0]}") from e
        except Exception as e:  # noqa: BLE001 - cryptography raises many kinds for a damaged field
            raise Refused(f"certificate {index + 1} in the signature is damaged: {type(e).__name__}") from e
        certs.append(cert)
    return certs


def _check_certificate_envelope(cert, index: int) -> None:
    """The parts of a certificate outside what its issuer signed: both algorithm fields agree
    (RFC 5280 4.1.1.2) and the signature BIT STRING has no unused bits."""
    if cert["tbs_certificate"]["signature"].dump() != cert["signature_algorithm"].dump():
        raise Refused(f"certificate {index + 1} in the signature names two different signature algorithms")
    if cert["signature_value"].contents[:1] != b"\x00":
        raise Refused(f"certificate {index + 1} in the signature has a malformed signature value")


def _clean(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
