"""Signatures whose signers departed from today's encodings, and how hfstage.cab judges them.

The story (issue 19, item 4): a catalog signed in July 2001 and countersigned by the VeriSign
Time Stamping Service was refused, because that service's RSA block carries the bare MD5 digest
of the attributes, not the DigestInfo of RFC 8017; the publisher's certificate had expired in
2002, so without the timestamp the whole signature was untrusted. Every RSA check now accepts
the DigestInfo or the bare digest of the expected algorithm, and nothing else.

The same look at the other old encodings, each with a fixture made by openssl, osslsigncode,
gcab and mingw-w64 (tests/data/make_old_signers.sh, countersign.py):
- X.509 v1 certificates say nothing about being a CA: a pinned v1 root is an anchor (the
  admin's decision); a v1 intermediate issues only when pinned too (RFC 5280 4.2.1.9, and
  OpenSSL agrees), or VeriSign's v1 time-stamping certificate could mint publishers.
- Microsoft-shaped chains of 1997-2002: a pinned v3 root without basicConstraints, and
  certificates that say what they are only with the 1993 draft's basicConstraints (2.5.29.10).
- signingTime as GeneralizedTime is read; a countersignature without signingTime gives no time.
Covered elsewhere: MD2-signed roots and leaves and UTCTime 19xx years (whip.cab, 1999, in
test_authenticode_legacy.py), SHA-1 leaves (legacy-sha1.cab there, and the chain here).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import struct
import subprocess

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hfstage.cab import verify_pe
from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.hashes import verify_signature
from hfstage.cab.pkcs1 import digest_info
from hfstage.cab.trust import TrustStore, build_chain, load_certificates, load_trust
from tests.conftest import CABS, DATA, REPO

LEGACY = DATA / "pki-legacy"
OLD = DATA / "pki-old"
BARE = CABS / "old-bare-md5-countersigned.cab"
SIGNED_AT = "2001-07-20T17:05:12+00:00"
EXPIRED = "'CN=hfstage Publisher 2001,O=hfstage old test' expired 2002-01-14 (and the signature has no valid timestamp)"
NOT_VERIFIED = "timestamp signature over the signed attributes does not verify with"


def _trust(tmp_path, *pems):
    folder = tmp_path / "trust"
    folder.mkdir(exist_ok=True)
    for pem in pems:
        shutil.copyfile(pem, folder / pem.name)
    return folder


@pytest.fixture
def legacy_trust(tmp_path):
    """The publishers' v1 root and the time-stamping v1 root, as an admin pins them."""
    return _trust(tmp_path, LEGACY / "root.pem", LEGACY / "tsa-root.pem")


def _countersignature(path):
    data = path.read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    signer = cms.ContentInfo.load(data[offset:offset + length].rstrip(b"\0"))["content"]["signer_infos"][0]
    return signer["unsigned_attrs"][0]["values"][0]


def _openssl(*args, data: bytes = b"") -> bytes:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    return subprocess.run(["openssl", *args], input=data, capture_output=True, check=True).stdout


def test_a_2001_timestamp_carrying_the_bare_md5_digest_is_honoured(legacy_trust, run, tmp_path):
    """The publisher expired in 2002; the timestamp (July 2001) is inside its validity: trusted."""
    counter = _countersignature(BARE)
    (tmp_path / "sig.bin").write_bytes(counter["signature"].native)
    recovered = _openssl("pkeyutl", "-verifyrecover", "-certin", "-inkey", str(LEGACY / "tsa.pem"),
                         "-in", str(tmp_path / "sig.bin"))
    attributes = b"\x31" + counter["signed_attrs"].dump()[1:]
    assert recovered == _openssl("dgst", "-md5", "-binary", data=attributes)  # bare: 16 bytes, no DigestInfo
    code, out, _ = run("cab", "verify", BARE, "--trust", legacy_trust, "--json")
    data = json.loads(out)
    assert code == 0, data["reasons"]
    assert (data["signer"], data["digest_algorithm"], data["timestamp"]) == ("hfstage Publisher 2001", "md5", SIGNED_AT)
    twin = verify_cabinet(CABS / "old-countersigned-digestinfo.cab", load_trust(legacy_trust))
    assert twin.ok and twin.timestamp == SIGNED_AT  # the same countersignature with a DigestInfo


def test_a_hotfix_countersigned_the_same_way_verifies_as_a_package(legacy_trust):
    """The PE path (packages verify) goes through the same RSA check."""
    data = (DATA / "packages" / "old-bare-md5-countersigned.exe").read_bytes()
    r = verify_pe(data, load_trust(legacy_trust), "old-bare-md5-countersigned.exe")
    assert r.ok, r.reasons
    assert (r.signer, r.timestamp, r.program_name) == ("hfstage Publisher 2001", SIGNED_AT, "hfstage old hotfix")


@pytest.mark.parametrize("variant", ["bare-wrong-data", "bare-other-hash", "digestinfo-extra", "bad-padding"])
def test_a_block_that_is_neither_form_is_refused(legacy_trust, variant):
    """Bare MD5 of the attributes as stored ([0], not SET), bare SHA-1 where MD5 is named, a
    DigestInfo with one byte more, a 0xFE among the padding's FF bytes: no timestamp."""
    r = verify_cabinet(CABS / f"old-countersigned-{variant}.cab", load_trust(legacy_trust))
    assert not r.ok and r.timestamp is None
    assert r.digest_matches and r.signature_valid
    assert any(NOT_VERIFIED in x for x in r.reasons) and EXPIRED in r.reasons


def test_a_flipped_byte_in_the_bare_digest_fixture_is_refused(legacy_trust, tmp_path):
    """Every byte of the countersignature (attributes, RSA block), every 7th byte of the rest of
    the blob, and bytes of the digested range: never trusted."""
    data = BARE.read_bytes()
    trust = load_trust(legacy_trust)
    assert verify_cabinet(BARE, trust).ok
    offset, length = struct.unpack_from("<II", data, 44)
    counter = _countersignature(BARE).dump()
    at = data.index(counter)
    positions = set(range(at, at + len(counter))) | set(range(offset, offset + length, 7))
    positions |= {0, 8, 33, 56, 60, offset - 1} | set(range(100, offset, 211))
    accepted = []
    target = tmp_path / "flipped.cab"
    for pos in sorted(positions):
        damaged = bytearray(data)
        damaged[pos] ^= 0x01
        target.write_bytes(bytes(damaged))
        try:
            if verify_cabinet(target, trust).ok:
                accepted.append(pos)
        except Exception as e:  # an unreadable cabinet is a refusal too, if it is one of ours
            assert type(e).__module__.startswith("hfstage"), (pos, e)
    assert accepted == []


def _sign(key_path, payload: bytes, *options: str) -> bytes:
    return _openssl("pkeyutl", "-sign", "-inkey", str(key_path), *options, data=payload)


def test_every_rsa_check_takes_exactly_the_digestinfo_or_the_bare_digest():
    """One place (hashes.verify_signature) for content, timestamps, chains and PE files; SHA-256 here."""
    key_path = LEGACY / "tsa.key"
    key = serialization.load_pem_private_key(key_path.read_bytes(), None).public_key()
    data = b"signed attributes"
    good = hashlib.sha256(data).digest()
    assert verify_signature(key, _sign(key_path, good, "-pkeyopt", "digest:sha256"), data, "sha256")
    assert verify_signature(key, _sign(key_path, good), data, "sha256")
    for payload in (hashlib.sha256(b"other").digest(), hashlib.sha1(data).digest(), b"\0" + good,
                    good + b"\0", digest_info("sha256", good) + b"\0", digest_info("sha512", good),
                    digest_info("sha256", good)[:-1]):
        assert not verify_signature(key, _sign(key_path, payload), data, "sha256"), payload.hex()
    block = _sign(key_path, good)
    assert not verify_signature(key, block[1:], data, "sha256")
    assert not verify_signature(key, b"\0" + block, data, "sha256")


def test_no_other_module_of_the_cab_stage_checks_an_rsa_signature():
    """pkcs1.py is the one place: a new `key.verify(..., PKCS1v15(), ...)` elsewhere would refuse
    the bare digest again (the content, countersignature, RFC 3161, chain and PE checks all share it)."""
    stage = REPO / "tools" / "hfstage" / "cab"
    users = sorted(p.name for p in stage.glob("*.py") if "PKCS1v15" in p.read_text(encoding="utf-8"))
    assert users == ["pkcs1.py"]


def test_a_v1_intermediate_issues_only_when_pinned(legacy_trust, tmp_path):
    path = CABS / "old-v1-intermediate.cab"
    r = verify_cabinet(path, load_trust(legacy_trust))
    assert not r.ok and r.signature_valid
    assert ("'OU=hfstage v1 Intermediate CA,O=hfstage old test' is an X.509 v1 certificate, which cannot say "
            "it is a CA, but issued 'CN=hfstage Publisher under v1 CA,O=hfstage old test': pin it in the trust "
            "folder if it is one") in r.reasons
    pinned = verify_cabinet(path, load_trust(_trust(tmp_path, OLD / "inter-v1.pem")))
    assert pinned.ok, pinned.reasons
    if shutil.which("osslsigncode"):  # OpenSSL refuses the same chain
        proc = subprocess.run(["osslsigncode", "verify", "-CAfile", str(LEGACY / "root.pem"), "-in", str(path)],
                              capture_output=True, text=True)
        assert proc.returncode != 0 and "invalid CA certificate" in proc.stdout + proc.stderr


def test_the_v1_time_stamping_certificate_cannot_mint_a_publisher(legacy_trust):
    """Its key signs timestamps; a v1 certificate that is not pinned is no CA."""
    r = verify_cabinet(CABS / "old-tsa-issued.cab", load_trust(legacy_trust))
    assert not r.ok and r.signer == "hfstage Publisher minted by a TSA"
    assert any("'OU=hfstage Legacy Time Stamping Service,O=hfstage legacy test' is an X.509 v1 certificate" in x
               for x in r.reasons)


@pytest.fixture
def ms_trust(tmp_path):
    return _trust(tmp_path, OLD / "msroot.pem", LEGACY / "tsa-root.pem")


def test_a_microsoft_shaped_chain_of_2001_verifies(ms_trust):
    """v3 root with only the old authorityKeyIdentifier, a PCA and a publisher with only the old
    basicConstraints, SHA-1, a bare-MD5 timestamp; the publisher expired in 2002."""
    r = verify_cabinet(CABS / "old-ms-chain.cab", load_trust(ms_trust))
    assert r.ok, r.reasons
    assert (r.signer, r.digest_algorithm, r.timestamp) == ("hfstage Old Corporation", "sha1", SIGNED_AT)
    assert [c.split(",")[0] for c in r.chain] == [
        "CN=hfstage Old Corporation", "CN=hfstage Old Code Signing PCA", "CN=hfstage Old Root Authority"]


def test_a_pinned_root_without_basic_constraints_may_issue():
    root, = load_certificates(OLD / "msroot.pem")
    pca, = load_certificates(OLD / "mspca.pem")
    assert root.version == x509.Version.v3 and len(root.extensions) == 1  # 2.5.29.1 only
    chain, anchored, problems = build_chain(pca, [], TrustStore(anchors=[root]))
    assert anchored and problems == [] and chain == [pca, root]
    _, anchored, problems = build_chain(pca, [root], TrustStore())
    assert not anchored


def test_an_end_entity_by_the_old_basic_constraints_cannot_issue(ms_trust):
    r = verify_cabinet(CABS / "old-end-entity-issued.cab", load_trust(ms_trust))
    assert not r.ok
    assert ("'CN=hfstage Old Corporation,O=hfstage old test' is not a CA but issued "
            "'CN=hfstage Publisher minted by a publisher,O=hfstage old test'") in r.reasons


def test_signing_time_as_generalized_time_is_read(legacy_trust):
    """RFC 5652 asks for UTCTime before 2050; some signers wrote GeneralizedTime (osslsigncode 2.9
    cannot read it; Windows can)."""
    r = verify_cabinet(CABS / "old-countersigned-generalized-time.cab", load_trust(legacy_trust))
    assert r.ok, r.reasons
    assert r.timestamp == SIGNED_AT


def test_a_countersignature_without_signing_time_gives_no_time(legacy_trust):
    r = verify_cabinet(CABS / "old-countersigned-no-time.cab", load_trust(legacy_trust))
    assert not r.ok and r.timestamp is None
    assert r.reasons == ["timestamp ignored: countersignature has no signing time", EXPIRED]
