"""A forged done.txt line never takes a patch out of a machine's script for good (issue 22, section 1).

The client's done markers (`[package size]`, `[package size rN]` for the Nth retry) come back in
inventory\\<M>\\done.txt, a file any user can write; a package's name and size are public. One forged
line (`[WindowsXP-KB824146-x86-ENU.exe <size> r7]`) made XPSP1's script give up on MS03-039 ("reported
installed 8 times") and, on NT 4.0, one plain line held the hotfix back for good (KB 184305). Now a
marker holds a package back only when the machine confirms it: its folder is bound to its computer
account, or the scan finds the patch's own Hotfix key in its registry (the package did run there).
Otherwise the marker only moves the retry to a new identity, so the client's own marker cannot make it
skip the package: a forged line costs a reinstall, never the patch.
"""

from __future__ import annotations

import json

import pytest

from tests.bindhelp import DAEMON, give, machine_account
from tests.published import published

XP = "WindowsXP-KB824146-x86-ENU.exe"
NT4 = "WindowsNT4Workstation-KB824146-x86-ENU.exe"


@pytest.fixture
def site(month2_site):
    return month2_site


def _forge(share, machine: str, package: str, rounds: list[str]) -> None:
    size = (share.folder("hotfixes") / package).stat().st_size
    (share.folder("inventory") / machine / "done.txt").write_text(
        "".join(f"[{package} {size}{r}]\r\n" for r in rounds), encoding="latin-1")


@pytest.mark.parametrize("machine, package, rounds, folder_of", [
    ("XPSP1", XP, [" r7"], None), ("XPSP1", XP, ["", " r1"], None), ("XPSP1", XP, [" r1"], DAEMON),
    ("NT4WKS", NT4, [""], None), ("NT4WKS", NT4, [""], DAEMON)])
def test_a_forged_marker_moves_the_retry_but_keeps_the_patch_in_the_script(site, run, machine, package, rounds,
                                                                           folder_of):
    if folder_of is not None:  # a folder a user's logon script made: still not the machine's own word
        give(site.folder("inventory") / machine, folder_of)
    _forge(site, machine, package, rounds)
    assert run("month", site.root, "--fail-on", "none")[0] == 0
    script = (published(site) / f"{machine}.bat").read_text()
    assert f"\\{package}" in script  # still installed: the marker only asks for a retry
    assert f"[{package} " in script and " r" in script.split(f"[{package} ", 1)[1].split("]", 1)[0]
    report = json.loads(run("results", site.root, "--json", "--fail-on", "none")[1])
    (line,) = report["reported_installed_still_missing"][machine]
    assert "not counted toward giving up: done.txt is not bound to the machine account" in line


def test_the_same_marker_in_a_bound_folder_holds_the_package_back(site, run):
    _forge(site, "XPSP1", XP, [" r7"])
    with machine_account("XPSP1") as uid:
        give(site.folder("inventory") / "XPSP1", uid)  # the machine's own startup script wrote it
        assert run("month", site.root, "--fail-on", "none")[0] == 0
    script = (published(site) / "XPSP1.bat").read_text()
    assert f"\\{XP}" not in script
    assert "reported installed 8 times and still missing: not tried again" in script
    # and the forged marker of an unbound folder: the patch stays (the first half, on the same share)
    _forge(site, "XPSP1", XP, [" r7"])
    run("month", site.root, "--fail-on", "none")
    assert f"\\{XP}" in (published(site) / "XPSP1.bat").read_text()
