"""Authenticode verification of cabinets signed by osslsigncode with the test PKI."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import struct
import subprocess

import pytest

from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.trust import load_trust
from tests.conftest import CABS, PKI


@pytest.fixture
def trust(tmp_path):
    folder = tmp_path / "trust"
    folder.mkdir()
    shutil.copyfile(PKI / "root.pem", folder / "root.pem")
    return load_trust(folder)


def _sigpos(data: bytes) -> tuple[int, int]:
    return struct.unpack_from("<II", data, 44)


@pytest.mark.parametrize("algorithm", ["sha256", "sha1", "md5"])
def test_signed_and_anchored_is_trusted(trust, algorithm):
    r = verify_cabinet(CABS / f"signed-{algorithm}.cab", trust)
    assert r.ok, r.reasons
    assert (r.signed, r.digest_matches, r.signature_valid, r.trusted) == (True, True, True, True)
    assert r.digest_algorithm == algorithm
    assert r.signer == "hfstage Test Catalog Signer"
    assert r.signer_subject == "O=hfstage test,CN=hfstage Test Catalog Signer"
    assert r.chain == [
        "O=hfstage test,CN=hfstage Test Catalog Signer",
        "O=hfstage test,CN=hfstage Test Intermediate CA",
        "O=hfstage test,CN=hfstage Test Root CA",
    ]
    assert r.reasons == []


def test_der_anchor_is_accepted(tmp_path):
    folder = tmp_path / "trust"
    folder.mkdir()
    shutil.copyfile(PKI / "root.der", folder / "root.der")
    assert verify_cabinet(CABS / "signed-sha256.cab", load_trust(folder)).ok


def test_without_anchors_a_valid_signature_is_untrusted():
    r = verify_cabinet(CABS / "signed-sha256.cab", load_trust(None))
    assert r.signature_valid and r.digest_matches and not r.trusted and not r.ok
    assert any("not among the trust anchors" in reason for reason in r.reasons)


def _flip(tmp_path, offset: int):
    data = bytearray((CABS / "signed-sha256.cab").read_bytes())
    data[offset] ^= 0x01
    path = tmp_path / f"flipped-{offset}.cab"
    path.write_bytes(bytes(data))
    return path


def test_a_byte_flipped_anywhere_in_the_digested_range_is_refused(tmp_path, trust):
    data = (CABS / "signed-sha256.cab").read_bytes()
    sig_offset, _ = _sigpos(data)
    # CFHEADER fields that are hashed, CFFOLDER, CFFILE, every 97th data byte, the last byte
    offsets = [0, 3, 8, 16, 24, 26, 28, 32, 33, 56, 60, 70] + list(range(80, sig_offset, 97)) + [sig_offset - 1]
    for offset in offsets:
        path = _flip(tmp_path, offset)
        try:
            r = verify_cabinet(path, trust)
        except Exception as e:  # a flip may make the cabinet itself unreadable: also a refusal
            assert type(e).__module__.startswith("hfstage"), (offset, e)
            continue
        assert not r.ok, f"flip at 0x{offset:x} went unnoticed"
        assert not r.digest_matches, offset


def test_bytes_outside_the_digest_do_not_change_the_digest(tmp_path, trust):
    # reserved1 (bytes 4-7) is excluded from the Authenticode digest by design
    r = verify_cabinet(_flip(tmp_path, 5), trust)
    assert r.digest_matches and r.ok


def test_truncated_signature_blob_is_refused(tmp_path, trust):
    data = (CABS / "signed-sha256.cab").read_bytes()
    path = tmp_path / "trunc.cab"
    path.write_bytes(data[:-200])
    from hfstage.errors import InputError

    with pytest.raises(InputError, match="truncated"):
        verify_cabinet(path, trust)


def test_damaged_signature_blob_is_refused(tmp_path, trust):
    data = bytearray((CABS / "signed-sha256.cab").read_bytes())
    sig_offset, length = _sigpos(bytes(data))
    data[sig_offset + length // 2] ^= 0xFF  # inside the certificates or signature value
    path = tmp_path / "damaged.cab"
    path.write_bytes(bytes(data))
    assert not verify_cabinet(path, trust).ok


def test_signature_swapped_from_another_cabinet_is_refused(tmp_path, trust):
    """The SHA-1 cabinet's signature spliced onto the multi-folder cabinet's content."""
    donor = (CABS / "signed-sha1.cab").read_bytes()
    d_off, d_len = _sigpos(donor)
    victim = (CABS / "signed-lzx.cab").read_bytes()
    v_off, _ = _sigpos(victim)
    spliced = bytearray(victim[:v_off] + donor[d_off:d_off + d_len])
    struct.pack_into("<I", spliced, 48, d_len)
    path = tmp_path / "swapped.cab"
    path.write_bytes(bytes(spliced))
    r = verify_cabinet(path, trust)
    assert r.signed and not r.digest_matches and not r.ok


def test_untrusted_anchor_is_refused(trust):
    r = verify_cabinet(CABS / "signed-rogue.cab", trust)
    assert r.signature_valid and r.digest_matches and not r.trusted
    assert "Rogue Root CA" in " ".join(r.reasons)


def test_unsigned_cabinet_is_refused(trust):
    r = verify_cabinet(CABS / "unsigned.cab", trust)
    assert not r.signed and not r.ok
    assert r.reasons == ["cabinet is not signed (no reserve area in the header)"]


def test_reserve_area_without_signature_is_refused(trust):
    r = verify_cabinet(CABS / "reserved-unsigned.cab", trust)
    assert not r.signed and not r.ok
    assert r.reasons == ["cabinet has a 6144-byte reserve area but no signature"]


def test_expired_leaf_without_timestamp_is_refused(trust):
    r = verify_cabinet(CABS / "signed-expired.cab", trust)
    assert r.signature_valid and not r.trusted and r.timestamp is None
    assert any("expired 2005-12-31" in reason and "no valid timestamp" in reason for reason in r.reasons)


def test_expired_leaf_with_timestamp_from_its_validity_is_trusted(trust):
    r = verify_cabinet(CABS / "signed-expired-timestamped.cab", trust)
    assert r.ok, r.reasons
    assert r.timestamp == "2005-01-01T00:00:00+00:00"


def test_without_timestamp_validity_is_judged_at_the_given_time(trust):
    """The same expired-leaf signature, judged in 2003 while the leaf was valid, is trusted."""
    r = verify_cabinet(CABS / "signed-expired.cab", trust, now=dt.datetime(2003, 1, 1, tzinfo=dt.timezone.utc))
    assert r.ok


def test_publishers_file_restricts_signers(tmp_path):
    folder = tmp_path / "trust"
    folder.mkdir()
    shutil.copyfile(PKI / "root.pem", folder / "root.pem")
    (folder / "publishers.txt").write_text("# allowed\nSomeone Else\n")
    r = verify_cabinet(CABS / "signed-sha256.cab", load_trust(folder))
    assert not r.ok and "not listed in trust/publishers.txt" in r.reasons[-1]
    (folder / "publishers.txt").write_text("hfstage Test Catalog Signer\n")
    assert verify_cabinet(CABS / "signed-sha256.cab", load_trust(folder)).ok


def test_osslsigncode_agrees(trust):
    """An independent verifier gives the same verdicts on the fixtures."""
    if shutil.which("osslsigncode") is None:
        pytest.skip("osslsigncode not installed")
    for name, expect in [("signed-sha256.cab", True), ("signed-rogue.cab", False), ("unsigned.cab", False)]:
        proc = subprocess.run(["osslsigncode", "verify", "-CAfile", str(PKI / "root.pem"), "-in", str(CABS / name)],
                              capture_output=True, text=True)
        assert (proc.returncode == 0) == expect == verify_cabinet(CABS / name, trust).ok, name


def test_cli_verify_json_and_exit_codes(run, tmp_path):
    trust_dir = tmp_path / "t"
    trust_dir.mkdir()
    shutil.copyfile(PKI / "root.pem", trust_dir / "root.pem")
    code, out, _ = run("cab", "verify", CABS / "signed-sha256.cab", "--trust", trust_dir, "--json")
    data = json.loads(out)
    assert code == 0
    for key in ("signed", "digest_algorithm", "digest_matches", "signature_valid", "signer", "chain",
                "timestamp", "trusted", "reasons"):
        assert key in data
    assert data["trusted"] is True and data["timestamp"] is None
    code, out, _ = run("cab", "verify", CABS / "signed-sha256.cab", "--json")
    assert code == 5 and json.loads(out)["trusted"] is False
    code, out, _ = run("cab", "verify", CABS / "unsigned.cab", "--trust", trust_dir)
    assert code == 5 and "NOT TRUSTED" in out
    not_cab = tmp_path / "x.cab"
    not_cab.write_bytes(b"PK\x03\x04 not a cabinet at all, a zip perhaps" * 3)
    code, _, err = run("cab", "verify", not_cab)
    assert code == 3 and err.startswith(f"Error: {not_cab}: not a cabinet file")


def test_legacy_countersignature_timestamp_is_honoured(trust):
    """A PKCS#9 counterSignature (how 1999-2003 catalogs were timestamped), made by countersign.py
    and accepted by `osslsigncode verify` too."""
    r = verify_cabinet(CABS / "signed-expired-countersigned.cab", trust)
    assert r.ok, r.reasons
    assert r.timestamp == "2005-01-01T00:00:00+00:00"


def test_countersignature_from_an_untrusted_tsa_is_ignored(trust):
    r = verify_cabinet(CABS / "signed-expired-rogue-countersigned.cab", trust)
    assert not r.ok and r.timestamp is None
    assert any(reason.startswith("timestamp ignored: its signer does not chain to a trust anchor")
               for reason in r.reasons)
    assert any("expired 2005-12-31 (and the signature has no valid timestamp)" in reason for reason in r.reasons)


def test_osslsigncode_accepts_the_countersignature_fixture():
    if shutil.which("osslsigncode") is None:
        pytest.skip("osslsigncode not installed")
    proc = subprocess.run(["osslsigncode", "verify", "-CAfile", str(PKI / "root.pem"), "-TSA-CAfile",
                           str(PKI / "root.pem"), "-in", str(CABS / "signed-expired-countersigned.cab")],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "Timestamp time: Jan  1 00:00:00 2005 GMT" in proc.stdout
