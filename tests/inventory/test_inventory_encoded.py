"""The facts file and the facts hash, encoded once (inventory.encoded).

Every scan's input key rests on each machine's facts hash, and a month reads the facts files back. The inventory
now encodes a machine's facts once (in the worker that read it): the hash must be memo.fingerprint's recipe over
what the facts say (without the label of the catalog they were projected under), and the file the JSON it was, or
a file would not say what its hash says. The files are share.jsonio's form (orjson's: sorted, compact, UTF-8).
"""

from __future__ import annotations

import json
import shutil

import pytest

from hfstage.inventory import MachineFacts, ProductFact
from hfstage.inventory import run as runmod
from hfstage.inventory.encoded import decode, encode, encode_parts
from hfstage.share import RAW_FOLDER, fingerprint, jsonio
from tests.conftest import DATA


def _facts() -> MachineFacts:
    return MachineFacts(machine="PC1", os=ProductFact("Windows 2000", service_pack=3), evidence={"é": "ß\u2028"},
                        warnings=["a \"quoted\" line"], script_wait=600, pending_renames=None)


def test_encoded_facts_hash_and_file_are_the_recipe_of_before():
    made = encode(_facts(), {"b": [1, 2], "a": None})
    data = _facts().to_dict()
    assert made.digest == fingerprint({k: v for k, v in data.items() if k != "catalog_version"})
    assert made.facts_file("k" * 64) == jsonio.dumps({"key": "k" * 64, "hash": made.digest, "facts": data})
    assert made.raw == b'{"a":null,"b":[1,2]}'
    assert encode(_facts()).raw is None


def test_a_worker_s_encoded_facts_decode_to_the_same_facts():
    back = decode(encode_parts(_facts(), None))
    assert back.facts.to_dict() == _facts().to_dict() and back.digest == encode(_facts()).digest


def test_the_facts_hash_is_what_the_facts_say_not_which_catalog_labelled_them():
    """A new catalog that leaves a machine's facts as they were must leave its hash too: its report page is keyed
    on it (report.page_catalog), and every page was drawn again every Patch Tuesday. Anything the facts say
    still changes it."""
    facts = _facts()
    other = MachineFacts.from_dict({**facts.to_dict(), "catalog_version": "2.0"})
    assert facts.catalog_version != "2.0" and encode(other).digest == encode(facts).digest
    assert runmod.facts_hash(other) == runmod.facts_hash(facts) == encode(facts).digest
    changed = MachineFacts.from_dict({**facts.to_dict(), "build": "9999"})
    assert encode(changed).digest != encode(facts).digest


@pytest.mark.parametrize("jobs", [1, 2])
def test_every_facts_file_holds_what_its_hash_says(trusted_share, jobs):
    for name in ("NT4WKS", "W2KSRV", "W98", "BADTRUNC", "XPSP1", "WME", "DC01", "W95", "NORES"):
        shutil.copytree(DATA / "inventory" / name, trusted_share.folder("inventory") / name)
    result = runmod.inventory(trusted_share, None, jobs=jobs)
    assert result.read == 9
    for machine in result.machines:
        raw = (result.cache / f"{machine}.json").read_bytes()
        stored = json.loads(raw)
        said = {k: v for k, v in stored["facts"].items() if k != "catalog_version"}
        assert stored["hash"] == result.hashes[machine] == fingerprint(said)
        assert raw == jsonio.dumps(stored)
        assert result.facts_of(machine).to_dict() == stored["facts"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_machines_read_in_workers_are_written_by_the_workers(trusted_share, monkeypatch, jobs):
    """The parent's serial part of a full month: writing 10,000 files at 5,000 machines is the workers' now
    (read in this process, this process writes them)."""
    from hfstage.inventory.encoded import FactsFiles

    for name in ("NT4WKS", "W2KSRV", "W98", "BADTRUNC", "XPSP1", "WME", "DC01", "W95", "NORES"):
        shutil.copytree(DATA / "inventory" / name, trusted_share.folder("inventory") / name)
    here: list[str] = []
    real = FactsFiles.write
    monkeypatch.setattr(FactsFiles, "write", lambda self, machine, *rest: here.append(machine)
                        or real(self, machine, *rest))
    result = runmod.inventory(trusted_share, None, jobs=jobs)
    # the patch reaches this process only: with workers, every file was written in one
    assert result.read == 9 and here == ([] if jobs == 2 else result.machines)
    kept = {p.stem for p in trusted_share.state_file(RAW_FOLDER).glob("*.json")}
    assert {m for m in result.machines if not result.errors[m]} <= kept
    again = runmod.inventory(trusted_share, None, jobs=jobs)
    assert again.cached == 9 and again.hashes == result.hashes  # what the workers wrote is what the memo vouches for


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_dword_of_more_than_eight_hex_digits_in_a_hostile_export_is_refused_with_its_line(trusted_share, jobs):
    """A DWORD is 32 bits: regedit writes `dword:` and eight hex digits. One of 20 digits (an integer beyond 64
    bits, which orjson refuses and reads back as a float; 3,600 digits pass Python's int conversion limit) is a
    line that cannot be parsed: the machine is read, its other values kept, and the line named."""
    folder = trusted_share.folder("inventory") / "W98"
    shutil.copytree(DATA / "inventory" / "W98", folder)
    with (folder / "hf01.reg").open("ab") as export:
        export.write(b"\r\n[HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion\\Setup\\Updates\\Q999999]"
                     b"\r\n\"Installed\"=dword:" + b"1" * 20 + b"\r\n\"Other\"=dword:0000000f\r\n")
    result = runmod.inventory(trusted_share, None, jobs=jobs)
    assert result.read == 1 and not result.errors["W98"]
    assert [h.installed for h in result.facts_of("W98").hotfixes if h.id == "Q999999"] in ([], [None])
    assert any("hf01.reg" in w and "cannot parse" in w and "dword" in w for w in result.facts_of("W98").parse_errors)
