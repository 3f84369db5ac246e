"""A MemoryError is a machine's row only where it is the machine's own (workers.owns_its_memory).

In a pool worker, an item after its first may meet memory that earlier items left held (tasks of 8 machines in
the inventory, 32 in the scan): a PE file was then remembered as "damaged", an assessment as "could not be
assessed", until the machine's inputs changed. There the error is raised instead; the worker ends and every item
in flight runs again (tests/house/test_workers.py). In the run's own process, a process alone and a worker's
first item, it stays the machine's row. The worker's state is set as hfstage.workers sets it; the MemoryError is
raised where the parser or the assessment would run out.
"""

from __future__ import annotations

import pefile
import pytest

from hfstage import workers
from hfstage.assess import engine
from hfstage.errors import InputError
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.pe import read_pe_version
from tests.conftest import DATA

PE = DATA / "inventory" / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe"
LATER_ITEM, FIRST_ITEM, NOT_A_WORKER = [True, 2, 1], [True, 1, 1], [False, 0, 0]
FIRST_OF_A_TASK_OF_8 = [True, 1, 8]  # the task's seven other items are in memory beside it


def _out_of_memory(*args, **kwargs):
    raise MemoryError


@pytest.fixture
def short_of_memory(monkeypatch):
    monkeypatch.setattr(pefile.PE, "parse_data_directories", _out_of_memory)
    monkeypatch.setattr(engine, "assess_machine", _out_of_memory)
    return lambda state: monkeypatch.setattr(workers, "_WORKER", list(state))


def test_a_pe_file_is_not_damaged_for_memory_an_earlier_item_left_short(short_of_memory):
    for state in (LATER_ITEM, FIRST_OF_A_TASK_OF_8):
        short_of_memory(state)
        with pytest.raises(MemoryError):
            read_pe_version(PE, PE.read_bytes())
    for state in (FIRST_ITEM, NOT_A_WORKER):
        short_of_memory(state)
        with pytest.raises(InputError, match="damaged PE file: MemoryError"):
            read_pe_version(PE, PE.read_bytes())


def test_an_assessment_is_not_unreadable_for_memory_an_earlier_item_left_short(short_of_memory):
    facts = MachineFacts(machine="PC1")
    for state in (LATER_ITEM, FIRST_OF_A_TASK_OF_8):
        short_of_memory(state)
        with pytest.raises(MemoryError):
            engine.assess_contained(facts, None, None)
    for state in (FIRST_ITEM, NOT_A_WORKER):
        short_of_memory(state)
        row = engine.assess_contained(facts, None, None)
        assert row.error == "PC1: could not be assessed: unexpected MemoryError: "
