"""The run context a real site has (issue 23, sections 3 and 4), read from each machine's own registry.

XP runs startup scripts without waiting for the network unless the policy "Always wait for the network
at computer startup and logon" (SyncForegroundPolicy = 1) is set (KB 305293); Windows stops startup
scripts after MaxGPOScriptWait seconds (600 when not set, 0 = no limit), so a service pack is kept out
of a startup script too short for it. The machine's language (SYSTEM Nls\\Language InstallLanguage /
Default; Windows 9x: HKEY_USERS\\.DEFAULT ResourceLocale) decides which language its packages must be
in. A hive whose two sequence numbers differ was not cleanly written: it is read, and the facts say so.
Machines are regedit exports written here and hives changed by hivexregedit --merge.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hfstage.assess import SitePolicy, assess_all
from hfstage.inventory import gather_facts
from hfstage.notices import FAST_LOGON, SCRIPT_WAIT, of_kind
from hfstage.pipeline.runcontext import startup_notices
from hfstage.scripts.collectors import export_keys
from hfstage.scripts.machine_plans import short_startup
from tests.conftest import DATA

XP = r"""REGEDIT4

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows NT\CurrentVersion]
"CurrentVersion"="5.1"
"CurrentBuildNumber"="2600"
"CSDVersion"="Service Pack 1"
"SystemRoot"="C:\\WINDOWS"
"ProductName"="Microsoft Windows XP"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ProductOptions]
"ProductType"="WinNT"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName]
"ComputerName"="{name}"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Nls\Language]
"Default"="0409"
"InstallLanguage"="0407"
{extra}"""
WAIT = r"""
[HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows NT\CurrentVersion\Winlogon]
"SyncForegroundPolicy"=dword:00000001

[HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\System]
"MaxGPOScriptWait"=dword:0000012c
"""


def _export(tmp_path, name: str, text: str):
    folder = tmp_path / name
    folder.mkdir()
    (folder / "hf01.reg").write_bytes(text.replace("\n", "\r\n").encode("latin-1"))
    return folder


def test_xp_fast_logon_and_the_startup_script_limit_are_read(tmp_path):
    fast = gather_facts(_export(tmp_path, "XPFAST", XP.format(name="XPFAST", extra="")), _catalog())
    assert (fast.fast_logon, fast.script_wait, fast.language) == (True, 600, "0407")
    assert "XP's default: Fast Logon Optimization" in fast.evidence["fast_logon"]
    assert fast.evidence["language"].endswith("Nls\\Language\\InstallLanguage = '0407'")
    # XPWAIT is at no service pack: the catalog's current one is its service pack step
    wait = gather_facts(_export(tmp_path, "XPWAIT", XP.format(name="XPWAIT", extra=WAIT).replace(
        '"CSDVersion"="Service Pack 1"\n', "")), _catalog())
    assert (wait.fast_logon, wait.script_wait) == (False, 300)
    assert "Policies\\System\\MaxGPOScriptWait = 300" in wait.evidence["script_wait"]
    a_fast, a_wait = assess_all([fast, wait], _catalog(), SitePolicy())
    assert any("startup scripts cannot be relied on" in w.text and "KB 305293" in w.text
               for w in of_kind(a_fast.warnings, FAST_LOGON))
    assert any("after 300 s (MaxGPOScriptWait" in w.text for w in of_kind(a_wait.warnings, SCRIPT_WAIT))
    assert not any("MaxGPOScriptWait" in w.text for w in a_fast.warnings)  # no service pack to keep out
    assert short_startup(a_fast) and short_startup(a_wait)  # hfstage allows a service pack 1800 s
    unlimited = gather_facts(_export(tmp_path, "XPNOLIM", XP.format(name="XPNOLIM", extra=WAIT.replace(
        "dword:0000012c", "dword:00000000"))), _catalog())
    assert unlimited.script_wait == 0 and not short_startup(assess_all([unlimited], _catalog(), SitePolicy())[0])
    notices = startup_notices(_rows([a_fast, a_wait]), lambda keys: {k: {"XPFAST": a_fast, "XPWAIT": a_wait}[k]
                                                                      for k in keys})
    assert notices[0].startswith("1 Windows XP machine(s) run startup scripts without waiting for the network") \
        and notices[0].count("XPFAST") == 1 and "XPWAIT" not in notices[0]
    assert "service packs are not run from their startup scripts: XPWAIT" in notices[1]


def _catalog():
    from hfstage.catalog import parse_catalog_file
    from tests.conftest import EXAMPLES

    return parse_catalog_file(EXAMPLES / "catalog" / "month2.xml")


def _rows(assessments):
    from hfstage.history import MachineRow

    return [MachineRow(1, a.machine, a.os, a.service_pack, a.role, None, a.status, "", 0, 0, 0, None, a.machine, None)
            for a in assessments]


def test_the_9x_language_comes_from_the_exported_default_user(tmp_path):
    text = (DATA / "inventory" / "W98" / "hf01.reg").read_bytes().decode("latin-1")
    text += '\r\n[HKEY_USERS\\.DEFAULT\\Control Panel\\desktop]\r\n"ResourceLocale"="00000407"\r\n'
    facts = gather_facts(_export(tmp_path, "W98", text))
    assert facts.language == "0407" and "ResourceLocale" in facts.evidence["language"]
    assert any(k.path == "HKEY_USERS\\.DEFAULT\\Control Panel\\desktop" for k in export_keys({"applications": []}))


@pytest.mark.skipif(shutil.which("hivexregedit") is None, reason="hivexregedit not installed (libwin-hivex-perl)")
def test_the_nt4_language_comes_from_the_system_hive(tmp_path):
    machine = tmp_path / "NT4WKS"
    shutil.copytree(DATA / "inventory" / "NT4WKS", machine)
    reg = tmp_path / "nls.reg"
    key = "HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet001\\Control\\Nls"  # hivex makes a key whose parent exists
    reg.write_text(f'Windows Registry Editor Version 5.00\n\n[{key}]\n\n[{key}\\Language]\n"Default"="0409"\n')
    subprocess.run(["hivexregedit", "--merge", "--prefix", "HKEY_LOCAL_MACHINE\\SYSTEM", str(machine / "SYSTEM"),
                    str(reg)], check=True)
    facts = gather_facts(machine)
    assert facts.language == "0409" and "Nls\\Language\\Default" in facts.evidence["language"]
    assert facts.fast_logon is None and facts.script_wait is None  # NT 4.0: no Group Policy


def test_a_hive_that_was_not_cleanly_written_is_read_and_named(tmp_path):
    config = tmp_path / "drive" / "WINNT" / "system32" / "config"
    config.mkdir(parents=True)
    for hive in ("SOFTWARE", "SYSTEM"):
        shutil.copyfile(DATA / "inventory" / "NT4WKS" / hive, config / hive)
    data = bytearray((config / "SYSTEM").read_bytes())
    data[4:8] = (int.from_bytes(data[8:12], "little") + 1).to_bytes(4, "little")  # a write Windows had begun
    (config / "SYSTEM").write_bytes(bytes(data))
    (config / "SYSTEM.LOG").write_bytes(b"\0" * 512)
    facts = gather_facts(tmp_path / "drive")
    assert facts.error is None and facts.os is not None  # read all the same
    (warning,) = [w for w in facts.warnings if "not cleanly written" in w]
    assert "SYSTEM.LOG beside it holds them" in warning and "may be older than the machine" in warning
    clean = gather_facts(DATA / "inventory" / "NT4WKS")
    assert not any("not cleanly written" in w for w in clean.warnings)
