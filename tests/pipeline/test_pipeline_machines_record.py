"""The lifecycle record (state\\machines.json) is the only word on who is accepted (issue 22, section 1).

A share from before lifecycles has no record: the first month accepts the machines of its latest scan,
so nothing that was counted goes dark. The same path runs when an admin removes a damaged record, as its
error message advises; but the latest scan also holds the pending machines (shown, with their standing),
so removing the record used to accept every forged folder a user had made. Now only the machines the
latest scan counted are accepted again: a pending folder stays pending, unscripted, out of the bundle.
"""

from __future__ import annotations

import json

from tests.bindhelp import forge_machines, need_root_and_hivex
from tests.conftest import demo_with_cabinet
from tests.published import published


def test_removing_the_record_does_not_accept_the_pending_machines(tmp_path, run):
    need_root_and_hivex()
    share = demo_with_cabinet(tmp_path / "share", "month2")
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    forge_machines(share, tmp_path, ["FAKE1", "FAKE2"])
    assert run("month", share.root, "--fail-on", "none")[0] == 0  # pending now, recorded in the scan
    (share.state / "machines.json").write_text("{damaged")
    code, _, err = run("machines", share.root)
    assert code == 7 and "machines.json: damaged" in err and "every other folder is pending" in err
    (share.state / "machines.json").unlink()  # as the message advises
    code, out, _ = run("month", share.root, "--fail-on", "none")
    rows = {m["machine"]: m for m in json.loads((share.folder("reports") / "scan.json").read_text())["machines"]}
    assert rows["FAKE1"]["standing"] == rows["FAKE2"]["standing"] == "pending"
    assert code == 0 and "the 12 machine(s) the latest scan counted are accepted" in out
    assert rows["XPSP1"]["standing"] == "accepted"
    assert not (published(share) / "FAKE1.bat").exists()
    lines = {m["machine"]: m for m in json.loads(run("machines", share.root, "--json")[1])}
    assert lines["FAKE1"]["standing"] == "pending" and lines["XPSP1"]["how"].startswith("in the history before")


def test_a_month_with_no_new_folder_leaves_the_record_unwritten(month1_site, run):
    """Every month used to write state\\machines.json again, 5,000 records serialised and synced, though
    nothing in it had changed (issue 20 section 6). Now a month writes it only when a folder is new or newly
    bound; the next new folder is still recorded, as pending."""
    import shutil

    record = month1_site.state / "machines.json"
    before = record.stat()
    assert run("month", month1_site.root, "--fail-on", "none")[0] == 0
    after = record.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    inventory = month1_site.folder("inventory")
    shutil.copytree(next(p for p in sorted(inventory.iterdir()) if p.is_dir() and not p.name.startswith("_")),
                    inventory / "NEWPC01")
    assert run("month", month1_site.root, "--fail-on", "none")[0] == 0
    machines = json.loads(record.read_text())["machines"]
    assert machines["NEWPC01"]["standing"] == "pending" and record.stat().st_ino != before.st_ino
