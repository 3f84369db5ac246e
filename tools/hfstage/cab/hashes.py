"""Digests and signature checks by algorithm name, MD2 included.

Certificates of the 1990s were signed with md2WithRSAEncryption (VeriSign's Commercial
Software Publishers CA issued Authenticode leaves that way until about 2000). OpenSSL 3
no longer computes MD2, so the hash comes from pycryptodome and the RSA PKCS#1 v1.5
check compares the recovered DigestInfo with the expected one.
"""

from __future__ import annotations

import hashlib

from Crypto.Hash import MD2
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

_HASHLIB = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256,
            "sha384": hashlib.sha384, "sha512": hashlib.sha512}
_CRYPTOGRAPHY = {"md5": hashes.MD5, "sha1": hashes.SHA1, "sha256": hashes.SHA256,
                 "sha384": hashes.SHA384, "sha512": hashes.SHA512}
HASH_NAMES = ("md2", *_HASHLIB)
# DER of DigestInfo's AlgorithmIdentifier for MD2 (RFC 8017 section 9.2, note 1) and the
# OCTET STRING header of its 16-byte digest.
_MD2_DIGEST_INFO = bytes.fromhex("3020300c06082a864886f70d020205000410")
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
        if name == "md2":
            if not isinstance(key, rsa.RSAPublicKey):
                return False
            recovered = key.recover_data_from_signature(signature, padding.PKCS1v15(), None)
            return recovered == _MD2_DIGEST_INFO + digest("md2", data)
        algorithm = _CRYPTOGRAPHY[name]()
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm))
        else:
            return False
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError, KeyError):
        return False
    return True
