"""Whose files a user-made machine folder holds as the machine's (issue 22, section 1; inventory.binding).

A folder a user's logon made (NT 4.0 collects at logon; on 2000/XP a logon can come before the first
startup) is that user's: files of other accounts in it are refused by name. The machine's own computer
account is not "another account": its startup script writes the same folder at the next boot. Its
files used to be refused there ("owned by xpsp1$, not by daemon, who made the folder"), so the one
writer that can be tied to the machine was locked out of its own folder until an admin provisioned it.
Now its files are read; a third account's are still refused. Accounts are real (useradd, as Samba's
`add machine script` makes `name$`); files are given with os.chown, as root.
"""

from __future__ import annotations

import json

import pytest

from tests.bindhelp import DAEMON, NOBODY, give, machine_account


@pytest.fixture
def site(month2_site):
    return month2_site


def _row(share, run, machine: str) -> dict:
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    data = json.loads((share.folder("reports") / "scan.json").read_text())
    return next(m for m in data["machines"] if m["machine"] == machine)


@pytest.mark.parametrize("machine", ["XPSP1", "W2KSRV"])
def test_the_machine_accounts_files_in_a_user_made_folder_are_read(site, run, machine):
    folder = site.folder("inventory") / machine
    with machine_account(machine) as uid:
        give(folder, DAEMON)  # a user's logon made the folder and collected first
        for hive in ("SOFTWARE", "SYSTEM"):
            give(folder / hive, uid)  # then the startup script, as the machine's own account
        (folder / "manifest.txt").write_text("tool=forged\r\n")
        give(folder / "manifest.txt", NOBODY)  # and a third account's file
        row = _row(site, run, machine)
    refused = [w["text"] for w in row["warnings"] if w["kind"] == "refused"]
    assert row["error"] is None and row["status"] != "unreadable", row["error"]
    assert not any(f"owned by {machine.lower()}$" in r for r in refused), refused
    assert any(f"{machine}/manifest.txt: refused: owned by nobody, not by daemon, who made the folder, or the "
               f"machine account {machine.lower()}$" in r for r in refused), refused
    assert row["binding"] == "user" and row["binding_owner"] == "daemon"
