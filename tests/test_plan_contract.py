"""The plan is the contract (issue 21): it never claims what it cannot know.

`hfstage plan SHARE` with no full scan recorded printed "0 applicable ... no machine here runs an
affected product" and exited 0: a plan for the change process that said nothing needed doing, when
nothing had been looked at. It now refuses with one line (exit 2) until a full scan of the current
catalog is recorded.
"""

from __future__ import annotations

import shutil

from tests.conftest import DATA


def test_plan_without_a_full_scan_refuses_in_one_line(share, run, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    code, out, err = run("plan", share.root, "--format", "text")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "no full scan recorded yet" in err and "hfstage scan" in err
    assert run("scan", share.root, "--machine", "W98")[0] in (0, 1)  # a look at one machine is not the record
    assert run("plan", share.root, "--format", "text")[0] == 2
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, out, err = run("plan", share.root, "--format", "text")
    assert code == 0 and "Windows 98" in out, err
