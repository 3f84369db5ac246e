"""What a branch sends the centre says who approved what (issue 21).

A bundle's plan.json had an approver field, always empty, even on a share in [approval] mode = manual where
hfstage knows who approved each scripted patch for which ring: the central office saw a plan nobody had
signed. It now carries the plan's own approval text for each patch the scripts install, and stays empty for
what waits.
"""

from __future__ import annotations

import json
import zipfile

from tests.conftest import demo_with_cabinet


def test_the_bundles_plan_names_who_approved_each_scripted_patch(tmp_path, run):
    share = demo_with_cabinet(tmp_path / "demo")
    share.site_ini.write_text(share.site_ini.read_text() + "\n[approval]\nmode = manual\n[rings]\npilot = W2KSRV\n")
    assert run("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")[0] == 0
    assert run("approve", share.root, "MS01-033", "--ring", "pilot")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    assert run("site", "keygen", share.root)[0] == 0
    assert run("export", share.root, tmp_path / "site.hfb")[0] == 0
    with zipfile.ZipFile(tmp_path / "site.hfb") as zf:
        plan = json.loads(zf.read("plan.json"))
    approver = {(p["bulletin"], p["patch"].strip()): p["approver"] for p in plan}
    assert approver[("MS01-033", "Q300972_W2K_SP3_x86_en.EXE")].endswith("(pilot)")
    assert {a for (b, _), a in approver.items() if b != "MS01-033"} == {""}  # waiting: nobody signed it
