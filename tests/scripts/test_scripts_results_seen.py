"""The scan reads the clients' results through the inventory's listing of the machine folders (issue 20 §6).

`collect_results` used to list every inventory\\<MACHINE> folder again to find a scheduled job's
local-results.log, and to work out each folder's binding again (two account lookups a machine) for every
log: 5,000 listings a month that the inventory had just made. Given the inventory's view of this run
(InventoryResult.folders), it lists none of them, and decides exactly as it does alone: a link, a FIFO, two
names that are one on Windows, a log owned by another account are each refused by name; a folder the
inventory did not see (a name it skipped) is listed as before.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hfstage.inventory import inventory
from hfstage.pipeline import Site, month
from hfstage.pipeline.scan import scan
from hfstage.scripts import results as resultsmod
from hfstage.scripts.results import collect_results
from tests.bindhelp import DAEMON, NOBODY, give
from tests.conftest import demo_with_cabinet

SUCCESS = "HFRESULT;Mon 09/15/2003;10:00;MS03-039;Q824146;WindowsNT4Workstation-KB824146-x86-ENU.exe;0;success\r\n"


@pytest.fixture
def site(tmp_path) -> Site:
    share = demo_with_cabinet(tmp_path / "share", "month1")
    month(Site(share), say=lambda line: None)
    return Site(share)


def _plant(share, tmp_path: Path) -> None:
    """A log of each kind the client-file rules judge, in the machines' own folders."""
    inv = share.folder("inventory")
    (inv / "NT4WKS" / "local-results.log").write_text(SUCCESS)  # read
    (share.folder("results") / "NT4WKS.log").write_text(SUCCESS)  # read first, then the job's log
    (tmp_path / "elsewhere.log").write_text(SUCCESS)
    os.symlink(tmp_path / "elsewhere.log", inv / "W2KSRV" / "local-results.log")  # a link: refused
    (inv / "XPSP1" / "local-results.log").write_text(SUCCESS)  # two names that are one on Windows: both refused
    (inv / "XPSP1" / "LOCAL-RESULTS.LOG").write_text(SUCCESS)
    os.mkfifo(inv / "W98" / "local-results.log")  # a FIFO: refused, never opened
    if os.geteuid() == 0:  # a folder a user made, a log another account planted: refused by its owner
        give(inv / "WEB01", DAEMON)
        (inv / "WEB01" / "local-results.log").write_text(SUCCESS)
        give(inv / "WEB01" / "local-results.log", NOBODY)


def test_given_the_inventory_s_view_collect_results_decides_as_it_does_alone(site, tmp_path):
    _plant(site.share, tmp_path)
    inv = inventory(site.share, site.catalog, rules=site.rules, limits=site.limits, accounts=site.accounts, jobs=1)
    alone = collect_results(site.share, accounts=site.accounts)
    seen = collect_results(site.share, accounts=site.accounts, seen=inv.folders)
    assert seen == alone
    refused = "\n".join(alone[1])
    assert "W2KSRV/local-results.log: refused: it is a symbolic link" in refused
    assert "W98/local-results.log: refused: it is a named pipe (FIFO)" in refused
    assert "XPSP1/LOCAL-RESULTS.LOG" in refused and "2 logs for one machine" in refused
    if os.geteuid() == 0:
        assert "WEB01/local-results.log: refused: owned by nobody, not by daemon, who made the folder" in refused
    (nt4,) = [m for m in alone[0] if m.machine == "NT4WKS"]
    assert nt4.patches[0].attempts == 2  # its results\ log and its job's log, both read


def test_the_scan_lists_no_machine_folder_again(site, tmp_path, monkeypatch):
    _plant(site.share, tmp_path)
    listed: list[str] = []
    real = resultsmod.entries
    monkeypatch.setattr(resultsmod, "entries", lambda folder, *rest: listed.append(Path(folder).name)
                        or real(folder, *rest))
    result = scan(site)
    assert sorted(listed) == ["inventory", "results"]  # not one of the machine folders
    assert any("W2KSRV/local-results.log: refused: it is a symbolic link" in r for r in result.refused_results)
    assert [m.machine for m in result.results] == ["NT4WKS"]
