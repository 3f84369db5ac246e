"""RSA PKCS#1 v1.5 signatures as the signers of 1996-2010 made them: DigestInfo, or the bare digest.

RFC 8017 (section 8.2) puts a DigestInfo (algorithm identifier and digest) inside the
padded block. The VeriSign Time Stamping Service signed its PKCS#9 counterSignatures
with the bare 16-byte MD5 digest instead (CryptoAPI's CRYPT_NOHASHOID form), and
Windows and osslsigncode accept both. Every RSA check in hfstage.cab (content
signatures, timestamps, certificate chains, PE files) comes here, so both forms are
accepted everywhere and nothing else is: the recovered payload must equal one of the
two expected byte strings exactly.
"""

from __future__ import annotations

import hmac

from asn1crypto import core
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hfstage.cab.asn1 import DigestInfo


def digest_info(name: str, digest: bytes) -> bytes:
    """DER DigestInfo of DIGEST under hash NAME, parameters NULL (RFC 8017 section 9.2, note 1)."""
    algorithm = {"algorithm": name, "parameters": core.Null()}
    return DigestInfo({"digest_algorithm": algorithm, "digest": digest}).dump()


def signed_payload(key: rsa.RSAPublicKey, signature: bytes) -> bytes | None:
    """What KEY's owner put inside SIGNATURE's PKCS#1 v1.5 block, or None when it is no such block.

    OpenSSL checks the block (00 01, eight or more FF, 00); the signature must be exactly
    the modulus's length, as RFC 8017 section 8.2.2 step 1 asks.
    """
    if len(signature) != (key.key_size + 7) // 8:
        return None
    try:
        return key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError):
        return None


def rsa_signature_valid(key: rsa.RSAPublicKey, signature: bytes, name: str, digest: bytes) -> bool:
    """True when SIGNATURE carries DIGEST (hash NAME) as a DigestInfo or bare; compared in constant time."""
    payload = signed_payload(key, signature)
    if payload is None:
        return False
    wrapped = hmac.compare_digest(payload, digest_info(name, digest))
    bare = hmac.compare_digest(payload, digest)
    return wrapped or bare
