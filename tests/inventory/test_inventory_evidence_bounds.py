"""What the inventory reads in the run's own process stays within the default limits (Limits.in_this_process).

The story (a cold review): a machine's exports are hashed in the run's own process, before any worker, to see
whether the same collection was written again (inventory.evidence). Under a site-raised export_bytes, a client's
sparse 1.4 GB "export" cost that process 1.4 GB, though the machine itself was then read, and refused, in a
capped worker. An export over the default cap is not hashed there: its machine is read again, in a worker.
"""

from __future__ import annotations

import shutil

from hfstage.inventory.evidence import content_digest
from hfstage.inventory.gather import locate_inputs
from hfstage.inventory.limits import Limits
from tests.conftest import DATA

MIB = 1024 * 1024


def test_an_export_over_the_default_cap_is_not_hashed_in_the_run_s_process(tmp_path):
    folder = tmp_path / "W98"
    shutil.copytree(DATA / "inventory" / "W98", folder)
    raised = Limits(export_bytes=1024 * MIB)
    assert content_digest(locate_inputs(folder), raised, []) is not None  # a real export: hashed
    with open(folder / "hf02.reg", "wb") as fh:
        fh.truncate(129 * MIB)
    assert content_digest(locate_inputs(folder), raised, []) is None
