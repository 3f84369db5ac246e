"""Reading a PE file leaves nothing for the cyclic collector (inventory.pe.parsed_pe).

The story (cold review): pefile's sections point back at their PE, a cycle that holds the whole file's bytes.
The month runs the cyclic collector seldom (pipeline/collector.py: young collections every 500,000 allocations),
so 400 distinct files of 2 MB read in the run's own process held 858 MiB until one ran; a package inspected in
the plan step held its bytes (a service pack: 130 MB) the same way. Each PE is now taken apart once read.
"""

from __future__ import annotations

import gc

import pytest

from hfstage.errors import InputError
from hfstage.inventory.pe import read_pe_version
from hfstage.packages.inspect import inspect_package
from tests.conftest import DATA

PE = DATA / "inventory" / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe"
PACKAGES = sorted((DATA / "packages").glob("*.exe"))
DAMAGED = sorted((DATA / "attacks" / "pe").glob("*.dll"))  # parsed, then refused by their resource directories


def _garbage_after(read) -> int:
    """How many objects only the cyclic collector could free once READ has run."""
    gc.collect()
    gc.disable()
    try:
        read()
        return gc.collect()
    finally:
        gc.enable()


def test_a_file_s_versions_leave_no_cycle():
    assert _garbage_after(lambda: [read_pe_version(PE, PE.read_bytes()) for _ in range(10)]) == 0


def test_an_inspected_package_leaves_no_cycle():
    assert len(PACKAGES) >= 5
    assert _garbage_after(lambda: [inspect_package(p.name, p.read_bytes(), None) for p in PACKAGES]) == 0


@pytest.mark.parametrize("damaged", DAMAGED, ids=lambda p: p.name)
def test_a_file_parsed_then_refused_leaves_no_cycle(damaged):
    """A PE parsed and then refused (its resource directory loops) was never taken apart: 40 such files of 20 MB a
    client planted held 849 MiB in the run's process until a collection ran (a cold review)."""

    def refused() -> None:
        for _ in range(10):
            with pytest.raises(InputError, match="damaged resource directory"):
                read_pe_version(damaged, damaged.read_bytes())
            inspect_package(damaged.name, damaged.read_bytes(), None)

    assert _garbage_after(refused) == 0
