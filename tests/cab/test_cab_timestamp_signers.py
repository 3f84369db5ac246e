"""Only a time-stamping signer may vouch for when a catalog was signed.

The story (review finding 2): the legacy countersignature support accepted ANY certificate that chains
to a pinned anchor as a timestamp signer. The holder of an expired code-signing certificate (Code Signing
EKU only) countersigned his own 2001 signature with a signingTime of 1999, inside his certificate's
validity, and hfstage trusted it; osslsigncode refuses the same file ("Unsupported Signer's certificate
purpose XKU_TIMESTAMP"), as Windows does. The rule now: the countersigner carries the time-stamping EKU
(1.3.6.1.5.5.7.3.8), or is what the genuine 1997-1999 VeriSign Time Stamping Service certificates are
(X.509 v1, no extensions, under a root other than the publisher's); never the content signer's key.
Members of the class: the publisher's own certificate, another publisher's code-signing certificate,
a CA certificate without the usage, the publisher's own v1 root; whip.cab still verifies.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.trust import load_certificates, load_trust
from tests.conftest import DATA, EXAMPLES, PKI

LEGACY = DATA / "pki-legacy"
pytestmark = pytest.mark.skipif(not shutil.which("osslsigncode") or not shutil.which("gcab"),
                                reason="osslsigncode and gcab make the signed cabinets")


def _expired_signature(tmp_path):
    """month1's catalog signed in 2001 with the legacy publisher certificate that expired in 2000."""
    shutil.copyfile(EXAMPLES / "catalog" / "month1.xml", tmp_path / "mssecure.xml")
    subprocess.run(["gcab", "-c", "-z", "unsigned.cab", "mssecure.xml"], cwd=tmp_path, check=True)
    subprocess.run(["osslsigncode", "sign", "-certs", str(LEGACY / "expired-bag.pem"), "-key",
                    str(LEGACY / "expired.key"), "-h", "md5", "-time", "996667200", "-in", "unsigned.cab",
                    "-out", "signed.cab"], cwd=tmp_path, check=True, capture_output=True)
    return tmp_path / "signed.cab"


def _stamped(tmp_path, certs, key, when="1999-10-15"):
    signed = _expired_signature(tmp_path)
    out = tmp_path / "stamped.cab"
    subprocess.run([sys.executable, str(DATA / "countersign.py"), str(signed), str(out), str(certs), str(key),
                    when, "md5"], cwd=tmp_path, check=True)
    trust = tmp_path / "trust"
    trust.mkdir()
    for name in ("root.pem", "tsa-root.pem"):
        shutil.copyfile(LEGACY / name, trust / name)
    return verify_cabinet(out, load_trust(trust))


def test_a_publisher_cannot_timestamp_its_own_expired_signature(tmp_path):
    """The reviewer's file: countersigned with the publisher's own (expired, code-signing) certificate."""
    result = _stamped(tmp_path, LEGACY / "expired-bag.pem", LEGACY / "expired.key")
    assert not result.trusted, "a self-made timestamp made an expired publisher certificate trusted"
    assert any("cannot vouch for the time of its own signature" in r for r in result.reasons), result.reasons


def test_another_publishers_code_signing_certificate_is_no_timestamp(tmp_path):
    """A second publisher under the same root (Code Signing EKU, valid in 1999) stamps the expired one's."""
    result = _stamped(tmp_path, LEGACY / "md5-bag.pem", LEGACY / "md5.key", when="1999-10-15")
    assert not result.trusted
    assert any("not a time-stamping certificate" in r for r in result.reasons), result.reasons


def test_the_publishers_own_v1_root_is_no_time_stamping_service(tmp_path):
    """A v1 certificate is taken as the era's time-stamping service only under a root other than the publisher's."""
    result = _stamped(tmp_path, LEGACY / "root.pem", LEGACY / "root.key")
    assert not result.trusted
    assert any("publisher's own root" in r for r in result.reasons), result.reasons


def test_the_legacy_time_stamping_service_still_vouches(tmp_path):
    """The v1 time-stamping service under its own root (the shape of VeriSign's, 1997) is still honoured."""
    result = _stamped(tmp_path, LEGACY / "tsa-bag.pem", LEGACY / "tsa.key")
    assert result.trusted and result.timestamp.startswith("1999-10-15"), result.reasons


def _cert(path):
    return load_certificates(path)[0]


def test_the_rule_both_timestamp_kinds_use():
    """RFC 3161 tokens go through the same rule (osslsigncode will not even make one with a non-TSA key):
    the modern TSA certificate (critical timeStamping EKU) passes; a code-signing leaf and a CA certificate
    without the usage, under the same pinned root, do not."""
    from hfstage.cab.trust import timestamp_purpose_problems

    leaf, tsa, inter, root = (_cert(PKI / n) for n in ("leaf.pem", "tsa.pem", "inter.pem", "root.pem"))
    expired = _cert(PKI / "expired.pem")
    assert timestamp_purpose_problems([tsa, root], [expired, inter, root]) == []
    assert timestamp_purpose_problems([leaf, inter, root], [expired, inter, root])
    assert timestamp_purpose_problems([inter, root], [expired, inter, root])
    assert timestamp_purpose_problems([tsa, root], [tsa, root])  # never its own signature
