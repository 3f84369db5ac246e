"""Pinned trust anchors and certificate chains (no system store: the share decides)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hfstage.cab.asn1 import OLD_BASIC_CONSTRAINTS_OBJID, OldBasicConstraints
from hfstage.cab.hashes import SIGNATURE_OID_HASHES, verify_signature
from hfstage.errors import InputError, q

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".der"}
PUBLISHERS_FILE = "publishers.txt"
MAX_CHAIN = 10


@dataclass
class TrustStore:
    """Anchors pinned on the share, extra certificates, and allowed publisher names."""

    anchors: list[x509.Certificate] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)

    def is_anchor(self, cert: x509.Certificate) -> bool:
        return any(cert == a for a in self.anchors)


def load_certificates(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM or DER file; errors name the file."""
    data = Path(path).read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as e:
        raise InputError(f"{path}: not a PEM or DER certificate: {e}") from e


def load_trust(folder: Path | None) -> TrustStore:
    """The trust store in FOLDER (*.pem, *.crt, *.cer, *.der, publishers.txt)."""
    store = TrustStore()
    if folder is None:
        return store
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder}: trust folder does not exist")
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in CERT_SUFFIXES and path.is_file():
            store.anchors.extend(load_certificates(path))
    publishers = folder / PUBLISHERS_FILE
    if publishers.is_file():
        lines = publishers.read_text(encoding="utf-8", errors="replace").splitlines()
        store.publishers = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    return store


def subject_text(cert: x509.Certificate) -> str:
    return cert.subject.rfc4514_string()


def common_name(cert: x509.Certificate) -> str:
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else subject_text(cert)


def signature_hash_name(cert: x509.Certificate) -> str | None:
    """The hash CERT was signed with ('md2', 'md5', 'sha256' ...), or None when unknown."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return SIGNATURE_OID_HASHES.get(cert.signature_algorithm_oid.dotted_string)
    return algorithm.name if algorithm is not None else None


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """CERT names ISSUER as issuer and ISSUER's key signed it (MD2/MD5/SHA-1 certs included)."""
    if cert.issuer != issuer.subject:
        return False
    name = signature_hash_name(cert)
    if name is None:
        return False
    return verify_signature(issuer.public_key(), cert.signature, cert.tbs_certificate_bytes, name)


def _says_ca(cert: x509.Certificate) -> list[bool]:
    """What CERT's basicConstraints say about it being a CA: today's (2.5.29.19) and the 1993
    draft's (2.5.29.10, cA bit of subjectType), each when present; unreadable says no."""
    said = []
    for ext in cert.extensions:
        if isinstance(ext.value, x509.BasicConstraints):
            said.append(ext.value.ca)
        elif ext.oid.dotted_string == OLD_BASIC_CONSTRAINTS_OBJID:
            try:
                said.append("ca" in OldBasicConstraints.load(ext.value.value, strict=True)["subject_type"].native)
            except (ValueError, TypeError, AttributeError):
                said.append(False)
    return said


def ca_problem(issuer: x509.Certificate, subject: x509.Certificate, store: TrustStore) -> str | None:
    """Why ISSUER may not vouch for SUBJECT, or None when it may.

    A certificate that says what it is decides (all its basicConstraints must say CA). One that
    says nothing (X.509 v1, or v3 roots such as Microsoft Root Authority of 1997) is a CA only
    when pinned: RFC 5280 (4.2.1.9, 6.1) leaves that to an out-of-band decision, and the
    admin's trust folder is that decision. So a v1 intermediate is refused unless pinned, as
    OpenSSL does; otherwise any v1 end entity (VeriSign's v1 time-stamping certificate) could
    mint publishers.
    """
    said = _says_ca(issuer)
    who, whom = q(subject_text(issuer)), q(subject_text(subject))
    if said:
        return None if all(said) else f"{who} is not a CA but issued {whom}"
    if store.is_anchor(issuer):
        return None
    if issuer.version == x509.Version.v1:
        return (f"{who} is an X.509 v1 certificate, which cannot say it is a CA, but issued {whom}: "
                "pin it in the trust folder if it is one")
    return f"{who} is not a CA (it has no basicConstraints) but issued {whom}"


def build_chain(leaf: x509.Certificate, pool: list[x509.Certificate],
                store: TrustStore) -> tuple[list[x509.Certificate], bool, list[str]]:
    """Chain from LEAF up through POOL and the anchors; (chain, anchored, problems)."""
    chain = [leaf]
    problems: list[str] = []
    candidates = pool + store.anchors
    current = leaf
    while not store.is_anchor(current):
        if len(chain) > MAX_CHAIN:
            problems.append(f"certificate chain longer than {MAX_CHAIN}")
            return chain, False, problems
        issuer = next((c for c in candidates if c not in chain and issued_by(current, c)), None)
        if issuer is None:
            if current.issuer == current.subject and issued_by(current, current):
                problems.append(f"chain ends at self-signed {q(subject_text(current))}, "
                                "which is not a trust anchor on this share")
            else:
                problems.append(f"issuer {q(current.issuer.rfc4514_string())} of "
                                f"{q(subject_text(current))} is not among the trust anchors")
            return chain, False, problems
        problem = ca_problem(issuer, current, store)
        if problem:
            problems.append(problem)
            return chain, False, problems
        chain.append(issuer)
        current = issuer
    return chain, True, problems


def validity_problems(chain: list[x509.Certificate], when: dt.datetime) -> list[str]:
    """Certificates in CHAIN not valid at WHEN (UTC)."""
    problems = []
    for cert in chain:
        if when < cert.not_valid_before_utc:
            problems.append(f"{q(subject_text(cert))} not valid until {cert.not_valid_before_utc:%Y-%m-%d}")
        elif when > cert.not_valid_after_utc:
            problems.append(f"{q(subject_text(cert))} expired {cert.not_valid_after_utc:%Y-%m-%d}")
    return problems


def eku_problems(cert: x509.Certificate, wanted: x509.ObjectIdentifier) -> list[str]:
    """A leaf whose extended key usage is present but lacks WANTED."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return []
    if wanted in usages or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages:
        return []
    return [f"{q(subject_text(cert))} is not allowed to sign this (extended key usage lacks {wanted.dotted_string})"]


def _public_key_bytes(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives import serialization

    return cert.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _usages(cert: x509.Certificate) -> x509.ExtendedKeyUsage | None:
    try:
        return cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return None


def timestamp_purpose_problems(chain: list[x509.Certificate], content_chain: list[x509.Certificate]) -> list[str]:
    """Why CHAIN's leaf may not vouch for the time of a signature made by CONTENT_CHAIN's leaf (Windows' rule).

    A time-stamping certificate says so: extended key usage 1.3.6.1.5.5.7.3.8 (RFC 3161 §2.3), and no
    CA above it narrows its usages to others. The VeriSign Time Stamping Service certificates of 1997-1999
    predate that: X.509 v1, no extensions at all, under a root of their own (Windows pinned that root
    for time stamping alone). So a v1 leaf is taken only under an anchor other than the publisher's;
    a v3 leaf without the time-stamping usage (a code-signing certificate) never is; and a signer never
    vouches for the time of its own signature (same key)."""
    leaf, who = chain[0], q(subject_text(chain[0]))
    if _public_key_bytes(leaf) == _public_key_bytes(content_chain[0]):
        return [f"{who} signed the content itself: a signer cannot vouch for the time of its own signature"]
    if leaf.version == x509.Version.v1:
        if chain[-1] == content_chain[-1]:
            return [f"{who} is an X.509 v1 certificate under the publisher's own root, not a time-stamping service"]
        return []
    usages = _usages(leaf)
    if usages is None or ExtendedKeyUsageOID.TIME_STAMPING not in usages:
        return [f"{who} is not a time-stamping certificate (extended key usage lacks "
                f"{ExtendedKeyUsageOID.TIME_STAMPING.dotted_string})"]
    for ca in chain[1:]:
        found = _usages(ca)
        if found is not None and not {ExtendedKeyUsageOID.TIME_STAMPING,
                                      ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE} & set(found):
            return [f"{q(subject_text(ca))} above {who} allows no time stamping (extended key usage)"]
    return []
