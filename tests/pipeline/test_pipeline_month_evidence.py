"""What the admin reads about a machine's evidence without asking for it (issue 22, section 1).

The inventory refuses, by name, files no collector writes and files of other accounts, and names a
collection that could not replace its own files as stale. Those words used to reach only the JSON and
a `-v` scan, while the month said nothing: an admin reading the month's summary and the plain scan
report had no reason to look. Now the month names the machines whose evidence is stale (with the way
out), and the plain text report shows each refused file under its machine, as it shows failed installs.
Hives are the example machines' (hivexregedit); other accounts' files are made with os.chown, as root.
"""

from __future__ import annotations

import shutil

import pytest

from tests.bindhelp import BIN, DAEMON, give


@pytest.fixture
def site(month2_site):
    return month2_site


@pytest.mark.parametrize("machine, final", [("XPSP1", "SOFTWARE"), ("W2KSRV", "SYSTEM")])
def test_the_month_names_machines_whose_collection_could_not_replace_their_files(site, run, machine, final):
    folder = site.folder("inventory") / machine
    folder.chmod(0o1777)  # the recommended client folder: whoever collects first owns the files
    give(folder, DAEMON)
    shutil.copyfile(folder / final, folder / f"{final}.tmp")
    give(folder / f"{final}.tmp", BIN)  # the next collection, as another account: its rename was refused
    code, out, err = run("month", site.root, "--fail-on", "none")
    assert code == 0, err
    lines = [line for line in out.splitlines() if "could not replace their files" in line]
    assert len(lines) == 1 and f": {machine};" in lines[0] and "hfstage share provision" in lines[0], out


@pytest.mark.parametrize("name", ["software.hiv", "SYSTEM.bak"])
def test_the_plain_scan_report_shows_each_refused_file_under_its_machine(site, run, name):
    folder = site.folder("inventory") / "XPSP1"
    shutil.copyfile(folder / name.split(".")[0].upper(), folder / name)
    assert run("month", site.root, "--fail-on", "none")[0] == 0
    code, out, _ = run("scan", site.root, "--fail-on", "none")
    assert code == 0
    block = out.split("XPSP1 (", 1)[1].split("-" * 28 + "\n", 2)[1]  # XPSP1's block, up to the next machine
    assert f"XPSP1/{name}: refused: no collector writes this name" in block
    assert "Evidence: " in out.split("XPSP1 (", 1)[1]
