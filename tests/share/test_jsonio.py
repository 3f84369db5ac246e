"""The month's hot JSON through orjson (share.jsonio): one form, and what orjson refuses handled, not raised.

Stored assessments' keys are the SHA-256 of these bytes, so the form is pinned here; a hostile hive or catalog can
carry an integer beyond 64 bits into facts, which orjson refuses: the stdlib writes it instead, exactly.
"""

from __future__ import annotations

import json

import pytest

from hfstage.assess import Assessment, Finding
from hfstage.history import assessment_blob, stored_assessment
from hfstage.inventory import MachineFacts, ProductFact
from hfstage.inventory.encoded import encode
from hfstage.share import jsonio


def _stdlib_compact(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def test_the_form_is_sorted_compact_utf8():
    value = {"b": [1, True, None, "é\u2028"], "a": {"z": -(2**63), "y": 2**64 - 1}}
    assert jsonio.dumps(value) == _stdlib_compact(value)
    assert jsonio.dumps(value).startswith(b'{"a":{"y":18446744073709551615,"z":-9223372036854775808},"b":[1,')
    assert jsonio.loads(jsonio.dumps(value)) == value


@pytest.mark.parametrize("value", [{"installed": 2**70}, {"n": -(2**64)}, {1: "a"}, {"name": "PC\udcff"}],
                         ids=["int-beyond-64-bits", "negative-beyond-64-bits", "int-key", "lone-surrogate"])
def test_what_orjson_refuses_is_written_by_the_stdlib_in_the_same_form(value):
    written = jsonio.dumps(value)
    assert written == json.dumps(value, sort_keys=True, separators=(",", ":")).encode("ascii")
    assert json.loads(written) == {str(k) if isinstance(k, int) else k: v for k, v in value.items()}


def test_a_lone_surrogate_reads_back_exactly():
    assert jsonio.loads(jsonio.dumps(["PC\udcff"])) == ["PC\udcff"]


def test_what_older_hfstage_wrote_still_reads():
    assert jsonio.loads(json.dumps({"a": "é", "b": [1, 2]}, sort_keys=True)) == {"a": "é", "b": [1, 2]}
    assert jsonio.loads("[NaN]")[0] != jsonio.loads("[NaN]")[0]  # the stdlib wrote NaN; orjson refuses it


def test_malformed_json_raises_the_stdlib_s_error():
    with pytest.raises(json.JSONDecodeError):
        jsonio.loads(b'{"a": ')


def test_facts_with_an_integer_beyond_64_bits_are_written_and_read_back_exactly():
    """A hostile .reg export's `dword:` of 20 hex digits becomes such an integer in the facts: the facts file is
    written (not a crash) and its reader, json.loads, gets the same integer back."""
    facts = MachineFacts(machine="PC1", os=ProductFact("Windows 2000", service_pack=3), script_wait=2**76 + 1)
    stored = json.loads(encode(facts).facts_file("k" * 64))
    assert stored["facts"]["script_wait"] == 2**76 + 1
    assert MachineFacts.from_dict(stored["facts"]).to_dict() == facts.to_dict()


def test_a_stored_assessment_is_the_form_and_reads_back_as_it_was():
    a = Assessment("PC1", "Windows 2000", "Service Pack 3", status_detail="ü\u2028",
                   findings=[Finding("PC1", "Windows 2000", "MS01-001", "Q123456", "Q123456", "Überlauf", "missing",
                                     "no key: Ä", severity="Critical", cve_ids=["CVE-2001-0001"])])
    blob = assessment_blob(a)
    assert blob == _stdlib_compact(a.to_dict())
    assert stored_assessment(blob) == a
    # one stored before orjson (json.dumps, spaces and \\u escapes) reads back the same
    assert stored_assessment(json.dumps(a.to_dict(), sort_keys=True).encode()) == a
