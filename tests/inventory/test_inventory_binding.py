"""What a machine's folder says is the machine's only as far as its files can be tied to it (issue 22, 1).

The held-out attack suite planted, in folders every user can write: a second spelling of a hive
(`software` beside `SOFTWARE`: all spellings were one role and the last in sorted order won, so a
forged hive with MS03-039's key made XPSP1 leave MS03-039 out of its script), files no collector
writes (`software.hiv`, `system.hiv` naming another computer: one such file made a domain controller
"unreadable" and idle), and, with the recommended 1777 folders, a second collection stranded as .tmp
files beside the first collector's hives while hfstage went on assessing the stale ones without a word.
Now: every name comes from data/collector_outputs.json and anything else is refused by name; two
spellings of one name are both refused by name, never one chosen; in a folder given to the machine's
own account (or made by one user) a file of anyone else is refused alone and the machine is read from
its own files; a collection that could not replace its files is named as stale, with the date.
Hives are the example machines' (made by hivexregedit) changed with hivexregedit; other accounts' files
are made with os.chown, as root.
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.bindhelp import (
    BIN,
    DAEMON,
    NOBODY,
    add_hotfix_key,
    give,
    machine_account,
    name_machine,
    need_root_and_hivex,
)
from tests.conftest import demo_with_cabinet

XP_PACKAGE = "WindowsXP-KB824146-x86-ENU.exe"  # MS03-039, the patch XPSP1 misses in the example catalog


@pytest.fixture
def site(tmp_path, run):
    """The example share under month2's catalog (XPSP1 misses MS03-039), its first month done."""
    need_root_and_hivex()
    share = demo_with_cabinet(tmp_path / "share", "month2")
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    assert XP_PACKAGE in (share.folder("scripts") / "XPSP1.bat").read_text()
    return share


def _forged_software(share, tmp_path):
    """XPSP1's SOFTWARE hive with MS03-039's key added: what a forger plants to make it look patched."""
    forged = tmp_path / "forged-SOFTWARE"
    shutil.copyfile(share.folder("inventory") / "XPSP1" / "SOFTWARE", forged)
    add_hotfix_key(forged, "KB824146", tmp_path)
    return forged


def _said(row: dict, kind: str) -> list[str]:
    """What the scan report says about a machine, of one notice kind (never picked out by wording)."""
    return [w["text"] for w in row["warnings"] if w["kind"] == kind]


def _month(run, share) -> dict:
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    data = json.loads((share.folder("reports") / "scan.json").read_text())
    return {m["machine"]: m for m in data["machines"]}


@pytest.mark.parametrize("spelling", ["software", "Software", "sOFTWARE"])
def test_a_second_spelling_of_a_hive_is_refused_with_the_first_never_chosen(site, run, tmp_path, spelling):
    shutil.copyfile(_forged_software(site, tmp_path), site.folder("inventory") / "XPSP1" / spelling)
    xp = _month(run, site)["XPSP1"]
    assert xp["status"] == "unreadable"  # neither is believed: which is the collector's cannot be told
    assert "XPSP1/SOFTWARE, " in xp["error"] and f"XPSP1/{spelling}: refused: 2 files for one name" in xp["error"]
    assert not any(f["bulletin"] == "MS03-039" and f["status"] == "installed" for f in xp["findings"])


@pytest.mark.parametrize("name", ["software.hiv", "SOFTWARE.hiv", "Software.Hiv", "system.hiv", "SOFTWARE.reg"])
def test_a_name_no_collector_writes_is_refused_and_the_collectors_files_are_read(site, run, tmp_path, name):
    folder = site.folder("inventory") / "XPSP1"
    if name.lower().startswith("system"):
        shutil.copytree(folder, tmp_path / "EVIL")
        name_machine(tmp_path / "EVIL", "EVIL", tmp_path)  # another computer's data: it made XPSP1 unreadable
        shutil.copyfile(tmp_path / "EVIL" / "SYSTEM", folder / name)
    else:
        shutil.copyfile(_forged_software(site, tmp_path), folder / name)
    xp = _month(run, site)["XPSP1"]
    assert xp["status"] == "needs patches" and xp["error"] is None
    assert any(f"XPSP1/{name}: refused: no collector writes this name" in w for w in _said(xp, "refused"))
    assert XP_PACKAGE in (site.folder("scripts") / "XPSP1.bat").read_text()
    page = (site.folder("reports") / "machines" / "XPSP1.html").read_text()
    assert f"{name}: refused: no collector writes this name" in page


@pytest.mark.parametrize("machine, name, forged", [("DC01", "system", "SYSTEM"), ("XPSP1", "software", "SOFTWARE"),
                                                   ("XPSP1", "Software", "SOFTWARE")])
def test_a_file_of_another_account_in_a_bound_folder_is_refused_alone(site, run, tmp_path, machine, name, forged):
    folder = site.folder("inventory") / machine
    with machine_account(machine) as uid:
        give(folder, uid)  # `hfstage share provision --apply`, then the machine's startup script wrote these
        source = _forged_software(site, tmp_path) if forged == "SOFTWARE" else folder / forged
        shutil.copyfile(source, folder / name)
        give(folder / name, NOBODY)  # planted before the folder was given to the machine
        row = _month(run, site)[machine]
    assert row["status"] != "unreadable" and row["error"] is None  # read from its own files: no lever on it
    assert row["binding"] == "machine account" and row["binding_owner"] == f"{machine.lower()}$"
    assert any(f"{machine}/{name}: refused: owned by nobody, not by the machine account {machine.lower()}$" in w
               for w in _said(row, "refused"))
    if machine == "XPSP1":
        assert XP_PACKAGE in (site.folder("scripts") / "XPSP1.bat").read_text()


@pytest.mark.parametrize("final, temp", [("SOFTWARE", "SOFTWARE.tmp"), ("SYSTEM", "SYSTEM.tmp"),
                                         ("done.txt", "done.tmp")])
def test_a_collection_that_cannot_replace_its_files_is_named_stale(site, run, final, temp):
    folder = site.folder("inventory") / "XPSP1"
    folder.chmod(0o1777)  # the recommended client folder: whoever collects first owns the files
    give(folder, DAEMON)
    if not (folder / final).exists():
        (folder / final).write_text("[WindowsXP-KB823980-x86-ENU.exe 1]\r\n")
        give(folder / final, DAEMON)
    shutil.copyfile(folder / final, folder / temp)
    give(folder / temp, BIN)  # the next collection, as another account: its rename was refused
    xp = _month(run, site)["XPSP1"]
    assert xp["stale_since"], xp["warnings"]
    assert any(f"XPSP1/{final}: stale: a newer collection by bin waits in {temp} and cannot replace it" in w
               for w in _said(xp, "stale"))
    page = (site.folder("reports") / "machines" / "XPSP1.html").read_text()
    assert f"stale since {xp['stale_since']}" in page


def test_a_copy_of_a_collected_file_in_another_spelling_is_refused_by_name(site, run):
    system32 = site.folder("inventory") / "W2KSRV" / "files" / "WINNT" / "system32"
    shutil.copyfile(system32 / "idq.dll", system32 / "IDQ.DLL")
    row = _month(run, site)["W2KSRV"]
    text = json.dumps(row)
    assert "refused: 2 files for one name" in text and "IDQ.DLL" in text and "idq.dll" in text
