"""Hostile inputs: the attack corpus (tests/data/attacks, made by make_attacks.py) and fuzzing.

Every parser must return a result or raise the project's own error with a one-line
message; nothing may hang (hypothesis' deadline) or write outside its folder.
"""

from __future__ import annotations

import json
import shutil
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hfstage.cab.authenticode import verify_cabinet
from hfstage.cab.extract import extract_cabinet, read_cabinet
from hfstage.cab.trust import load_trust
from hfstage.catalog.parser import parse_catalog_file
from hfstage.errors import HfstageError, InputError, UnsafeInputError
from hfstage.inventory.gather import gather_facts
from hfstage.inventory.pe import read_pe_version
from hfstage.scripts.batch import UnsafeValue, check_batch_value, check_file_name, check_machine_name, check_unc
from tests.conftest import CABS, DATA, EXAMPLES, accept_machines, mutations

ATTACKS = DATA / "attacks"
FUZZ = settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _one_line(error: Exception) -> None:
    assert "\n" not in str(error) and str(error)


@pytest.mark.parametrize("name, message", [
    ("xxe-file.xml", "declares a DTD or entities"), ("xxe-parameter.xml", "declares a DTD or entities"),
    ("billion-laughs.xml", "declares a DTD or entities"), ("quadratic-blowup.xml", "declares a DTD or entities"),
    ("deep-nesting.xml", "nested more than 32 deep"),
])
def test_hostile_xml_is_refused(name, message):
    with pytest.raises(UnsafeInputError, match=message) as e:
        parse_catalog_file(ATTACKS / "xml" / name)
    _one_line(e.value)
    assert str(e.value).startswith(str(ATTACKS / "xml" / name))


def test_signature_of_another_file_is_refused(run, trusted_share):
    cab = ATTACKS / "cab" / "signature-of-another-file.cab"
    result = verify_cabinet(cab, load_trust(EXAMPLES / "trust"))
    assert result.signature_valid and not result.digest_matches and not result.ok
    code, _, err = run("catalog", "import", trusted_share.root, cab)
    assert code == 5 and "modified after signing" in err
    assert not [p for p in trusted_share.folder("catalogs").iterdir() if p.is_dir()]


@pytest.mark.parametrize("name, message", [
    ("resource-loop.dll", "no entry in it can be followed"),
    ("resource-out-of-range.dll", "Invalid resources directory"),
])
def test_hostile_pe_files_are_refused(name, message):
    with pytest.raises(InputError, match=message) as e:
        read_pe_version(ATTACKS / "pe" / name)
    _one_line(e.value)


@pytest.mark.parametrize("name, message", [
    ("cyclic-SOFTWARE", "leads back to 'Microsoft', a key that contains it (a cycle)"),
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


BAD_CHARS = '&|<>^%"\r\n'


@given(st.text(alphabet=string.ascii_letters + string.digits + BAD_CHARS + " .-_$\\", max_size=40))
def test_batch_values_never_pass_with_a_dangerous_character(value):
    for check in (lambda v: check_batch_value(v, "x"), check_machine_name, check_file_name, check_unc):
        try:
            accepted = check(value)
        except UnsafeValue as e:
            _one_line(e) if "\n" not in value and "\r" not in value else None
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
    assert sorted(p.name for p in share.folder("scripts").glob("*.bat")) == ["GOOD-rollback.bat", "GOOD.bat"]


@pytest.mark.parametrize("cab", sorted(p.name for p in (DATA / "attacks" / "cab").glob("traversal-*.cab")))
def test_corpus_cabinets_with_escaping_names_write_nothing(tmp_path, cab):
    with pytest.raises(UnsafeInputError):
        extract_cabinet(ATTACKS / "cab" / cab, tmp_path / "out")
    assert list(tmp_path.iterdir()) == []


@FUZZ
@given(mutations((CABS / "signed-sha256.cab").read_bytes()))
def test_mutated_cabinets_only_raise_project_errors(tmp_path_factory, mutated):
    work = tmp_path_factory.mktemp("cab")
    path = work / "m.cab"
    path.write_bytes(mutated)
    for action in (lambda: read_cabinet(path), lambda: verify_cabinet(path, load_trust(None)),
                   lambda: extract_cabinet(path, work / "out", max_bytes=10 * 1024 * 1024)):
        try:
            action()
        except HfstageError as e:
            _one_line(e)
    assert {p.name for p in work.iterdir()} <= {"m.cab", "out"}


@FUZZ
@given(mutations((DATA / "inventory" / "NT4WKS" / "SOFTWARE").read_bytes(), start=4096))
def test_mutated_hives_only_become_error_rows(tmp_path_factory, mutated):
    machine = tmp_path_factory.mktemp("hive") / "M"
    machine.mkdir()
    (machine / "SOFTWARE").write_bytes(mutated)
    facts = gather_facts(machine)  # must not raise
    if facts.error:
        _one_line(Exception(facts.error))


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
        _one_line(e)


def test_every_damaged_byte_of_a_signature_blob_is_a_refusal_not_a_crash(tmp_path):
    """Found by bench/fuzz.py: certificates that load but fail later (public key, subject)."""
    import struct

    data = (CABS / "signed-sha256.cab").read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    trust = load_trust(EXAMPLES / "trust")
    path = tmp_path / "x.cab"
    accepted = []
    positions = range(offset, offset + length, 5)
    for pos in positions:
        damaged = bytearray(data)
        damaged[pos] ^= 0x5A
        path.write_bytes(bytes(damaged))
        if verify_cabinet(path, trust).ok:  # must not raise
            accepted.append(pos - offset)
    # Parts no signature covers may change (the outer digestAlgorithms set, padding), as with
    # Windows' own verifier; everything else must be refused.
    assert len(accepted) <= len(positions) // 20, accepted
