"""Hostile cabinets: a signature lifted from another file, names that would escape the extraction folder, and
fuzzed cabinets and signature blobs. Every one is a refusal with the project's own one-line error; nothing
is written outside the extraction folder and nothing crashes.
"""

from __future__ import annotations

import pytest
from hypothesis import given

from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.extract import extract_cabinet, read_cabinet
from hfstage.cab.trust import load_trust
from hfstage.errors import HfstageError, UnsafeInputError
from tests.conftest import ATTACKS, CABS, EXAMPLES, FUZZ, mutations, one_line


def test_signature_of_another_file_is_refused(run, trusted_share):
    cab = ATTACKS / "cab" / "signature-of-another-file.cab"
    result = verify_cabinet(cab, load_trust(EXAMPLES / "trust"))
    assert result.signature_valid and not result.digest_matches and not result.ok
    code, _, err = run("catalog", "import", trusted_share.root, cab)
    assert code == 5 and "modified after signing" in err
    assert not [p for p in trusted_share.folder("catalogs").iterdir() if p.is_dir()]

@pytest.mark.parametrize("cab", sorted(p.name for p in (ATTACKS / "cab").glob("traversal-*.cab")))
def test_corpus_cabinets_with_escaping_names_write_nothing(tmp_path, cab):
    with pytest.raises(UnsafeInputError):
        extract_cabinet(ATTACKS / "cab" / cab, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []

@FUZZ
@given(mutations((CABS / "signed-sha256.cab").read_bytes()))
def test_mutated_cabinets_only_raise_project_errors(tmp_path_factory, mutated):
    work = tmp_path_factory.mktemp("cab")
    path = work / "m.cab"
    path.write_bytes(mutated)
    for action in (lambda: read_cabinet(path), lambda: verify_cabinet(path, load_trust(None)),
                   lambda: extract_cabinet(path, work / "out", max_bytes=10 * 1024 * 1024)):
        try:
            action()
        except HfstageError as e:
            one_line(e)
    assert {p.name for p in work.iterdir()} <= {"m.cab", "out"}

def test_every_damaged_byte_of_a_signature_blob_is_a_refusal_not_a_crash(tmp_path):
    """Found by bench/fuzz.py: certificates that load but fail later (public key, subject)."""
    import struct

    data = (CABS / "signed-sha256.cab").read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    trust = load_trust(EXAMPLES / "trust")
    path = tmp_path / "x.cab"
    accepted = []
    positions = range(offset, offset + length, 5)
    for pos in positions:
        damaged = bytearray(data)
        damaged[pos] ^= 0x5A
        path.write_bytes(bytes(damaged))
        if verify_cabinet(path, trust).ok:  # must not raise
            accepted.append(pos - offset)
    # Parts no signature covers may change (the outer digestAlgorithms set, padding), as with
    # Windows' own verifier; everything else must be refused.
    assert len(accepted) <= len(positions) // 20, accepted
