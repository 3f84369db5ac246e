"""Hives written again with the same bytes: every logon's re-drop is recognised by content, not read again.

A collector copies a machine's hives to its folder at every startup or logon: new times, and, when nothing
on the machine changed, the same bytes. The facts memo keyed each machine by its files' sizes and times,
so a site whose clients all collected again (every month) had every hive of every machine decoded again:
18.6 s of a 5,000-machine month's inventory for facts that were already known. Now a hive's bytes are in
the collection's digest (inventory.evidence, as exports' bytes already were), so the same bytes keep their
facts under the same catalog and their raw facts under a new one, with no hive opened.
What the remembering must never do: keep the facts of a hive whose bytes changed (SOFTWARE or SYSTEM, each
changed with hivexregedit here, their times left as a rewrite leaves them), or keep believing a file that
the binding now refuses (the same bytes, written by another account into a folder given to the machine).
"""

from __future__ import annotations

import os
import shutil

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.inventory import gather, gather_facts
from hfstage.inventory import run as runmod
from tests.bindhelp import NOBODY, give, machine_account, merge, need_root_and_hivex
from tests.conftest import DATA, EXAMPLES

INV = DATA / "inventory"
HIVE_MACHINES = ("NT4WKS", "XPSP1", "W2KSRV", "DC01")


@pytest.fixture
def filled_share(trusted_share):
    for machine in INV.iterdir():
        shutil.copytree(machine, trusted_share.folder("inventory") / machine.name)
    return trusted_share


@pytest.fixture
def hives_opened(monkeypatch) -> list[str]:
    """Every hive the inventory opens (in this process: jobs=1)."""
    opened: list[str] = []
    real = gather.open_hive_bytes
    monkeypatch.setattr(gather, "open_hive_bytes", lambda data, source: opened.append(source) or real(data, source))
    return opened


def _months():
    return (parse_catalog_file(EXAMPLES / "catalog" / "month1.xml"),
            parse_catalog_file(EXAMPLES / "catalog" / "month2.xml"))


def _write_again(folder) -> None:
    """What a collection with nothing new does: each hive a new file with the same bytes, a later time."""
    for hive in ("SOFTWARE", "SYSTEM"):
        path = folder / hive
        data, stat = path.read_bytes(), path.stat()
        path.unlink()
        path.write_bytes(data)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))


def _as_read_fresh(share, result, catalog) -> None:
    for machine in result.machines:
        fresh = gather_facts(share.folder("inventory") / machine, catalog, on_share=True)
        assert result.facts_of(machine).to_dict() == fresh.to_dict(), machine


def test_hives_written_again_with_the_same_bytes_open_no_hive(filled_share, hives_opened):
    month1, month2 = _months()
    first = runmod.inventory(filled_share, month1, jobs=1)
    for machine in HIVE_MACHINES:
        _write_again(filled_share.folder("inventory") / machine)
    hives_opened.clear()
    second = runmod.inventory(filled_share, month1, jobs=1)  # the same catalog: the facts as they were
    assert hives_opened == [] and second.read == 0 and second.cached == 16 and second.hashes == first.hashes
    for machine in HIVE_MACHINES:
        _write_again(filled_share.folder("inventory") / machine)
    third = runmod.inventory(filled_share, month2, jobs=1)  # Patch Tuesday after a month of logons
    assert hives_opened == [] and third.read == 0 and third.projected == 16
    _as_read_fresh(filled_share, third, month2)


@pytest.mark.parametrize("hive, body", [
    ("SOFTWARE", '[\\Microsoft\\Windows NT\\CurrentVersion]\n"CSDVersion"="Service Pack 5"\n'),
    ("SYSTEM", '[\\ControlSet001\\Control\\ProductOptions]\n"ProductType"="ServerNT"\n'),
])
def test_a_hive_with_other_bytes_is_read_again(filled_share, hives_opened, tmp_path, hive, body):
    if shutil.which("hivexregedit") is None:
        pytest.skip("hivexregedit not installed (libwin-hivex-perl)")
    month1, _ = _months()
    folder = filled_share.folder("inventory") / "NT4WKS"
    first = runmod.inventory(filled_share, month1, jobs=1)
    _write_again(folder)  # remembered by its bytes now
    assert runmod.inventory(filled_share, month1, jobs=1).read == 0
    stat = (folder / hive).stat()
    merge(folder / hive, f"HKEY_LOCAL_MACHINE\\{hive}", body, tmp_path)
    os.utime(folder / hive, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2 * 10**9))
    hives_opened.clear()
    third = runmod.inventory(filled_share, month1, jobs=1)
    assert third.read == 1 and {s.rsplit("/", 2)[-2] for s in hives_opened} == {"NT4WKS"}
    assert third.hashes["NT4WKS"] != first.hashes["NT4WKS"]
    _as_read_fresh(filled_share, third, month1)


def test_the_same_bytes_from_another_account_are_refused_not_remembered(filled_share, hives_opened):
    """A forger cannot borrow the machine's remembered facts by writing its hive's bytes again: in a folder
    given to the machine's account, the file is another account's, refused, and the machine read again."""
    need_root_and_hivex()
    month1, _ = _months()
    folder = filled_share.folder("inventory") / "XPSP1"
    with machine_account("XPSP1") as uid:
        give(folder, uid)
        first = runmod.inventory(filled_share, month1, jobs=1)
        assert first.bindings["XPSP1"] == "machine account" and not first.facts_of("XPSP1").refused
        _write_again(folder)
        give(folder, uid)  # its own startup script wrote them again: kept
        assert runmod.inventory(filled_share, month1, jobs=1).read == 0
        _write_again(folder)
        give(folder / "SYSTEM", uid)
        give(folder / "SOFTWARE", NOBODY)
        hives_opened.clear()
        second = runmod.inventory(filled_share, month1, jobs=1)
        facts = second.facts_of("XPSP1")
        assert second.read == 1 and second.hashes["XPSP1"] != first.hashes["XPSP1"]
        assert any("SOFTWARE: refused: owned by nobody" in r for r in facts.refused)
        _as_read_fresh(filled_share, second, month1)
