"""The month lists the machine folders once (issue 20 section 6.3).

The story: a month with no change at 1,500 machines spent 0.12 s of its scripts step listing inventory\\ again
for the 9x stubs, a listing its inventory step had just made. Now the month passes the inventory's list
(InventoryResult.machines) to the collectors; `scripts collectors` on its own still lists the folders. Checked:
the month's scripts step lists no folder, and its stubs are those `scripts collectors` makes from its own
listing, with a machine folder added since.
"""

from __future__ import annotations

import shutil

from hfstage.inventory import machine_folders
from hfstage.pipeline import Site, month
from hfstage.pipeline import scripts as scripts_stage
from tests.conftest import accept_machines, demo_with_cabinet


def _stubs(share) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(share.folder("netlogon").iterdir()) if p.is_file()}


def test_the_months_scripts_step_lists_no_machine_folder(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    month(Site(share), say=lambda line: None)
    folders = sorted(p for p in share.folder("inventory").iterdir() if p.is_dir() and not p.name.startswith("_"))
    shutil.copytree(folders[0], share.folder("inventory") / "NEWPC01", symlinks=True)  # a machine added
    accept_machines(share)
    listings = []
    monkeypatch.setattr(scripts_stage, "machine_folders",
                        lambda *a, **k: (listings.append(a), machine_folders(*a, **k))[1])
    month(Site(share), say=lambda line: None)
    assert listings == [], "the month's scripts step listed inventory\\ again"
    by_month = _stubs(share)
    scripts_stage.scripts_collectors(Site(share))  # on its own: its own listing
    assert listings and _stubs(share) == by_month
