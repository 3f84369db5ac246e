"""No machine may be named like a program the scripts run by bare name.

The story (review lead b): command.com and cmd look in the current folder before PATH, and for a logon
script that folder is NETLOGON, where the admin copies netlogon\\*.bat, the 9x stubs <MACHINE>.bat among
them. A machine folder named FIND got a netlogon\\FIND.bat stub (set HFM=FIND, call the collector): every
9x collector's `find` then ran it instead of find.exe (and REGEDIT.BAT would replace the export). Such
names are refused where every reserved name is (share/names.py): the machine is skipped and named, no
stub is written, `share check` says why.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from hfstage.share.names import machine_name_problem
from tests.conftest import DATA

COMMANDS = ["FIND", "regedit", "Start", "XCOPY", "REG", "rundll32", "AT", "CACLS", "MSIEXEC"]


@pytest.mark.parametrize("name", COMMANDS)
def test_a_program_name_is_not_a_machine_name(name):
    assert "the name of a program the scripts run" in (machine_name_problem(name) or "")


def test_ordinary_names_stay_machine_names():
    assert all(machine_name_problem(n) is None for n in ("W98", "FINDER", "REG01", "START-PC", "NT4WKS"))


def test_a_9x_machine_named_find_gets_no_netlogon_stub(share, run):
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    for name in ("FIND", "REGEDIT", "W98"):
        shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / name)
    code, out, err = run("scripts", "collectors", share.root)
    assert code == 0, err
    written = {p.name.casefold() for p in share.folder("netlogon").iterdir()}
    assert "w98.bat" in written and "find.bat" not in written and "regedit.bat" not in written, written
    check = subprocess.run([sys.executable, "-m", "hfstage", "share", "check", str(share.root)], capture_output=True,
                           text=True, timeout=120)
    assert check.returncode == 1
    for name in ("FIND", "REGEDIT"):
        assert f"{share.folder('inventory') / name}: machine name: the name of a program" in check.stdout, check.stdout
