"""mssecure.xml parsing: the real 2001 catalog, the examples, hostile and junk XML."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings

from hfstage.catalog.parser import parse_catalog, parse_catalog_file
from hfstage.errors import HfstageError, InputError, UnsafeInputError
from tests.conftest import EXAMPLES, mutations


def test_real_2001_catalog_counts(real_catalog_path):
    c = parse_catalog_file(real_catalog_path)
    counts = c.counts()
    anomalies = counts.pop("anomalies")
    assert counts == {"bulletins": 231, "patches": 393, "products": 104, "service_packs": 128,
                      "files": 407, "file_changes": 1133, "reg_changes": 350}
    assert c.data_version == "1.0.1.148" and c.last_data_update == dt.date(2001, 10, 4)
    # every dirty value is counted, none crashes the parser
    assert anomalies["blank id"] == 144  # SBID=""
    assert anomalies["unparsable number"] == 123  # Size="na" / Size="v"
    assert anomalies["unparsable version"] > 0 and anomalies["untrimmed value"] > 0
    assert anomalies["duplicate id"] == 3  # FileChangeID 177 twice, ProductFamilyID 5 and 99 twice


def test_real_catalog_references_resolve(real_catalog_path):
    c = parse_catalog_file(real_catalog_path)
    b = c.bulletins["MS01-033"]
    assert b.url == "http://www.microsoft.com/technet/security/bulletin/MS01-033.asp"
    patch = next(p for p in b.patches if p.name == "Q300972i.exe")
    assert patch.sq_number == "Q300972" and not patch.no_reboot
    assert [c.products[a.product_id].name for a in patch.affected] == [
        "Internet Information Server 4.0", "Index Server 2.0"]
    assert c.service_packs[patch.affected[0].service_pack_ids[0]].name == "Windows NT4 Service Pack 6a"
    (fc,) = c.file_changes[patch.file_change_ids[0]]
    assert (fc.file_name, fc.location, fc.version) == ("idq.dll", "%windir%\\system32", (5, 0, 1781, 3))
    rc = c.reg_changes[patch.reg_change_ids[0]]
    assert (rc.key, rc.value_name, rc.value) == (
        "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q300972", "Installed", "1")
    assert c.superseded_by[patch.sbid].bulletins == [("MS01-041", ["Q299444I.exe"])]
    # trailing spaces are trimmed (and counted)
    assert "ftpfix3i.exe" in {p.name for p in c.patches()}
    # a file change with Version="na" is kept, with no version
    assert any(fc.version is None and fc.version_text == "na" for v in c.file_changes.values() for fc in v)


def test_example_catalog_later_schema_attributes():
    c = parse_catalog_file(EXAMPLES / "catalog" / "month2.xml")
    assert c.ms_severities == {1: "Critical", 2: "Important", 3: "Moderate", 4: "Low"}
    patch = c.bulletins["MS03-039"].patches[0]
    assert patch.ms_severity_id == 1 and patch.cve_ids == ["CVE-2003-0715", "CVE-2003-0528"]
    assert c.bulletins["MS02-019"].comments == [
        "The catalog carries no detection details for this patch: it can only be confirmed by hand."]


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<BulletinDatastore DataVersion="1">&e;</BulletinDatastore>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<BulletinDatastore DataVersion="&lol3;"/>"""


@pytest.mark.parametrize("data", [XXE, LAUGHS], ids=["external-entity", "billion-laughs"])
def test_hostile_xml_is_refused(data):
    with pytest.raises(UnsafeInputError, match="x.xml: refused"):
        parse_catalog(data, "x.xml")


@pytest.mark.parametrize("data, message", [
    (b"<html/>", "root element is <html>, expected <BulletinDatastore>"),
    (b"<BulletinDatastore", "not well-formed XML"),
    (b"<BulletinDatastore/>", "has no DataVersion"),
    (b'<BulletinDatastore DataVersion="../../etc"/>',
     "line 1: <BulletinDatastore DataVersion=\"../../etc\">: refused: not a safe name"),
])
def test_bad_documents_get_one_line_errors(data, message):
    with pytest.raises(InputError, match=message) as e:
        parse_catalog(data, "x.xml")
    assert "\n" not in str(e.value)


@settings(max_examples=300, deadline=None)
@given(mutations((EXAMPLES / "catalog" / "month1.xml").read_bytes()))
def test_mutated_catalogs_only_raise_project_errors(mutated):
    try:
        parse_catalog(mutated, "fuzz.xml")
    except HfstageError as e:
        assert "\n" not in str(e)
