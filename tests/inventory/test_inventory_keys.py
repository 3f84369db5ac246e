"""Keys mode: the facts from the registry keys a collector exports are the facts from the whole hives.

A site's collectors no longer carry the SOFTWARE and SYSTEM hives (tens of MB a machine a day) to
the share, only the keys the catalog, the product rules and the machine settings read. That is
worth something only if nothing the assessment rests on changes: for every example NT machine,
and for a real SYSTEM hive written by Windows, the keys are exported from the hives by an
independent tool (hivexregedit) as the collector would export them, and the facts read from
those exports must equal, field by field, the facts read from the hives. Then a catalog that
checks a key the last collection did not take: the machine is an incomplete inventory naming the
key, never assessed as if the key were absent, until it collects again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.catalog.model import RegChange
from hfstage.inventory import gather_facts, load_rules
from tests.conftest import EXAMPLES, SHARED
from tests.keyexport import HIVEXREGEDIT, collect_keys, hives_manifest

pytestmark = pytest.mark.skipif(HIVEXREGEDIT is None, reason="hivexregedit not installed (libwin-hivex-perl)")
INV = EXAMPLES / "inventory"
SYSTEM_2 = SHARED / "fixtures" / "real" / "SYSTEM_2"
NT_MACHINES = sorted(p.name for p in INV.iterdir() if (p / "SYSTEM").is_file() and p.name != "BADTRUNC")


def _facts(folder: Path, catalog) -> dict:
    facts = gather_facts(folder, catalog, on_share=True).to_dict()
    facts.pop("inputs")  # which files were read: the hives, or the exports
    return facts


@pytest.fixture(scope="module")
def month2():
    return parse_catalog_file(EXAMPLES / "catalog" / "month2.xml")


@pytest.mark.parametrize("machine", NT_MACHINES)
def test_keys_give_the_facts_the_hives_give(machine, month2, tmp_path):
    hives = tmp_path / "hives" / machine
    shutil.copytree(INV / machine, hives)
    hives_manifest(hives, month2)
    taken = collect_keys(INV / machine, tmp_path / "keys" / machine, load_rules(), month2)
    assert len(taken) > 10
    from_hives, from_keys = _facts(hives, month2), _facts(tmp_path / "keys" / machine, month2)
    assert from_hives["error"] is None and from_hives["os"] is not None
    assert from_keys == from_hives


def test_a_real_system_hive_gives_the_same_facts_from_its_keys(tmp_path):
    if not SYSTEM_2.is_file():
        pytest.skip(f"{SYSTEM_2} not present (../shared is not beside the project)")
    hives = tmp_path / "hives" / "SENSEI"
    hives.mkdir(parents=True)
    shutil.copyfile(SYSTEM_2, hives / "SYSTEM")
    hives_manifest(hives, None)
    collect_keys(hives, tmp_path / "keys" / "SENSEI", load_rules(), None)
    from_hives, from_keys = _facts(hives, None), _facts(tmp_path / "keys" / "SENSEI", None)
    assert (from_hives["computer_name"], from_hives["architecture"], from_hives["pending_renames"]) == \
        ("SENSEI", "AMD64", True)
    # the SOFTWARE hive is absent here; keys mode has no hive to miss, so that one line differs
    assert from_hives["missing"][0].startswith("SOFTWARE hive")
    from_hives["missing"] = from_hives["missing"][1:]
    # and this copy of the hive was taken with writes pending (its two sequence numbers differ): a warning
    # about the file; regedit /e reads the live registry, where nothing is pending
    (unclean,) = from_hives["warnings"]
    assert "not cleanly written" in unclean
    from_hives["warnings"] = []
    assert from_keys == from_hives
    size = sum(p.stat().st_size for p in (tmp_path / "keys" / "SENSEI").iterdir())
    assert size < SYSTEM_2.stat().st_size / 20  # the keys, not the hive


def test_a_key_the_last_collection_did_not_take_makes_the_inventory_incomplete(month2, tmp_path):
    folder = tmp_path / "NT4WKS"
    collect_keys(INV / "NT4WKS", folder, load_rules(), month2)
    assert gather_facts(folder, month2, on_share=True).missing == []
    # next month's catalog checks a value under a key no export holds
    key = "HKLM\\SOFTWARE\\Microsoft\\Windows Messaging Subsystem\\Applications"
    month2.reg_changes[99_999] = RegChange(99_999, key, "Version", "REG_SZ", "1", "r")
    facts = gather_facts(folder, month2, on_share=True)
    (missing,) = facts.missing
    assert "not taken by the machine's last collection" in missing
    assert "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows Messaging Subsystem\\Applications" in missing
    # after its next collection (with the new list) the machine is complete again
    shutil.rmtree(folder)
    collect_keys(INV / "NT4WKS", folder, load_rules(), month2)
    assert gather_facts(folder, month2, on_share=True).missing == []


def test_a_collection_written_again_with_the_same_bytes_is_not_read_again(trusted_share, month2):
    """The steady state of keys mode: every machine rewrites its exports every day with the same bytes."""
    from hfstage.inventory import inventory

    for machine in ("NT4WKS", "XPSP1"):
        collect_keys(INV / machine, trusted_share.folder("inventory") / machine, load_rules(), month2)
    first = inventory(trusted_share, month2)
    assert (first.read, first.cached) == (2, 0)
    for path in trusted_share.folder("inventory").rglob("*"):
        if path.is_file() and "files" not in path.relative_to(trusted_share.root).parts:  # copied when changed
            data = path.read_bytes()
            path.unlink()
            path.write_bytes(data)  # a new file with the same bytes (a new time, maybe a new inode)
    second = inventory(trusted_share, month2)
    assert (second.read, second.cached) == (0, 2) and second.hashes == first.hashes
    manifest = trusted_share.folder("inventory") / "XPSP1" / "manifest.txt"
    manifest.write_bytes(manifest.read_bytes() + b"Sun 12/06/2026\r\n10:15 AM\r\n")  # date and time differ daily
    export = sorted((trusted_share.folder("inventory") / "NT4WKS").glob("hf*.reg"))[0]
    export.write_bytes(export.read_bytes() + b"\r\n")
    third = inventory(trusted_share, month2)
    assert (third.read, third.cached) == (1, 1)  # only the export whose bytes changed is read again
