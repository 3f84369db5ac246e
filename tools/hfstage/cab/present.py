"""Text views of cabinets and verification results for the CLI."""

from __future__ import annotations

from hfstage.cab.authenticode import VerifyResult
from hfstage.cab.structures import CabinetLayout


def members_json(layout: CabinetLayout) -> dict:
    return {
        "folders": [{"index": f.index, "compression": f.compression, "data_blocks": f.data_blocks,
                     "compressed_size": f.compressed_size, "uncompressed_size": f.uncompressed_size}
                    for f in layout.folders],
        # name_is_utf8 false: the name's bytes are in an unrecorded code page, shown one Latin-1 character each
        "members": [{"name": m.name, "name_is_utf8": m.utf8, "size": m.size, "folder": m.folder}
                    for m in layout.members],
        "signed": layout.signature is not None,
    }


def verify_text(r: VerifyResult) -> str:
    verdict = "OK: signed, intact and trusted" if r.ok else "NOT TRUSTED"
    lines = [f"{r.file}: {verdict}"]
    if r.signed:
        lines += [
            f"  digest:    {r.digest_algorithm or '?'} {'matches' if r.digest_matches else 'DOES NOT MATCH'}",
            f"  signature: {'valid' if r.signature_valid else 'INVALID'}",
            f"  signer:    {r.signer or '?'}" + (f" ({r.signer_subject})" if r.signer_subject != r.signer else ""),
            f"  program:   {r.program_name or '-'}" + (f" <{r.more_info_url}>" if r.more_info_url else ""),
            f"  timestamp: {r.timestamp or 'none'}",
        ]
        lines += [f"  chain[{i}]:  {s}" for i, s in enumerate(r.chain)]
    lines += [f"  problem:   {reason}" for reason in r.reasons]
    return "\n".join(lines)
