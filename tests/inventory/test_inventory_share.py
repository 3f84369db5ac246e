"""`hfstage inventory` on a share: parallel, cached, error rows; pe-version; fuzzed parsers."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from hypothesis import given, settings

from hfstage.errors import HfstageError, InputError
from hfstage.inventory import run as runmod
from hfstage.inventory.pe import read_pe_version
from hfstage.inventory.regfile import parse_reg_text
from tests.conftest import DATA, mutations

INV = DATA / "inventory"
DLL = INV / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe"


@pytest.fixture
def filled_share(trusted_share):
    for machine in INV.iterdir():
        shutil.copytree(machine, trusted_share.folder("inventory") / machine.name)
    return trusted_share


def test_inventory_all_machines_in_parallel(run, filled_share):
    code, out, _ = run("inventory", filled_share.root, "--jobs", "2", "--json")
    rows = {r["machine"]: r for r in json.loads(out)}
    assert code == 1 and len(rows) == 16  # unreadable machines are findings
    assert rows["NT4WKS"]["os"]["name"] == "Windows NT Workstation 4.0"
    # the fixtures' variants (W98SE-ANSI holds W98SE's export) are, on a share, filed in the wrong folder:
    # a folder there is named by its machine's collector, so another computer's data is never assessed as its own
    misfiled = {"MISNAMED", "W98-UNICODE", "W98SE-ANSI", "W98SE-UNICODE", "WME-ANSI"}
    assert {m for m, r in rows.items() if r["error"]} == {"BADTRUNC", "BADCORRUPT"} | misfiled
    assert rows["BADTRUNC"]["error"].startswith(str(filled_share.folder("inventory") / "BADTRUNC" / "SOFTWARE"))
    assert rows["MISNAMED"]["error"] == (
        f"{filled_share.folder('inventory') / 'MISNAMED'}: the registry data is of computer 'W2KSRV', not 'MISNAMED' "
        "(filed in the wrong folder, or a rename waiting for a reboot): not assessed, no script; move the files to "
        "the right folder")
    code, out, _ = run("inventory", filled_share.root, "--fail-on", "none")
    assert code == 0 and "16 machines, 7 unreadable, 0 skipped" in out and "BADCORRUPT     ERROR" in out


def test_unchanged_machines_come_from_the_cache(filled_share, monkeypatch):
    calls = []
    real = runmod.safe_read
    monkeypatch.setattr(runmod, "safe_read", lambda f, *rest: calls.append(f.name) or real(f, *rest))
    runmod.inventory(filled_share, None, jobs=1)
    assert len(calls) == 16
    calls.clear()
    first = runmod.inventory(filled_share, None, jobs=1)
    assert calls == [] and first.cached == 16
    hive = filled_share.folder("inventory") / "W2KSRV" / "SOFTWARE"
    os.utime(hive, ns=(hive.stat().st_atime_ns, hive.stat().st_mtime_ns + 10**9))
    second = runmod.inventory(filled_share, None, jobs=1)
    assert calls == ["W2KSRV"]
    assert [f.to_dict() for f in first.facts] == [f.to_dict() for f in second.facts]
    assert first.hashes == second.hashes


def test_a_machine_whose_facts_file_is_gone_is_made_again(filled_share):
    """Its entry is not enough: what it vouches for is not there (a state folder restored in part). Its facts are
    made again (from its remembered raw facts) and written."""
    first = runmod.inventory(filled_share, None, jobs=1)
    (first.cache / "W2KSRV.json").unlink()
    second = runmod.inventory(filled_share, None, jobs=1)
    assert (second.cached, second.read + second.projected) == (15, 1) and (first.cache / "W2KSRV.json").is_file()
    assert first.hashes == second.hashes


def test_one_machine_and_unknown_machine(run, filled_share):
    code, out, _ = run("inventory", filled_share.root, "--machine", "dc01", "--json")
    assert [r["machine"] for r in json.loads(out)] == ["DC01"]
    code, _, err = run("inventory", filled_share.root, "--machine", "NOPE")
    assert code == 2 and "no inventory folder for machine nope" in err


def test_unnamed_9x_exports_are_filed_by_their_computer_name(share):
    spool = share.folder("inventory") / "_unnamed" / "alice"
    spool.mkdir(parents=True)
    shutil.copyfile(INV / "WME" / "hf01.reg", spool / "hf01.reg")
    rows = runmod.inventory(share, None).facts
    assert [r.machine for r in rows] == ["WME"]
    assert (share.folder("inventory") / "WME" / "hf01.reg").is_file() and not spool.joinpath("hf01.reg").exists()


def test_facts_cli(run):
    code, out, _ = run("facts", INV / "NT4WKS", "--json")
    assert code == 0 and json.loads(out)["service_pack_label"] == "6a"
    code, out, err = run("facts", INV / "BADTRUNC")
    assert code == 3 and "ERROR:" in out and err.startswith("Error: ")


def test_pe_version_cli(run, tmp_path):
    junk = tmp_path / "junk.dll"
    junk.write_bytes(b"MZ" + b"\0" * 100)
    code, out, _ = run("pe-version", DLL, junk, "--json")
    rows = json.loads(out)
    assert code == 3
    assert rows[0]["file_version"] == "4.0.1381.7118" and rows[0]["file_version_string"] == "4.0.1381.7118"
    assert rows[0]["machine"] == "i386" and rows[1]["error"].startswith(f"{junk}: ")


@settings(max_examples=200, deadline=None)
@given(mutations(DLL.read_bytes()))
def test_mutated_pe_files_only_raise_project_errors(tmp_path_factory, mutated):
    path = tmp_path_factory.mktemp("pe") / "m.dll"
    path.write_bytes(mutated)
    try:
        read_pe_version(path)
    except InputError as e:
        assert "\n" not in str(e)


@settings(max_examples=300, deadline=None)
@given(mutations((INV / "W98SE-ANSI" / "hf01.reg").read_bytes()))
def test_mutated_reg_exports_only_raise_project_errors(mutated):
    try:
        export = parse_reg_text(mutated, "fuzz.reg")
    except HfstageError as e:
        assert "\n" not in str(e)
    else:
        assert all(w.startswith("fuzz.reg line ") for w in export.warnings)
