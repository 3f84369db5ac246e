"""A machine folder made while the month runs gets its netlogon stub that month.

The story: the month's scripts step took the machine folders its inventory step had listed (a speed change:
no second listing of inventory\\). A folder made between the two steps (an administrator making a new Windows 9x
machine's folder, as README says, while a scheduled month runs) got no netlogon\\<MACHINE>.bat until the next
month: on a Samba domain (logon script = %m.bat) that machine ran nothing at logon, so it first collected a
month late. Now the scripts step looks at inventory\\'s names (names only, nothing stat'ed) and lists the
folders in full again only when one is new; a month with no new folder still lists none twice
(tests/pipeline/test_month_collectors_listing.py).
"""

from __future__ import annotations

import importlib

from hfstage.inventory import machine_folders
from hfstage.pipeline import Site, month
from hfstage.pipeline import scripts as scripts_stage
from tests.conftest import demo_with_cabinet

month_module = importlib.import_module("hfstage.pipeline.month")  # the module, not pipeline's month function


def test_a_folder_made_between_the_inventory_and_scripts_steps_gets_its_stub_that_month(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    real_plan = month_module.plan_base

    def plan_then_a_new_folder(site):  # the plan step runs after the inventory and scan steps, before scripts
        (share.folder("inventory") / "NEWPC01").mkdir()
        return real_plan(site)

    monkeypatch.setattr(month_module, "plan_base", plan_then_a_new_folder)
    listings = []
    monkeypatch.setattr(scripts_stage, "machine_folders",
                        lambda *a, **k: (listings.append(a), machine_folders(*a, **k))[1])
    result = month(Site(share), say=lambda line: None)
    assert "NEWPC01" not in result.scan.inventory.machines  # not there when the inventory listed the folders
    stub = share.folder("netlogon") / "NEWPC01.bat"
    assert stub.is_file() and b"set HFM=NEWPC01\r\n" in stub.read_bytes()
    assert len(listings) == 1  # listed again in full, once, because a name was new
