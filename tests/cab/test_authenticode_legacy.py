"""Signatures as 1999-2003 signing tools wrote them: the real whip.cab and legacy-style fixtures.

whip.cab (../shared/fixtures/real) is a real cabinet signed in 1999: VeriSign leaf signed
with md2WithRSA, MD5 content digest, SpcSpOpusInfo and SpcStatementType signed attributes,
a PKCS#9 counterSignature, and the VeriSign roots inside its certificate bag. The legacy-*
fixtures (tests/data/make_legacy.sh) carry the same kinds of attributes, made by osslsigncode.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess

import pytest

from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.trust import load_trust
from tests.conftest import CABS, DATA, SHARED

WHIP = SHARED / "fixtures" / "real" / "whip.cab"
LEGACY_PKI = DATA / "pki-legacy"


@pytest.fixture(scope="module")
def whip():
    if not WHIP.is_file():
        pytest.skip(f"{WHIP} not present (../shared is not beside the project)")
    return WHIP


@pytest.fixture(scope="module")
def whip_roots(whip, tmp_path_factory):
    """The self-signed roots in whip.cab's bag, as `openssl pkcs7 -print_certs` lists them."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    data = whip.read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    folder = tmp_path_factory.mktemp("whip-trust")
    (folder.parent / "whip.p7").write_bytes(data[offset:offset + length].rstrip(b"\0"))
    listing = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-in", str(folder.parent / "whip.p7"),
                              "-print_certs"], capture_output=True, text=True, check=True).stdout
    blocks = listing.split("\n\n")
    roots = [b for b in blocks if "subject=" in b and b.split("subject=")[1].split("\n")[0].strip()
             == b.split("issuer=")[1].split("\n")[0].strip()]
    assert len(roots) == 2  # Commercial Software Publishers CA, Time Stamping Service Root
    for i, block in enumerate(roots):
        (folder / f"root{i}.pem").write_text(block.strip() + "\n")  # subject= line kept: PEM readers skip it
    return folder


def test_whip_without_anchors_is_intact_but_untrusted(whip, run):
    r = verify_cabinet(whip, load_trust(None))
    assert (r.signed, r.digest_algorithm, r.digest_matches, r.signature_valid) == (True, "md5", True, True)
    assert r.signer == "Autodesk" and not r.trusted and not r.ok
    assert r.program_name == "WHIP!" and r.more_info_url == "http://www.autodesk.com"
    code, out, _ = run("cab", "verify", whip)
    assert code == 5 and "NOT TRUSTED" in out and "signer:    Autodesk" in out


def test_whip_with_its_roots_pinned_is_trusted_at_its_countersignature_time(whip, whip_roots, run):
    code, out, err = run("cab", "verify", whip, "--trust", whip_roots, "--json")
    data = json.loads(out)
    assert code == 0, (data["reasons"], err)
    assert data["ok"] and data["signer"] == "Autodesk" and data["digest_algorithm"] == "md5"
    assert data["timestamp"] == "1999-10-15T16:38:56+00:00"
    assert data["program_name"] == "WHIP!" and data["more_info_url"] == "http://www.autodesk.com"
    assert data["chain"][-1] == "OU=VeriSign Commercial Software Publishers CA,O=VeriSign\\, Inc.,L=Internet"


def test_whip_with_only_the_publisher_root_pinned_has_no_timestamp(whip, whip_roots, tmp_path):
    """Without the time-stamping root the countersignature is not believed; the leaf expired in 2000."""
    folder = tmp_path / "t"
    folder.mkdir()
    for pem in whip_roots.iterdir():
        if "Time Stamping" not in pem.read_text():
            shutil.copyfile(pem, folder / pem.name)
    assert len(list(folder.iterdir())) == 1
    r = verify_cabinet(whip, load_trust(folder))
    assert not r.ok and r.timestamp is None
    assert any("timestamp ignored: its signer does not chain to a trust anchor" in x for x in r.reasons)
    assert any("expired 2000-09-15 (and the signature has no valid timestamp)" in x for x in r.reasons)


def _flips(path, trust, tmp_path, positions, mask=0x01) -> list[int]:
    data = path.read_bytes()
    target = tmp_path / "flipped.cab"
    accepted = []
    for pos in positions:
        damaged = bytearray(data)
        damaged[pos] ^= mask
        target.write_bytes(bytes(damaged))
        try:
            ok = verify_cabinet(target, trust).ok
        except Exception as e:  # an unreadable cabinet is a refusal too, if it is one of ours
            assert type(e).__module__.startswith("hfstage"), (pos, e)
            ok = False
        if ok:
            accepted.append(pos)
    return accepted


def test_whip_refused_after_a_flipped_byte_in_the_blob(whip, whip_roots, tmp_path):
    """Every 13th byte of the blob, and the bytes no signature covers that an earlier reader let pass:
    the names of bag certificates no chain uses, outer algorithm parameters, signature BIT STRING
    headers. (bench/fuzz.py flips every byte; all 5,768 are refused.)"""
    data = whip.read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    uncovered = [324, 330, 590, 595, 971, 1050, 1298, 1303, 2019, 2024, 4718, 4723, length - 1]
    positions = sorted(set(range(offset, offset + length, 13)) | {offset + p for p in uncovered})
    assert _flips(whip, load_trust(whip_roots), tmp_path, positions) == []


def test_whip_refused_after_a_flipped_byte_in_the_digested_range(whip, whip_roots, tmp_path):
    data = whip.read_bytes()
    offset, _ = struct.unpack_from("<II", data, 44)
    positions = [0, 3, 8, 20, 33, 56, 60, 100] + list(range(200, offset, 40_009)) + [offset - 1]
    assert _flips(whip, load_trust(whip_roots), tmp_path, positions) == []


@pytest.fixture
def legacy_trust(tmp_path):
    folder = tmp_path / "legacy-trust"
    folder.mkdir()
    for name in ("root.pem", "tsa-root.pem"):
        shutil.copyfile(LEGACY_PKI / name, folder / name)
    return folder


@pytest.mark.parametrize(("name", "digest", "signer"), [
    ("legacy-md5", "md5", "hfstage Legacy Publisher MD5"),
    ("legacy-sha1", "sha1", "hfstage Legacy Publisher SHA1"),
])
def test_legacy_attributes_and_v1_root_verify(legacy_trust, run, name, digest, signer):
    """Opus info, statement type, Java permissions, an unrelated certificate in the bag, a v1 root."""
    code, out, _ = run("cab", "verify", CABS / f"{name}.cab", "--trust", legacy_trust, "--json")
    data = json.loads(out)
    assert code == 0, data["reasons"]
    assert (data["digest_algorithm"], data["signer"]) == (digest, signer)
    assert data["program_name"] == "hfstage legacy catalog"
    assert data["more_info_url"] == "http://hfstage.invalid/catalog"
    assert data["chain"][-1] == "OU=hfstage Legacy Software Publishers CA,O=hfstage legacy test"


def test_legacy_md5_countersignature_of_an_expired_leaf(legacy_trust):
    r = verify_cabinet(CABS / "legacy-expired-countersigned.cab", load_trust(legacy_trust))
    assert r.ok, r.reasons
    assert r.timestamp == "1999-10-15T00:00:00+00:00"


def test_changed_program_name_breaks_the_signature(legacy_trust, tmp_path):
    """The opus info is only displayed, but it is signed: changing it is a refusal."""
    data = bytearray((CABS / "legacy-md5.cab").read_bytes())
    at = data.index(b"hfstage legacy catalog")
    data[at] = ord("H")
    path = tmp_path / "renamed.cab"
    path.write_bytes(bytes(data))
    r = verify_cabinet(path, load_trust(legacy_trust))
    assert not r.ok and not r.signature_valid and r.digest_matches
    assert any("signature over the signed attributes does not verify" in x for x in r.reasons)


def test_osslsigncode_agrees_on_the_legacy_fixtures(legacy_trust):
    if shutil.which("osslsigncode") is None:
        pytest.skip("osslsigncode not installed")
    for name in ("legacy-md5", "legacy-sha1"):
        proc = subprocess.run(["osslsigncode", "verify", "-CAfile", str(LEGACY_PKI / "root.pem"),
                               "-in", str(CABS / f"{name}.cab")], capture_output=True, text=True)
        assert proc.returncode == 0 and "Text description: hfstage legacy catalog" in proc.stdout, proc.stdout
        assert verify_cabinet(CABS / f"{name}.cab", load_trust(legacy_trust)).ok
