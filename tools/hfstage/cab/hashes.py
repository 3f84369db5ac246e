"""Digests and signature checks by algorithm name, MD2 included.

Certificates of the 1990s were signed with md2WithRSAEncryption (VeriSign's Commercial
Software Publishers CA issued Authenticode leaves that way until about 2000). OpenSSL 3
no longer computes MD2, so the hash comes from pycryptodome; every RSA check, MD2 or
not, compares the recovered payload itself (pkcs1.py: DigestInfo or bare digest).
"""

from __future__ import annotations

import hashlib

from Crypto.Hash import MD2
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from hfstage.cab.pkcs1 import rsa_signature_valid

_HASHLIB = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
            "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_CRYPTOGRAPHY = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256,
                 "sha384": hashes.SHA384, "sha512": hashes.SHA512}
HASH_NAMES = ("md2", *_HASHLIB)
# Signature algorithm OIDs cryptography does not map to a hash: the RSA ones of the era.
SIGNATURE_OID_HASHES = {
    "1.2.840.113549.1.1.2": "md2",  # md2WithRSAEncryption
    "1.2.840.113549.1.1.4": "md5",
    "1.2.840.113549.1.1.5": "sha1",
    "1.3.14.3.2.29": "sha1",  # the old OIW sha1WithRSA
}


def digest(name: str, data: bytes) -> bytes:
    """The NAME digest of DATA (NAME is one of HASH_NAMES)."""
    if name == "md2":
        return MD2.new(data).digest()
    return _HASHLIB[name](data).digest()


def verify_signature(key, signature: bytes, data: bytes, name: str) -> bool:
    """True when SIGNATURE over DATA verifies with KEY (RSA PKCS#1 v1.5 or ECDSA) and hash NAME."""
    try:
        if isinstance(key, rsa.RSAPublicKey):
            return rsa_signature_valid(key, signature, name, digest(name, data))
        if isinstance(key, ec.EllipticCurvePublicKey) and name in _CRYPTOGRAPHY:
            key.verify(signature, data, ec.ECDSA(_CRYPTOGRAPHY[name]()))
            return True
        return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, KeyError):
        return False
