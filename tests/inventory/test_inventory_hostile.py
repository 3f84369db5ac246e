"""Hostile inventory: PE files and hives from the attack corpus (tests/data/attacks) and fuzzed hives. Each
is one error row naming the file, never an exception, and one hostile machine never stops the others.
"""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given

from hfstage.errors import InputError
from hfstage.inventory.gather import gather_facts
from hfstage.inventory.pe import read_pe_version
from tests.conftest import ATTACKS, DATA, FUZZ, accept_machines, mutations, one_line


@pytest.mark.parametrize("name, message", [
    ("resource-loop.dll", "no entry in it can be followed"),
    ("resource-out-of-range.dll", "Invalid resources directory"),
])
def test_hostile_pe_files_are_refused(name, message):
    with pytest.raises(InputError, match=message) as e:
        read_pe_version(ATTACKS / "pe" / name)
    one_line(e.value)

@pytest.mark.parametrize("name, message", [
    ("cyclic-SOFTWARE", "named twice"),  # a cycle: a key (or list) reached a second time
    ("out-of-range-SOFTWARE", "damaged or truncated hive"),
])
def test_hostile_hives_become_error_rows(tmp_path, name, message):
    machine = tmp_path / "EVIL"
    machine.mkdir()
    shutil.copyfile(ATTACKS / "hive" / name, machine / "SOFTWARE")
    facts = gather_facts(machine)
    assert message in facts.error and facts.error.startswith(str(machine / "SOFTWARE"))

def test_one_hostile_machine_does_not_stop_the_others(run, share):
    for name in ("NT4WKS", "W98"):
        shutil.copytree(DATA / "inventory" / name, share.folder("inventory") / name)
    accept_machines(share)
    for name in ("cyclic-SOFTWARE", "out-of-range-SOFTWARE"):
        (share.folder("inventory") / name.split("-")[0].upper()).mkdir()
        shutil.copyfile(ATTACKS / "hive" / name, share.folder("inventory") / name.split("-")[0].upper() / "SOFTWARE")
    code, out, _ = run("inventory", share.root)
    assert code == 1 and "4 machines, 2 unreadable, 0 skipped" in out

@FUZZ
@given(mutations((DATA / "inventory" / "NT4WKS" / "SOFTWARE").read_bytes(), start=4096))
def test_mutated_hives_only_become_error_rows(tmp_path_factory, mutated):
    machine = tmp_path_factory.mktemp("hive") / "M"
    machine.mkdir()
    (machine / "SOFTWARE").write_bytes(mutated)
    facts = gather_facts(machine)  # must not raise
    if facts.error:
        one_line(Exception(facts.error))

def test_pe_with_few_data_directories(tmp_path):
    """Found by bench/fuzz.py: a PE declaring fewer data directories than the resource one."""
    data = bytearray((DATA / "inventory" / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe").read_bytes())
    optional = int.from_bytes(data[0x3C:0x40], "little") + 4 + 20
    data[optional + 92:optional + 96] = (1).to_bytes(4, "little")  # NumberOfRvaAndSizes (PE32)
    path = tmp_path / "few.dll"
    path.write_bytes(bytes(data))
    try:
        read_pe_version(path)
    except InputError as e:
        one_line(e)


@pytest.mark.parametrize("planted", ["link to a folder", "link to nothing", "fifo", "file"])
def test_a_machine_path_that_is_not_a_real_folder_is_refused_by_name(tmp_path, planted):
    """locate_inputs looks at a machine's path once, without following it (one lstat, then one listing shared with
    the system-drive check): a link to a real collection, a dangling link, a FIFO or a plain file where the
    folder should be is refused by name, and nothing behind a link is listed or read."""
    from hfstage.inventory.gather import locate_inputs

    real = tmp_path / "REAL"
    shutil.copytree(DATA / "inventory" / "NT4WKS", real)
    path = tmp_path / "EVIL"
    {"link to a folder": lambda: path.symlink_to(real), "link to nothing": lambda: path.symlink_to(tmp_path / "gone"),
     "fifo": lambda: __import__("os").mkfifo(path), "file": lambda: path.write_bytes(b"x")}[planted]()
    with pytest.raises(InputError, match="not a folder") as e:
        locate_inputs(path)
    assert str(e.value).startswith(str(path))
    one_line(e.value)
    assert locate_inputs(real).software == real / "SOFTWARE"  # the real folder itself is read as ever


@pytest.mark.parametrize("windows", ["WINDOWS", "winnt"])
def test_a_windows_folder_planted_in_a_machine_folder_does_not_make_its_hives_the_machines(run, share, windows):
    """A cold review found that a machine folder under inventory\\ holding WINDOWS\\system32\\config was read as a
    mounted system drive: its hives became the machine's with no check of owner, names or variants, so a share
    user who could write there decided the machine's installs. On the share a folder is a collector's, whatever it
    holds: the planted folder is no collector's output, and the collector's own hives stay the machine's facts.
    A drive an admin names (`hfstage facts PATH`) is still read as a drive."""
    from hfstage.inventory.gather import locate_inputs

    shutil.copytree(DATA / "inventory" / "NT4WKS", share.folder("inventory") / "NT4WKS")
    accept_machines(share)
    config = share.folder("inventory") / "NT4WKS" / windows / "system32" / "config"
    config.mkdir(parents=True)
    for hive in ("SOFTWARE", "SYSTEM"):
        shutil.copyfile(DATA / "inventory" / "W2KSRV" / hive, config / hive)  # another machine's: Windows 2000
    inputs = locate_inputs(share.folder("inventory") / "NT4WKS")
    assert inputs.kind == "folder" and inputs.software == share.folder("inventory") / "NT4WKS" / "SOFTWARE"
    run("inventory", share.root)
    facts = (share.folder("state") / "facts" / "NT4WKS.json").read_text()
    assert "Windows NT" in facts and "Windows 2000" not in facts
    drive = locate_inputs(share.folder("inventory") / "NT4WKS", drive=True)  # an admin's own path: a drive
    assert drive.kind == "drive" and drive.software == config / "SOFTWARE"
