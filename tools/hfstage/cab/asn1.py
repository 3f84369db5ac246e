"""Authenticode ASN.1 structures that asn1crypto does not define (names from the spec)."""

from __future__ import annotations

from asn1crypto import algos, core

SPC_INDIRECT_DATA_OBJID = "1.3.6.1.4.1.311.2.1.4"
SPC_CAB_DATA_OBJID = "1.3.6.1.4.1.311.2.1.25"
SPC_PE_IMAGE_DATA_OBJID = "1.3.6.1.4.1.311.2.1.15"
SPC_STATEMENT_TYPE_OBJID = "1.3.6.1.4.1.311.2.1.11"
SPC_SP_OPUS_INFO_OBJID = "1.3.6.1.4.1.311.2.1.12"
CONTENT_TYPE_OBJID = "1.2.840.113549.1.9.3"
MESSAGE_DIGEST_OBJID = "1.2.840.113549.1.9.4"
SIGNING_TIME_OBJID = "1.2.840.113549.1.9.5"
COUNTER_SIGNATURE_OBJID = "1.2.840.113549.1.9.6"
MS_TIME_STAMP_TOKEN_OBJID = "1.3.6.1.4.1.311.3.3.1"
OLD_BASIC_CONSTRAINTS_OBJID = "2.5.29.10"


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


class SpcString(core.Choice):
    _alternatives = [
        ("unicode", core.BMPString, {"implicit": 0}),
        ("ascii", core.IA5String, {"implicit": 1}),
    ]


class SpcSerializedObject(core.Sequence):
    _fields = [
        ("class_id", core.OctetString),
        ("serialized_data", core.OctetString),
    ]


class SpcLink(core.Choice):
    _alternatives = [
        ("url", core.IA5String, {"implicit": 0}),
        ("moniker", SpcSerializedObject, {"implicit": 1}),
        ("file", SpcString, {"explicit": 2}),
    ]


class SpcSpOpusInfo(core.Sequence):
    """The signer's program name and "more info" link, as signing tools since 1996 wrote them."""

    _fields = [
        ("program_name", SpcString, {"explicit": 0, "optional": True}),
        ("more_info", SpcLink, {"explicit": 1, "optional": True}),
    ]


class SpcPeImageData(core.Sequence):
    """The data of a PE file's SpcIndirectDataContent: flags, and an obsolete link."""

    _fields = [
        ("flags", core.BitString, {"optional": True}),
        ("file", SpcLink, {"explicit": 0, "optional": True}),
    ]


class SubjectType(core.BitString):
    _map = {0: "ca", 1: "end_entity"}


class OldBasicConstraints(core.Sequence):
    """basicConstraints of the 1993 X.509 drafts (2.5.29.10): what Microsoft's and VeriSign's
    certificates of 1996-2002 say they are; CryptoAPI reads it as szOID_BASIC_CONSTRAINTS."""

    _fields = [
        ("subject_type", SubjectType),
        ("path_len_constraint", core.Integer, {"optional": True}),
        ("subtrees_constraint", core.Any, {"optional": True}),
    ]
