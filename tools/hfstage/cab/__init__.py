"""Cabinets: bounds-checked directory parsing, safe extraction, Authenticode verification."""

from hfstage.cab.authenticode import VerifyResult, content_digest, verify_cabinet
from hfstage.cab.extract import DEFAULT_MAX_BYTES, ExtractedMember, extract_cabinet, read_cabinet, read_member
from hfstage.cab.pe_signature import verify_pe
from hfstage.cab.present import members_json, verify_text
from hfstage.cab.structures import CabinetLayout, CabMember, parse_layout
from hfstage.cab.trust import TrustStore, load_trust

__all__ = [
    "DEFAULT_MAX_BYTES", "CabMember", "CabinetLayout", "ExtractedMember", "TrustStore", "VerifyResult",
    "content_digest", "extract_cabinet", "load_trust", "members_json", "parse_layout", "read_cabinet",
    "read_member", "verify_cabinet", "verify_pe", "verify_text",
]
