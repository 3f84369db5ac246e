"""Machine facts from hives written by hivex, regedit exports and mingw-built PE files."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hfstage.catalog.parser import parse_catalog_file
from hfstage.inventory.gather import gather_facts
from hfstage.inventory.hive import open_hive
from hfstage.inventory.regfile import read_reg_files
from hfstage.inventory.regtree import walk
from tests.conftest import DATA, EXAMPLES

INV = DATA / "inventory"
SRC = DATA / "machines-src"
MONTH1 = EXAMPLES / "catalog" / "month1.xml"


@pytest.fixture(scope="module")
def month1():
    return parse_catalog_file(MONTH1)


def test_nt4_sp6a_workstation(month1):
    f = gather_facts(INV / "NT4WKS", month1)
    assert f.error is None and f.warnings == [] and f.missing == []
    assert (f.computer_name, f.os_family, f.version, f.build) == ("NT4WKS", "NT", "4.0", "1381")
    assert (f.service_pack, f.service_pack_label, f.product_type) == (6, "6a", "WinNT")
    assert "Hotfix\\Q246009\\Installed = 1 (SP6a)" in f.evidence["service_pack"]
    assert f.evidence["computer_name"].startswith("HKLM\\SYSTEM\\ControlSet001\\Control\\ComputerName")
    assert (f.os.name, f.os.product_id, f.os.service_pack_id) == ("Windows NT Workstation 4.0", 1, 7)
    assert [(a.name, a.service_pack, a.product_id) for a in f.applications] == [
        ("Internet Explorer 6", 1, 111), ("Outlook Express 6", 0, None)]
    assert [(h.id, h.installed, h.source) for h in f.hotfixes] == [
        ("Q246009", 1, "Hotfix"), ("Q299444", 1, "Hotfix"), ("Q326830", 1, "Hotfix")]
    files = {x.path: x for x in f.files}
    assert files["C:\\WINNT\\system32\\rpcss.exe"].file_version == "4.0.1381.7118"
    # collected as WINNT\System32\RPCRT4.DLL: names are matched case-insensitively
    assert files["C:\\WINNT\\system32\\rpcrt4.dll"].file_version == "4.0.1381.7200"
    assert f.file("C:\\WINNT\\system32\\idq.dll").problem == "not collected"
    assert "C:\\WINNT\\system32\\idq.dll" not in files  # absent files are said once, not listed
    assert files["C:\\WINNT\\system32\\rpcss.exe"].machine_type == "i386"
    # every registry value the catalog checks is read, present or not
    hotfix = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\"
    assert f.reg(hotfix + "Q299444", "Installed").value == "1"
    absent = f.reg(hotfix + "Q300972", "installed")
    assert (absent.key_found, absent.value) == (False, None)


def test_real_catalog_ids(real_catalog_path):
    catalog = parse_catalog_file(real_catalog_path)
    nt4 = gather_facts(INV / "NT4WKS", catalog)
    assert (nt4.os.product_id, nt4.os.service_pack_id) == (1, 7)  # "Windows NT4 Service Pack 6a"
    w2k = gather_facts(INV / "W2KSRV", catalog)
    assert (w2k.os.name, w2k.os.product_id, w2k.os.service_pack_id) == ("Windows 2000 Server", 6, 2)
    iis = next(a for a in w2k.applications if a.name == "Internet Information Services 5.0")
    assert (iis.product_id, iis.service_pack_id, iis.service_pack) == (17, 2, 2)
    ie = next(a for a in w2k.applications if a.name == "Internet Explorer 5.01")
    assert (ie.product_id, ie.service_pack_id) == (52, catalog_sp(catalog, "Internet Explorer 5.01 SP2"))


def catalog_sp(catalog, name):
    return next(sp.id for sp in catalog.service_packs.values() if sp.name == name)


def test_domain_controller_uses_select_current():
    f = gather_facts(INV / "DC01")
    assert f.computer_name == "DC01"  # ControlSet002; ControlSet001 holds a stale name
    assert f.evidence["computer_name"].startswith("HKLM\\SYSTEM\\ControlSet002\\")
    assert (f.product_type, f.product_suite, f.os.name) == ("LanmanNT", ["Terminal Server"], "Windows 2000 Server")
    assert (f.service_pack, f.system_root) == (3, "D:\\WINNT")
    assert {(a.name, a.service_pack) for a in f.applications} == {
        ("SQL Server 2000", 3), ("Office 2000", 0), ("Exchange 2000 Server", 0)}


def test_xp_hotfix_and_updates_entries():
    f = gather_facts(INV / "XPSP1")
    assert (f.os.name, f.service_pack) == ("Windows XP Professional", 1)
    assert {(h.id, h.source) for h in f.hotfixes} == {("KB823980", "Hotfix"), ("KB823980", "Updates")}
    assert ("Windows Media Player for Windows XP", "8,0,0,4477") in {(a.name, a.version) for a in f.applications}


@pytest.mark.parametrize("machine, os_name, ie", [
    ("W95", "Windows 95", None), ("W98", "Windows 98", "Internet Explorer 5.01"),
    ("W98SE-ANSI", "Windows 98 SE", "Internet Explorer 6"), ("W98SE-UNICODE", "Windows 98 SE", "Internet Explorer 6"),
    ("WME", "Windows Me", "Internet Explorer 5.5"), ("W98-UNICODE", "Windows 98", "Internet Explorer 5.01"),
    ("WME-ANSI", "Windows Me", "Internet Explorer 5.5"),
])
def test_9x_exports(machine, os_name, ie):
    f = gather_facts(INV / machine)
    assert f.error is None and f.os_family == "9x" and f.os.name == os_name
    assert ie is None or ie in {a.name for a in f.applications}


def test_95_updates_are_listed():
    f = gather_facts(INV / "W95")
    assert [(h.id, h.installed, h.source) for h in f.hotfixes] == [
        ("W95-KB276471", 1, "Setup\\Updates"), ("Q174543", None, "Setup\\Updates")]


def test_both_export_encodings_give_the_same_tree():
    ansi = read_reg_files([INV / "W98SE-ANSI" / "hf01.reg"])
    uni = read_reg_files([INV / "W98SE-UNICODE" / "hf01.reg"])
    assert (INV / "W98SE-UNICODE" / "hf01.reg").read_bytes()[:2] == b"\xff\xfe"
    key = "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion"
    for export in (ansi, uni):
        cv = walk(export.root, key)
        assert cv.value("InstallPath") == "C:\\WINDOWS"  # hex(2)
        assert cv.value("Paths") == ["C:\\", "D:\\"]  # hex(7), wrapped over two lines in the v5 file
        assert cv.value("ProductId") == b"123\x00"  # hex:
        assert cv.value("SubVersionNumber") == " A "
        run = walk(export.root, key + "\\Run")
        assert run.value("Quoted") == 'say "hi" from C:\\TEMP\\' and run.value("") == "default value"
        assert walk(export.root, "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Deleted Later") is None
        assert export.warnings == []
    f1, f2 = gather_facts(INV / "W98SE-ANSI"), gather_facts(INV / "W98SE-UNICODE")
    assert f1.os == f2.os and f1.applications == f2.applications


def test_ansi_export_keeps_code_page_text():
    cv = walk(read_reg_files([INV / "W98" / "hf01.reg"]).root,
              "HKEY_LOCAL_MACHINE\\Software\\Microsoft\\Windows\\CurrentVersion")
    assert cv.value("RegisteredOwner") == "Café François"


def test_hive_values_match_their_source():
    """Every value hivex merged into a hive reads back the same through python-registry."""
    for machine in ("NT4WKS", "W2KSRV", "XPSP1", "DC01"):
        for hive in ("SOFTWARE", "SYSTEM"):
            source = read_reg_files([SRC / machine / f"{hive}.reg"]).root
            root = open_hive(INV / machine / hive)
            checked = _compare(walk(source, f"HKEY_LOCAL_MACHINE\\{hive}"), root)
            assert checked > 0, (machine, hive)


def _compare(text_key, hive_key) -> int:
    count = 0
    for name, value in text_key.values().items():
        assert hive_key.value(name) == value, (text_key.name, name)
        count += 1
    for sub in text_key.subkeys():
        count += _compare(sub, hive_key.subkey(sub.name))
    return count


@pytest.mark.skipif(shutil.which("hivexget") is None, reason="hivexget not installed")
def test_hivexget_reads_the_fixture_hives():
    out = subprocess.run(["hivexget", str(INV / "NT4WKS" / "SOFTWARE"), "\\Microsoft\\Windows NT\\CurrentVersion",
                          "CSDVersion"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "Service Pack 6"


def test_bad_inputs_are_error_or_warning_rows():
    trunc = gather_facts(INV / "BADTRUNC")
    assert trunc.error == (f"{INV / 'BADTRUNC' / 'SOFTWARE'}: damaged or truncated hive: its header declares "
                           "12,288 bytes, the file has 6,000 (copied while being written, or the copy was cut short)")
    corrupt = gather_facts(INV / "BADCORRUPT")
    assert corrupt.error.startswith(f"{INV / 'BADCORRUPT' / 'SOFTWARE'}: damaged or truncated hive")
    assert corrupt.computer_name == "BADCORRUPT"  # the SYSTEM hive still says what it can
    bad = gather_facts(INV / "BADREG")
    assert bad.error is None and bad.os.name == "Windows 98"
    assert [w.split(": cannot parse")[0] for w in bad.parse_errors] == [
        f"{INV / 'BADREG' / 'hf01.reg'} line 5", f"{INV / 'BADREG' / 'hf01.reg'} line 6"]
    named = gather_facts(INV / "MISNAMED")
    assert named.warnings == ["computer name 'W2KSRV' differs from the inventory folder name 'MISNAMED'"]
    nores = gather_facts(INV / "NORES")
    (rpcss,) = nores.files
    assert (rpcss.found, rpcss.file_version, rpcss.problem) == (True, None, "no version resource")


def test_partial_inputs_say_what_is_missing(tmp_path):
    only_system = tmp_path / "HALF"
    only_system.mkdir()
    shutil.copyfile(INV / "NT4WKS" / "SYSTEM", only_system / "SYSTEM")
    f = gather_facts(only_system)
    assert f.error is None and f.computer_name == "NT4WKS" and f.os is None
    assert (f.os_family, f.product_type, f.role) == ("NT", "WinNT", "workstation")  # SYSTEM alone says this
    assert f.missing[0].startswith("SOFTWARE hive")
    empty = tmp_path / "EMPTY"
    empty.mkdir()
    waiting = gather_facts(empty)
    assert waiting.error is None and not waiting.collected  # a new machine's folder: waiting for its collector
    (empty / "notes.txt").write_text("x")
    assert "no SOFTWARE or SYSTEM hive and no .reg export" in gather_facts(empty).error


def test_mounted_system_drive(tmp_path, month1):
    drive = tmp_path / "mnt"
    config = drive / "winnt" / "System32" / "CONFIG"
    config.mkdir(parents=True)
    shutil.copyfile(INV / "NT4WKS" / "SOFTWARE", config / "software")
    shutil.copyfile(INV / "NT4WKS" / "SYSTEM", config / "system")
    shutil.copytree(INV / "NT4WKS" / "files" / "WINNT" / "system32", drive / "winnt" / "system32", dirs_exist_ok=True)
    f = gather_facts(drive, month1)
    assert f.os.name == "Windows NT Workstation 4.0" and f.service_pack_label == "6a"
    files = {x.path: x for x in f.files}
    assert files["C:\\WINNT\\system32\\rpcss.exe"].file_version == "4.0.1381.7118"
    assert f.file("C:\\WINNT\\system32\\idq.dll").problem == "not present on the drive"
