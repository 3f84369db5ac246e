"""`catalog import`, `show` and `diff` on a share, through the CLI as an admin runs them."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

from tests.conftest import CABS, EXAMPLES

MONTH1 = EXAMPLES / "incoming" / "month1" / "mssecure.cab"
MONTH2 = EXAMPLES / "incoming" / "month2" / "mssecure.cab"


def _stored(share):
    return sorted(p.name for p in share.folder("catalogs").iterdir() if p.is_dir())


def test_import_newest_cab_from_incoming(run, trusted_share):
    shutil.copyfile(MONTH1, trusted_share.folder("incoming") / "old.cab")
    shutil.copyfile(MONTH2, trusted_share.folder("incoming") / "new.cab")
    os.utime(trusted_share.folder("incoming") / "old.cab", (1, 1))
    code, out, _ = run("catalog", "import", trusted_share.root)
    assert code == 0, out
    assert "2.0.0.2: imported" in out
    folder = trusted_share.folder("catalogs") / "2.0.0.2"
    assert sorted(p.name for p in folder.iterdir()) == ["catalog.json", "import.json", "mssecure.cab", "mssecure.xml"]
    assert (folder / "mssecure.cab").read_bytes() == MONTH2.read_bytes()
    record = json.loads((folder / "import.json").read_text())
    assert record["verification"]["trusted"] is True and record["override"] is None
    assert json.loads((folder / "catalog.json").read_text())["counts"]["bulletins"] == 7


def test_untrusted_catalog_is_refused_and_nothing_stored(run, share):
    code, _, err = run("catalog", "import", share.root, MONTH1)
    assert code == 5
    assert err.startswith(f"Error: {MONTH1}: catalog refused: issuer ")
    assert "--allow-unsigned" in err
    assert _stored(share) == []


def test_unsigned_catalog_with_override_is_recorded(run, share, caplog):
    code, out, err = run("catalog", "import", share.root, CABS / "unsigned.cab", "--allow-unsigned")
    assert code == 0 and "WARNING: --allow-unsigned by" in out
    assert "IMPORTED WITHOUT A TRUSTED SIGNATURE" in caplog.text
    audit = share.folder("state") / "audit.log"
    assert "catalog 2.0.0.1 imported with --allow-unsigned" in audit.read_text()
    record = json.loads((share.folder("catalogs") / "2.0.0.1" / "import.json").read_text())
    assert record["override"].startswith("--allow-unsigned by ")
    assert "not signed" in record["override"]


def test_tampered_catalog_is_refused_even_when_anchored(run, trusted_share, tmp_path):
    data = bytearray((CABS / "signed-sha256.cab").read_bytes())
    data[200] ^= 1
    bad = tmp_path / "bad.cab"
    bad.write_bytes(bytes(data))
    code, _, err = run("catalog", "import", trusted_share.root, bad)
    assert code in (3, 5), err
    assert _stored(trusted_share) == []


def test_lzx_catalog_imports(run, trusted_share):
    code, out, _ = run("catalog", "import", trusted_share.root, CABS / "signed-lzx.cab")
    assert code == 0 and "2.0.0.1: imported" in out


def test_reimport_is_idempotent_and_never_overwrites(run, trusted_share, tmp_path):
    assert run("catalog", "import", trusted_share.root, MONTH1)[0] == 0
    before = (trusted_share.folder("catalogs") / "2.0.0.1" / "import.json").read_bytes()
    code, out, _ = run("catalog", "import", trusted_share.root, MONTH1)
    assert code == 0 and "already stored, unchanged" in out
    assert (trusted_share.folder("catalogs") / "2.0.0.1" / "import.json").read_bytes() == before
    # same DataVersion, different content: refused
    xml = tmp_path / "mssecure.xml"
    xml.write_bytes((EXAMPLES / "catalog" / "month1.xml").read_bytes().replace(b"Malformed RPC", b"Changed RPC"))
    code, _, err = run("catalog", "import", trusted_share.root, "--xml", xml, "--allow-unsigned")
    assert code == 3 and "already stored with different content" in err


def test_bare_xml_needs_sha256_or_override(run, share):
    xml = EXAMPLES / "catalog" / "month1.xml"
    code, _, err = run("catalog", "import", share.root, "--xml", xml)
    assert code == 5 and "carries no signature" in err
    code, _, err = run("catalog", "import", share.root, "--xml", xml, "--sha256", "00" * 32)
    assert code == 5 and "SHA-256 is" in err
    digest = hashlib.sha256(xml.read_bytes()).hexdigest()
    code, out, _ = run("catalog", "import", share.root, "--xml", xml, "--sha256", digest.upper())
    assert code == 0 and "imported" in out
    record = json.loads((share.folder("catalogs") / "2.0.0.1" / "import.json").read_text())
    assert record["override"] is None and record["verification"]["sha256_matched"] is True


def test_real_catalog_imports_with_anomalies(run, share, real_catalog_path):
    code, out, _ = run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")
    assert code == 0
    assert "231 bulletins, 393 patches, 104 products, 128 service packs, 407 files, 1133 file changes, " \
           "350 reg changes" in out
    code, out, _ = run("catalog", "show", share.root, "--json")
    counts = json.loads(out)["counts"]
    assert counts["bulletins"] == 231 and counts["anomalies"]["blank id"] == 144


def test_show_and_diff(run, trusted_share):
    run("catalog", "import", trusted_share.root, MONTH1)
    code, out, _ = run("catalog", "import", trusted_share.root, MONTH2)
    assert code == 0 and "New bulletins (1):\n    MS03-039" in out
    code, out, _ = run("catalog", "show", trusted_share.root, "--json")
    data = json.loads(out)
    assert data["data_version"] == "2.0.0.2"
    assert {k: data["counts"][k] for k in ("bulletins", "patches", "products", "service_packs", "files",
                                           "file_changes", "reg_changes")} == {
        "bulletins": 7, "patches": 12, "products": 10, "service_packs": 12, "files": 8, "file_changes": 8,
        "reg_changes": 10}
    assert data["counts"]["anomalies"] == {"blank id": 4, "unparsable number": 2, "unparsable version": 1,
                                           "untrimmed value": 3}
    code, out, _ = run("catalog", "show", trusted_share.root, "--bulletin", "ms03-026")
    assert code == 0 and "superseded by MS03-039 Windows2000-KB824146-x86-ENU.exe" in out
    code, out, _ = run("catalog", "diff", trusted_share.root, "--json")
    d = json.loads(out)
    assert d["new_bulletins"] == ["MS03-039"]
    assert [r["bulletin"] for r in d["revised_bulletins"]] == ["MS02-045"]
    assert len(d["supersedence_changes"]) == 3 and d["removed_bulletins"] == []
    code, out, _ = run("catalog", "diff", trusted_share.root, "2.0.0.2", "2.0.0.1")
    assert code == 0 and "Removed bulletins (1):\n    MS03-039" in out


def test_errors_name_the_problem(run, tmp_path, share):
    code, _, err = run("catalog", "import", tmp_path / "nowhere")
    assert code == 2 and "no such share folder" in err
    code, _, err = run("catalog", "import", share.root)
    assert code == 2 and "no .cab file to import" in err
    code, _, err = run("catalog", "diff", share.root)
    assert code == 2 and "0 catalog(s) stored and no earlier current one; a diff needs two" in err
    code, _, err = run("catalog", "show", share.root)
    assert code == 2 and "no catalog imported yet" in err
