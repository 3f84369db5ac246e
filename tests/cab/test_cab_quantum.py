"""Quantum, decoded in pure Python (hfstage.cab.quantum), against libmspack's decoder.

No Debian tool writes Quantum, so tests/data/quantum_encoder.py does (from hfstage's own
models). That alone would prove only that encoder and decoder agree; here every stream is
also decoded by cabextract, an independent implementation, and both must give back the data:
streams of literals and matches of every length, far and overlapping, across 32 KiB frames,
with windows from 2^10 to 2^21. Damaged streams must end in a QuantumError, never a crash
or a quietly short file.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfstage.cab.extract import extract_cabinet, read_cabinet
from hfstage.cab.folders import folder_data
from hfstage.cab.quantum import FRAME, QuantumError, decode_folder, new_models
from hfstage.errors import HfstageError
from tests.conftest import CABS
from tests.data.cabwriter import write_cab
from tests.data.quantum_encoder import _code_match, _FrameCoder, encode

needs_cabextract = pytest.mark.skipif(shutil.which("cabextract") is None, reason="cabextract not installed")


def _sample(seed: int, size: int) -> bytes:
    """Runs of fresh bytes and copies of earlier ones, near and far, short and long (overlaps too)."""
    rng, out = random.Random(seed), bytearray()
    while len(out) < size:
        if out and rng.random() < 0.6:
            start = rng.randrange(len(out))
            length = rng.choice([3, 4, 5, 6, 20, 100, 259, 600])
            out += (out[start:] * (length // max(1, len(out) - start) + 1))[:length]
        else:
            out += bytes(rng.choice(b"etaoin shrdlu\r\n\x00\xff") if rng.random() < 0.8 else rng.randrange(256)
                         for _ in range(rng.randint(1, 40)))
    return bytes(out[:size])


@needs_cabextract
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32), size=st.sampled_from([1, 2, 3, 700, FRAME - 1, FRAME, FRAME + 5, 70000]),
       window_bits=st.sampled_from([10, 11, 15, 16, 19, 21]))
def test_decodes_what_libmspack_decodes(tmp_path_factory, seed, size, window_bits):
    data = _sample(seed, size)
    cab = tmp_path_factory.mktemp("q") / "q.cab"
    write_cab(cab, [(f"quantum{window_bits}", [(data, "data.bin")])])
    theirs = subprocess.run(["cabextract", "-q", "-p", str(cab)], capture_output=True, check=True).stdout
    buf, layout = read_cabinet(cab)
    ours = folder_data(buf, layout.folders[0], size, str(cab))
    assert ours == theirs == data


def _stream(steps) -> bytes:
    """One frame coded by hand: STEPS are ('literal', byte) or ('match', length, offset)."""
    coder, models = _FrameCoder(), new_models(16)
    for step in steps:
        if step[0] == "literal":
            coder.symbol(models[8], step[1] >> 6)
            coder.symbol(models[step[1] >> 6], step[1])
        else:
            _code_match(coder, models, step[1], step[2])
    return coder.finish()


def test_match_before_the_start_is_refused():
    """libmspack copies whatever its window held (garbage); hfstage refuses the stream."""
    stream = _stream([("literal", 65), ("literal", 66), ("match", 5, 100)])
    with pytest.raises(QuantumError, match="reaches 100 bytes back, before the data"):
        decode_folder([stream], 16, 7)


def test_match_past_the_frame_end_is_refused():
    """A match may not cross a 32 KiB frame boundary (libmspack: 'overshot frame alignment')."""
    stream = _stream([("literal", 65)] + [("match", 259, 1)] * 126 + [("match", 40, 1)])
    assert decode_folder([stream], 16, 1 + 126 * 259 + 40) == b"A" * (1 + 126 * 259 + 40)
    stream = _stream([("literal", 65)] + [("match", 259, 1)] * 127)
    with pytest.raises(QuantumError, match="runs past the end of its 32 KiB frame"):
        decode_folder([stream], 16, 1 + 127 * 259)


def test_stream_that_ends_early_is_refused():
    blocks = encode(_sample(7, 2 * FRAME), 16)
    with pytest.raises(QuantumError):  # garbage from the cut on: whichever check trips first
        decode_folder([blocks[0][0][:100]], 16, FRAME)
    with pytest.raises(QuantumError, match="ends before the folder's last byte"):
        decode_folder([blocks[0][0]], 16, 2 * FRAME)


def test_window_outside_quantums_range_is_refused():
    with pytest.raises(QuantumError, match="window of 2\\^9 bytes"):
        decode_folder([b""], 9, 1)


def _without_checksums(data: bytes) -> bytearray:
    """DATA with every CFDATA checksum zeroed, so that damage reaches the decoder itself."""
    out = bytearray(data)
    for folder in range(struct.unpack_from("<H", out, 26)[0]):
        pos, blocks = struct.unpack_from("<IH", out, 36 + 8 * folder)
        for _ in range(blocks):
            struct.pack_into("<I", out, pos, 0)
            pos += 8 + struct.unpack_from("<H", out, pos + 4)[0]
    return out


QUANTUM_CAB = _without_checksums((CABS / "classes" / "cp-cp1252.cab").read_bytes())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, len(QUANTUM_CAB) - 1), st.integers(1, 255)), min_size=1, max_size=4))
def test_damaged_quantum_data_only_raises_project_errors(tmp_path_factory, flips):
    data = bytearray(QUANTUM_CAB)
    for at, xor in flips:
        data[max(at, len(data) - 3500)] ^= xor  # mostly inside the Quantum stream
    work = tmp_path_factory.mktemp("q")
    (work / "q.cab").write_bytes(bytes(data))
    try:
        members = extract_cabinet(work / "q.cab", work / "out")
    except HfstageError:
        assert sorted(p.name for p in work.iterdir()) == ["q.cab"]
    else:
        assert all(m.path.stat().st_size == m.size for m in members)
