"""Authenticode ASN.1 structures that asn1crypto does not define (names from the spec)."""

from __future__ import annotations

from asn1crypto import algos, core

SPC_INDIRECT_DATA_OBJID = "1.3.6.1.4.1.311.2.1.4"
SPC_CAB_DATA_OBJID = "1.3.6.1.4.1.311.2.1.25"


class SpcAttributeTypeAndOptionalValue(core.Sequence):
    _fields = [
        ("type", core.ObjectIdentifier),
        ("value", core.Any, {"optional": True}),
    ]


class DigestInfo(core.Sequence):
    _fields = [
        ("digest_algorithm", algos.DigestAlgorithm),
        ("digest", core.OctetString),
    ]


class SpcIndirectDataContent(core.Sequence):
    _fields = [
        ("data", SpcAttributeTypeAndOptionalValue),
        ("message_digest", DigestInfo),
    ]
