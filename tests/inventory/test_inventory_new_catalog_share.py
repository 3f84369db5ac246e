"""Patch Tuesday on a share: a new catalog, no inventory change, and no hive or collected file opened again.

The month real sites run most brings a catalog and nothing else. The inventory used to key every machine's
facts by the catalog, so the new one read all 5,000 machines' hives and files again. Now a machine whose
inputs are unchanged is projected from its remembered raw facts: none is read, every hive is opened at
most once a month (zero times this month), and each machine's facts are exactly what reading it under the
new catalog gives. What the remembering must never do: believe a changed input unchanged (a touched hive
is read again), or trust a damaged record (a raw-facts file cut short is read again, not believed).
"""

from __future__ import annotations

import os
import shutil

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.inventory import gather, gather_facts
from hfstage.inventory import run as runmod
from hfstage.share import RAW_FOLDER
from tests.conftest import DATA, EXAMPLES

INV = DATA / "inventory"


@pytest.fixture
def filled_share(trusted_share):
    for machine in INV.iterdir():
        shutil.copytree(machine, trusted_share.folder("inventory") / machine.name)
    return trusted_share


@pytest.fixture
def client_reads(monkeypatch) -> list[str]:
    """Every client file the inventory reads (in this process: jobs=1), through the client-file reader."""
    reads: list[str] = []
    real = gather.MachineInputs.read
    monkeypatch.setattr(gather.MachineInputs, "read", lambda self, path, *rest: reads.append(str(path)) or
                        real(self, path, *rest))
    return reads


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


def _as_read_fresh(share, result, catalog) -> None:
    for machine in result.machines:
        fresh = gather_facts(share.folder("inventory") / machine, catalog, on_share=True)
        assert result.facts_of(machine).to_dict() == fresh.to_dict(), machine


def test_a_new_catalog_opens_no_hive_and_gives_the_facts_read_under_it(filled_share, hives_opened, client_reads):
    month1, month2 = _months()
    first = runmod.inventory(filled_share, month1, jobs=1)
    assert first.read == 16 and len(hives_opened) == len(set(hives_opened)) > 10  # each hive once
    assert any(r.endswith(".reg") for r in client_reads)  # and the 9x machines' exports
    said = {m: _said(first, m) for m in first.machines}  # before the second run writes its facts over them
    hives_opened.clear()
    client_reads.clear()
    second = runmod.inventory(filled_share, month2, jobs=1)
    assert hives_opened == [] and client_reads == [] and second.read == 0 and second.projected == 16
    _as_read_fresh(filled_share, second, month2)
    # the facts follow the catalog (its label on them); their hash is what they say, so it moves only where that did
    labelled = [m for m in second.machines if second.errors[m] is None]
    assert labelled and all(second.facts_of(m).catalog_version == month2.data_version for m in labelled)
    assert all((second.hashes[m] == first.hashes[m]) == (_said(second, m) == said[m]) for m in labelled)


def _said(result, machine: str) -> dict:
    return {k: v for k, v in result.facts_of(machine).to_dict().items() if k != "catalog_version"}


def test_a_touched_hive_is_read_again_under_the_new_catalog(filled_share, hives_opened):
    month1, month2 = _months()
    runmod.inventory(filled_share, month1, jobs=1)
    hive = filled_share.folder("inventory") / "NT4WKS" / "SOFTWARE"
    stat = hive.stat()
    hive.touch()
    assert hive.stat().st_mtime_ns != stat.st_mtime_ns
    hives_opened.clear()
    second = runmod.inventory(filled_share, month2, jobs=1)
    assert second.read == 1 and second.projected == 15
    assert {s.rsplit("/", 2)[-2] for s in hives_opened} == {"NT4WKS"}
    _as_read_fresh(filled_share, second, month2)


def test_a_damaged_raw_facts_file_is_read_again_not_believed(filled_share):
    month1, month2 = _months()
    runmod.inventory(filled_share, month1, jobs=1)
    raw = filled_share.state_file(RAW_FOLDER) / "XPSP1.json"
    raw.write_bytes(raw.read_bytes()[:200])
    (filled_share.state_file(RAW_FOLDER) / "W2KSRV.json").write_text('{"format": 1, "facts": []}')
    second = runmod.inventory(filled_share, month2, jobs=1)
    assert second.read == 2 and second.projected == 14
    _as_read_fresh(filled_share, second, month2)
    third = runmod.inventory(filled_share, month1, jobs=1)  # and they are remembered again
    assert third.read == 0 and third.projected == 16


def test_exports_written_again_with_the_same_bytes_keep_their_raw_facts(filled_share, hives_opened):
    """Keys mode collects every day and writes the same exports again (new times, the same bytes): on Patch
    Tuesday those machines are hashed, as before, and then projected, not parsed again."""
    month1, month2 = _months()
    runmod.inventory(filled_share, month1, jobs=1)
    exports = sorted(filled_share.folder("inventory").glob("W9*/*.reg"))
    assert len(exports) >= 2
    for export in exports:
        stat = export.stat()
        os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    hives_opened.clear()
    second = runmod.inventory(filled_share, month2, jobs=1)
    assert second.read == 0 and second.projected == 16 and hives_opened == []
    _as_read_fresh(filled_share, second, month2)
    exports[0].write_bytes(exports[0].read_bytes() + b"\r\n")  # other bytes: read again
    third = runmod.inventory(filled_share, month1, jobs=1)
    assert third.read == 1 and third.projected == 15
    _as_read_fresh(filled_share, third, month1)
