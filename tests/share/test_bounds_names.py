"""Reserved names (issue 22, section 2, class 3): no machine may be named like a file hfstage writes.

Seen: a machine folder named `index` overwrote the facts cache's index (state\\facts\\
index.json); `HFSTAGE_RUN` got a stub netlogon\\HFSTAGE_RUN.bat that differs from hfstage's own
hfstage_run.bat only in case, one file on NTFS. The reserved names are now derived from one
list of every name hfstage writes beside machine-named files (share.names.OWN_FILES), which the
name check, `share check` and inventory all use; a test below runs a month and checks that the
list holds every such file actually written, so a new one cannot be forgotten.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from hfstage.inventory import machine_folders
from hfstage.share import FACTS, SEEN
from hfstage.share.names import OWN_FILES, machine_name_problem
from tests.conftest import demo_with_cabinet

CLASHING = ["index", "INDEX", "Seen", "HFSTAGE_RUN", "hfstage_run", "Collect_NT", "SCHEDULE_NT4", "Startup",
            "readme"]


@pytest.fixture
def site(tmp_path):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    return share


def _month(share) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none"],
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("name", CLASHING)
def test_a_name_of_an_hfstage_file_is_not_a_machine_name(name):
    assert machine_name_problem(name) == "collides with a file hfstage writes itself (compared without case, " \
                                         "as Windows does)"


def test_machines_named_like_hfstage_files_are_skipped_and_overwrite_nothing(site):
    for name in CLASHING:
        if not (site.folder("inventory") / name).exists():
            shutil.copytree(site.folder("inventory") / "XPSP1", site.folder("inventory") / name)
    done = _month(site)
    assert done.returncode == 0, done.stderr
    for name in CLASHING:
        assert f"inventory\\{name}: skipped: collides with a file hfstage writes itself" in done.stdout
    index = json.loads(site.state_file(FACTS).read_text())
    assert index["memo"] == "facts" and "XPSP1" in index["entries"]  # still the memo, not a machine's facts
    seen = json.loads(site.state_file(SEEN).read_text())
    assert "XPSP1" in seen and "facts" not in seen  # still "last reported", not a machine's facts
    run = (site.folder("netlogon") / "hfstage_run.bat").read_text()
    assert "HFM=" not in run.upper().replace(" ", "")  # hfstage's own job entry point, not a 9x stub
    written = {p.name.casefold() for p in site.folder("netlogon").iterdir()}
    assert written.isdisjoint({f"{n.casefold()}.bat" for n in CLASHING} - {"hfstage_run.bat", "collect_nt.bat",
                                                                            "schedule_nt4.bat", "startup.bat"})
    check = subprocess.run([sys.executable, "-m", "hfstage", "share", "check", str(site.root)], capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 1
    for name in CLASHING:
        assert f"{site.folder('inventory') / name}: machine name: collides with a file hfstage writes" in check.stdout


def test_every_file_a_month_writes_beside_machine_files_is_in_the_one_list(site):
    """The list is derived from what hfstage writes: run a month (NT 4.0 job files included) and compare."""
    assert _month(site).returncode == 0
    machines = {p.name.casefold() for p in machine_folders(site)[0]}
    for folder, own in OWN_FILES.items():
        path = site.root.joinpath(*folder.split("\\"))
        known = {n.casefold() for n in own}
        for item in path.iterdir():
            stem = item.name.rsplit(".", 1)[0].removesuffix("-rollback").casefold()
            if item.name.startswith(".") or stem in machines:
                continue
            assert item.name.casefold() in known, f"{folder}\\{item.name} is written by hfstage but not in OWN_FILES"
