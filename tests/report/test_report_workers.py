"""The site report's machines drawn in the worker pool (hfstage.workers): the same bytes, and a dead worker is one
page.

Decoding each stored assessment and rendering its page is most of the report's CPU, so a report of many
machines (or any month given --jobs N) draws them in workers: each machine's page and its fragments of
scan.txt, scan.csv and scan.json, which this process only writes and joins. What reports\\ holds must be what a
serial report writes, byte for byte. A machine whose drawing kills its worker (a crash point: SIGKILL, as the
OOM killer sends) is drawn again alone; when that kills its process too, its page says it could not be drawn
and its fragments are made from its row; every other file is as a serial report makes it, and no memo key
vouches for what that machine got, so the next month draws it again.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hfstage.share import Share
from tests.conftest import demo_with_cabinet

_GENERATED = re.compile(rb"\d{4}-\d\d-\d\d \d\d:\d\d UTC")  # when index.html and the plan were made


def _month(share, *extra, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none",
                           "--as-of", "2003-08-15", *extra], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


def _reports(share) -> dict[str, bytes]:
    """Every file under reports\\ by its relative name, the times of generation left out."""
    folder = share.folder("reports")
    return {p.relative_to(folder).as_posix(): _GENERATED.sub(b"(time)", p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _serial_months(root: Path, prepared: Path) -> list[dict[str, bytes]]:
    """reports\\ after each of two months of the share PREPARED, run at ROOT and drawn in this process; ROOT is
    then removed (the same path: it is on the pages)."""
    shutil.copytree(prepared, root, symlinks=True)
    share = Share(root)
    out = []
    for _ in range(2):
        assert _month(share, "--jobs", "1").returncode == 0
        out.append(_reports(share))
    shutil.rmtree(root)
    return out


@pytest.mark.parametrize("killed", [["XPSP1"], ["DC01", "W98"]])
def test_a_worker_killed_while_drawing_a_machine_costs_that_machines_page_only(tmp_path, killed):
    prepared = demo_with_cabinet(tmp_path / "prepared", "month1").root
    serial = _serial_months(tmp_path / "share", prepared)
    shutil.copytree(prepared, tmp_path / "share", symlinks=True)
    share = Share(tmp_path / "share")
    done = _month(share, "--jobs", "2", env={"HFSTAGE_TEST_KILL_AT": ",".join(f"draw:{m}" for m in killed)})
    assert done.returncode == 0, done.stderr
    assert "BrokenProcessPool" not in done.stderr + done.stdout
    pooled = _reports(share)
    assert sorted(pooled) == sorted(serial[0])
    scan_files = ("scan.txt", "scan.csv", "scan.json")
    for machine in killed:
        page = pooled[f"machines/{machine}.html"].decode()
        assert f"{machine}: its report page could not be drawn: the process drawing it died (killed by SIGKILL" in page
        assert all(b"could not be drawn" in pooled[name] for name in scan_files)
    same = {name: data for name, data in pooled.items()
            if name not in scan_files and name not in {f"machines/{m}.html" for m in killed}}
    assert same == {name: serial[0][name] for name in same}  # the pages, lists, index: a serial report's bytes
    assert len(same) > 20
    # the next month, with no crash, draws them again (nothing vouched for them): all as the serial report's (whose
    # scan.json, unchanged since the first month, names that month's scan: a serial report does not rewrite it)
    assert _month(share, "--jobs", "2").returncode == 0
    again = _reports(share)
    assert again.pop("scan.json") == serial[1]["scan.json"].replace(b'{"scan_id": 1,', b'{"scan_id": 2,', 1)
    assert again == {name: data for name, data in serial[1].items() if name != "scan.json"}

