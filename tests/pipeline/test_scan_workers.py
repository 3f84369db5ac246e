"""The scan's assessments in the worker pool (hfstage.workers): the same records, and a dead worker is one row.

Assessing is the scan's CPU and machines are independent, so a scan of many machines (or any scan given
--jobs N) assesses them in workers, which also encode each assessment as the history stores it. What the
history holds must be what this process would have stored: the same rows, blobs and findings, in the same
order. A machine whose assessment kills its worker (a crash point: SIGKILL, as the OOM killer sends) is
assessed again alone; when that kills its process too it is one unreadable row naming how it died, recorded
with no input key so that the next scan assesses it again; every other machine is assessed as usual.
"""

from __future__ import annotations

import os
import pickle
import shutil
import sqlite3
import subprocess
import sys

import pytest

from hfstage.assess import CatalogIndex
from hfstage.history import encode
from hfstage.inventory import inventory
from hfstage.pipeline import Site
from hfstage.pipeline.assessing import ToAssess, assessments
from hfstage.scripts import MachineResults
from hfstage.share import Share
from tests.conftest import demo_with_cabinet


def _month(share, *extra, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none",
                           "--as-of", "2003-08-15", *extra], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _latest(share) -> tuple[dict[str, dict], list[tuple]]:
    """The latest scan's machine rows (all but the scan's id) by machine, and the findings of its assessments."""
    with sqlite3.connect(share.folder("state") / "history.sqlite") as db:
        db.row_factory = sqlite3.Row
        scan = db.execute("SELECT MAX(id) FROM scans").fetchone()[0]
        machines = db.execute("SELECT * FROM machines WHERE scan_id = ?", (scan,)).fetchall()
        rows = {r["machine"]: dict(zip(r.keys(), r, strict=True)) | {"scan_id": None} for r in machines}
        findings = db.execute("SELECT a.key, f.bulletin, f.patch, f.qnumber, f.product, f.status, f.severity, f.kind, "
                              "f.reason, f.title, f.url, f.date_posted FROM assessment_findings f "
                              "JOIN assessments a ON a.id = f.assessment JOIN machines m ON m.assessment_key = a.key "
                              "WHERE m.scan_id = ? ORDER BY a.key, f.rowid", (scan,)).fetchall()
    return rows, [tuple(f) for f in findings]


def _serial_months(root, prepared) -> list[tuple]:
    """The latest scan of two months of the share PREPARED, run at ROOT and assessed in this process, one by
    one; ROOT is then removed. The same path and the same files' times: both are in a machine's facts."""
    shutil.copytree(prepared, root, symlinks=True)
    share = Share(root)
    latest = []
    for _ in range(2):
        assert _month(share, "--jobs", "1").returncode == 0
        latest.append(_latest(share))
    shutil.rmtree(root)
    return latest


@pytest.mark.parametrize("killed", [["XPSP1"], ["DC01", "W98", "W2KSRV"]])
def test_a_worker_killed_while_assessing_a_machine_costs_that_machine_only(tmp_path, killed):
    prepared = demo_with_cabinet(tmp_path / "prepared", "month1").root
    serial = _serial_months(tmp_path / "share", prepared)
    shutil.copytree(prepared, tmp_path / "share", symlinks=True)
    share = Share(tmp_path / "share")
    done = _month(share, "--jobs", "2", env={"HFSTAGE_TEST_KILL_AT": ",".join(f"assess:{m}" for m in killed)})
    assert done.returncode == 0, done.stderr
    assert "BrokenProcessPool" not in done.stderr + done.stdout
    rows, _ = _latest(share)
    assert sorted(rows) == sorted(serial[0][0]) and len(rows) == 12
    for machine in killed:
        assert rows[machine]["status"] == "unreadable" and rows[machine]["input_key"] is None
        assert f"{machine}: could not be assessed: the process assessing it died (killed by SIGKILL" in \
            rows[machine]["status_detail"]
    others = {m: r for m, r in serial[0][0].items() if m not in killed}
    assert {m: r for m, r in rows.items() if m not in killed} == others
    # the next month, with no crash, assesses them again (a death is never reused): all as the serial scan's
    assert _month(share, "--jobs", "2").returncode == 0
    assert _latest(share) == serial[1]


def test_workers_assess_and_encode_what_this_process_would(tmp_path):
    """Record by record: the facts shipped (the inventory's fresh ones) or read in the worker (its cache), the
    standing, staleness and scripts' reports carried, the history's encoding made in the worker."""
    share = demo_with_cabinet(tmp_path / "share", "month1")
    assert _month(share).returncode == 0
    site = Site(share)
    inv = inventory(site.share, site.catalog, rules=site.rules, limits=site.limits, accounts=site.accounts,
                    progress=False)
    for machine in inv.machines[::2]:
        inv.fresh[machine] = inv.facts_of(machine)  # half shipped to the workers, half read there
    reports = MachineResults("W98", malformed=2).problems()
    todo = [ToAssess(m, f"key of {m}", "pending" if m == "DC01" else "accepted",
                     "2003-08-01T00:00:00" if m == "XPSP1" else None, reports if m == "W98" else [])
            for m in inv.machines]
    index = CatalogIndex.build(site.catalog)

    def made(jobs: int, keep: bool):
        return list(assessments(todo, inv, index, site.policy, site.limits, jobs, keep))

    serial, pooled, unkept = made(1, True), made(2, True), made(2, False)
    assert [r.assessment.machine for r in serial] == inv.machines
    assert any(r.assessment.warnings for r in serial) and any(r.assessment.stale_since for r in serial)
    for here, there, bare in zip(serial, pooled, unkept, strict=True):
        assert here.encoded is None and bare.assessment is None
        assert there.assessment.to_dict() == here.assessment.to_dict()
        expected = encode(here.assessment, here.input_key)
        for e in (there.encoded, bare.encoded):
            assert (e.row, e.data) == (expected.row, expected.data)
            assert pickle.loads(e.findings) == pickle.loads(expected.findings)
