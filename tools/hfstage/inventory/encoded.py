"""A machine's facts and remembered raw facts encoded once, as their files hold them.

The facts file (state\\facts\\<MACHINE>.json) holds the facts as JSON with sorted keys (share.jsonio's form),
and its entry the facts hash (`facts_digest`). A worker that read the machine encodes it, in parallel, and the
parent only writes. Their readers keep the stdlib's json.loads: facts can hold an integer beyond 64 bits (a
hostile .reg export's value), which it reads back exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfstage.inventory.facts import MachineFacts
from hfstage.share import PRIVATE, fingerprint, jsonio, write_if_changed

LABEL = "catalog_version"  # which catalog the facts were projected under: a label, not what they say


@dataclass(frozen=True)
class Encoded:
    """One machine's facts with their JSON text and hash, and its raw facts as RawStore keeps them."""

    facts: MachineFacts
    text: str  # the facts as JSON (jsonio.dumps): what the facts file holds
    digest: str  # the facts hash: facts_digest(facts.to_dict())
    raw: bytes | None = None  # RawStore's file for the machine, or None: nothing kept
    written: bool = False  # both files already written (FactsFiles.write), by the worker that read the machine

    def facts_file(self, key: str) -> bytes:
        """The facts file: jsonio.dumps({"key", "hash", "facts"}), the facts text not made again."""
        return f'{{"facts":{self.text},"hash":{_text(self.digest)},"key":{_text(key)}}}'.encode()


@dataclass(frozen=True)
class FactsFiles:
    """Where a machine's facts file (state\\facts) and remembered raw facts (state\\raw-facts) are written: by the
    worker that read it, or by the parent for a machine projected, read here or whose reading killed its worker."""

    facts: Path
    raw: Path

    def write(self, machine: str, key: str, made: Encoded) -> None:
        """MADE's facts file (for the facts memo's KEY) and its raw facts if any; remembered, not kept: lost in a
        power cut, they are only read again (the memos vouch for them only once the run commits)."""
        write_if_changed(self.facts / f"{machine}.json", made.facts_file(key), PRIVATE, sync_dir=False,
                         durable=False)
        if made.raw is not None:
            write_if_changed(self.raw / f"{machine}.json", made.raw, PRIVATE, sync_dir=False, durable=False)


def encode_parts(facts: MachineFacts, raw: dict | None) -> tuple[dict, str, str, bytes | None]:
    """(facts as a dict, their JSON text, its hash, the raw facts' file): what a worker hands back."""
    data = facts.to_dict()
    text = jsonio.dumps(data).decode()
    raw_file = jsonio.dumps(raw) if raw is not None else None
    return data, text, facts_digest(data), raw_file


def _text(value: str) -> str:
    """VALUE as a JSON string, as jsonio writes it (facts_file joins its parts)."""
    return jsonio.dumps(value).decode()


def facts_digest(data: dict) -> str:
    """The facts hash: what the facts say, without the label of the catalog they were projected under. A new
    catalog that leaves a machine's facts as they were leaves its hash too, so what is keyed on the facts alone
    (its report page) is not made again; what also depends on the catalog keys on the catalog as well (the
    scan's input key holds its fingerprint)."""
    return fingerprint({k: v for k, v in data.items() if k != LABEL})


def encode(facts: MachineFacts, raw: dict | None = None) -> Encoded:
    """FACTS and RAW encoded in this process (a few machines read here, projected, or died)."""
    _, text, digest, raw_file = encode_parts(facts, raw)
    return Encoded(facts, text, digest, raw_file)


def decode(parts: tuple[dict, str, str, bytes | None], written: bool = False) -> Encoded:
    """What a worker handed back (encode_parts), with the facts as MachineFacts again; WRITTEN: the worker wrote
    the files too."""
    data, text, digest, raw_file = parts
    return Encoded(MachineFacts.from_dict(data), text, digest, raw_file, written)
