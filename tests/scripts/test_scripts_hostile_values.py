"""Values that would reach a batch file: no dangerous character passes the checks, hostile machine and
file names are refused everywhere, and a hostile inventory folder name never reaches a script.
"""

from __future__ import annotations

import json
import shutil
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hfstage.scripts.batch import UnsafeValue, check_batch_value, check_file_name, check_machine_name, check_unc
from tests.conftest import ATTACKS, DATA, accept_machines, one_line
from tests.published import published

BAD_CHARS = '&|<>^%"\r\n'

@given(st.text(alphabet=string.ascii_letters + string.digits + BAD_CHARS + " .-_$\\", max_size=40))
def test_batch_values_never_pass_with_a_dangerous_character(value):
    for check in (lambda v: check_batch_value(v, "x"), check_machine_name, check_file_name, check_unc):
        try:
            accepted = check(value)
        except UnsafeValue as e:
            one_line(e) if "\n" not in value and "\r" not in value else None
            continue
        assert not set(accepted) & set(BAD_CHARS), (check, value)

def _hostile_names() -> list[str]:
    return json.loads((ATTACKS / "names.json").read_text())

def test_hostile_names_are_refused_everywhere():
    names = _hostile_names()
    assert len(names) >= 10
    for name in names + ["", "X" * 16]:
        with pytest.raises(UnsafeValue):
            check_machine_name(name)
    for name in names:
        with pytest.raises(UnsafeValue) as e:
            check_file_name(name)
        assert "file name" in str(e.value)

def test_hostile_inventory_folder_names_never_reach_a_script(run, share, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    shutil.copytree(DATA / "scan-inventory" / "SCAN-NT4", share.folder("inventory") / "PC&DEL")
    shutil.copytree(DATA / "scan-inventory" / "SCAN-NT4", share.folder("inventory") / "GOOD")
    accept_machines(share)
    code, _, err = run("scan", share.root)
    assert "inventory\\PC&DEL: skipped: not a valid NetBIOS name" in err  # one warning row
    code, _, err = run("scripts", "generate", share.root)
    assert code == 0, err
    assert sorted(p.name for p in published(share).glob("*.bat")) == [  # the collectors: the whole client set
        "GOOD-rollback.bat", "GOOD.bat", "collect_9x.bat", "collect_nt.bat", "hfstage_run.bat", "schedule_nt4.bat"]
