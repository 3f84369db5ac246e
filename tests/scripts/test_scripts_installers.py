"""Installer commands that do what they claim (issue 23, section 2).

Each rule comes from a KB article and sits in data/installers.json with its source: a Windows Installer
patch before Installer 3.0 needs REINSTALL=ALL REINSTALLMODE=omus or it updates no file (the version is
msi.dll's, collected from the machine); Hotfix.exe runs -q where no one is logged on and -m at a logon
(KB 184305); Update.exe takes /m on Windows 2000 and /u on XP (KB 296861); a package whose engine
cannot be read gets no switches until an admin names its kind (the GUI Hotfix utility of KB 257946
restarts on -z); NT 4.0 cannot take a hotfix over itself (KB 184305); a package's own INF says which
Windows it is for; QChain from before KB 815062's fix is refused; Windows 95 has no documented restart
command. Packages are tests/data/packages (make_packages.sh: mingw-w64, gcab); machines are the example
site's hives and regedit exports, scanned against the example catalog or the genuine 2001 one.
"""

from __future__ import annotations

import shutil
import subprocess

from hfstage.assess import Assessment
from hfstage.inventory import gather_facts
from hfstage.notices import INSTALL
from hfstage.packages import decide, inspect_package, load_engines, load_installers, target_problem
from hfstage.scripts import parse_log
from hfstage.scripts.commands import kind_command
from tests.conftest import DATA, EXAMPLES
from tests.packages.test_packages import _share
from tests.published import published

PACKAGES = DATA / "packages"
NT4_KB = "WindowsNT4Workstation-KB824146-x86-ENU.exe"


def test_the_windows_installer_version_is_read_from_msi_dll_and_chooses_the_patch_command(tmp_path):
    table = load_installers()["kinds"]["msi"]
    for dll, version, reinstall in (("msi-2.0.dll", "2.0.2600.1", True), ("msi-3.0.dll", "3.0.3790.2180", False)):
        machine = tmp_path / dll / "XPSP1"
        shutil.copytree(DATA / "inventory" / "XPSP1", machine)
        system32 = machine / "files" / "WINDOWS" / "system32"
        system32.mkdir(parents=True)
        shutil.copyfile(PACKAGES / dll, system32 / "msi.dll")
        facts = gather_facts(machine)
        assert facts.installer_version == version, facts.evidence
        assert facts.evidence["installer_version"] == f"C:\\WINDOWS\\system32\\msi.dll has version {version}"
        command = kind_command(table, "xp", facts.installer_version)
        assert ("REINSTALL=ALL REINSTALLMODE=omus" in command) is reinstall and "/qn" in command
    # a machine whose msi.dll was not collected gets the form every version takes
    assert "REINSTALL=ALL REINSTALLMODE=omus /qn" in kind_command(table, "xp", None)
    assert "/quiet" not in kind_command(table, "xp", "3.1.4000.1823")  # /quiet /norestart are 3.0's: never needed


def test_update_exe_takes_m_on_windows_2000_and_u_on_xp():
    update = load_installers()["kinds"]["update"]
    assert kind_command(update, "w2k", None) == '"{file}" -m -q -z'
    assert kind_command(update, "xp", None) == '"{file}" -u -q -z'
    assert "KB 296861" in update["source"]


def test_an_unknown_engine_is_never_taken_for_hotfix_exe():
    plain = inspect_package("q300000_ex.exe", (PACKAGES / "plain.exe").read_bytes(), None)
    d = decide("q300000_ex.exe", "Exchange Server 5.5", "NT", plain, load_installers(), load_engines(), {}, {})
    assert (d.kind, d.source, d.confirmed) == (None, "default", False)  # not "hotfix" (-z restarts: KB 257946)
    assert load_installers()["kinds"]["gui-hotfix"]["install"] is None


def test_a_guessed_kind_shows_no_switches_and_confirm_names_the_kind(run, share, tmp_path):
    _share(run, share, tmp_path, {NT4_KB: "plain.exe"})
    code, out, _ = run("packages", share.root, "--json")
    import json
    row = next(r for r in json.loads(out)["packages"] if r["file"] == NT4_KB)
    assert (row["kind"], row["switches"], row["scripted"]) == ("hotfix?", "", False)  # a guess: shown, never run
    assert f"packages confirm SHARE {NT4_KB} --kind hotfix" in row["problem"]
    code, _, err = run("packages", "confirm", share.root, NT4_KB, "--kind", "gui-hotfix")
    assert code == 0
    code, _, err = run("scripts", "generate", share.root)
    assert "no silent switches are known for it (Exchange 4.0-5.5 and SMS 2.0 GUI Hotfix" in err
    code, _, err = run("packages", "confirm", share.root, "update.exe", "--kind", "nonsense")
    assert code == 2 and "--kind nonsense: use one of hotfix" in err


def test_hotfix_exe_is_quiet_where_no_one_is_logged_on(run, share, tmp_path):
    _share(run, share, tmp_path, {})
    assert run("scripts", "generate", share.root)[0] == 0
    text = (published(share) / "NT4WKS.bat").read_text()
    assert f'"%HF_PKG%\\{NT4_KB}" -z %HF_UI%' in text
    preamble = text[:text.index("rem 1. Rights")]
    assert "set HF_UI=-q\n" in preamble.replace("\r", "") and 'if "%HF_CONTEXT%"=="logon" set HF_UI=-m' in preamble


def test_nt4_hotfix_reported_installed_but_missing_is_held_back_not_reinstalled(run, share, tmp_path):
    _share(run, share, tmp_path, {})
    size = (share.folder("hotfixes") / NT4_KB).stat().st_size
    (share.folder("inventory") / "NT4WKS" / "done.txt").write_text(f"[{NT4_KB} {size}]\r\n")
    # the package ran (Hotfix.exe wrote its key) and the scan still finds the old file: the machine confirms the
    # marker (an unconfirmed one, which any user can write, only moves the retry: tests/test_binding_done.py)
    reg = tmp_path / "key.reg"
    reg.write_text("Windows Registry Editor Version 5.00\n\n[\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\"
                   "KB824146]\n\"Installed\"=dword:00000001\n")
    subprocess.run(["hivexregedit", "--merge", str(share.folder("inventory") / "NT4WKS" / "SOFTWARE"), "--prefix",
                    "HKEY_LOCAL_MACHINE\\SOFTWARE", str(reg)], check=True, capture_output=True)
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, _, err = run("scripts", "generate", share.root)
    assert "Windows NT 4.0 cannot take a hotfix over itself (KB 184305" in err
    assert f'"%HF_PKG%\\{NT4_KB}"' not in (published(share) / "NT4WKS.bat").read_text()


def test_a_package_for_another_windows_is_held_back_with_both_named(run, share, tmp_path):
    _share(run, share, tmp_path, {NT4_KB: "hotfix-sp2.exe"})
    code, _, err = run("scripts", "generate", share.root)
    assert "held back: the package's own INF says it is for Service Pack 2 or earlier; this machine is " \
           "Windows NT Workstation 4.0 at Service Pack 6" in err


def _machine(os="Windows NT Workstation 4.0", sp="6a", version="4.0", language="0409") -> Assessment:
    return Assessment("M", os, sp, version=version, language=language)


def test_the_inf_target_checks_terminal_server_service_pack_and_language():
    def problem(name, a):
        return target_problem(inspect_package(name, (PACKAGES / name).read_bytes(), None), a)

    assert "it is for Terminal Server; this machine is Windows NT Workstation 4.0" in problem("hotfix-tse.exe",
                                                                                             _machine())
    assert problem("hotfix-tse.exe", _machine("Windows NT Server 4.0, Terminal Server Edition", "6")) is None
    assert "it is in German (0407); this machine is Windows NT Workstation 4.0 in English (0409)" in \
        problem("hotfix-deu.exe", _machine())
    assert problem("hotfix-deu.exe", _machine(language="0407")) is None
    assert "needs Service Pack 0" not in (problem("update-xpsp1.exe", _machine("Windows XP Professional", "1", "5.1"))
                                          or "")
    assert problem("update-xpsp1.exe", _machine("Windows XP Professional", "1", "5.1")) is None
    assert "for Service Pack 1 or earlier; this machine is Windows XP Professional at Service Pack 2" in \
        problem("update-xpsp1.exe", _machine("Windows XP Professional", "2", "5.1"))
    assert "Windows build 2600; this machine is Windows NT Workstation 4.0 (build 1381)" in \
        problem("update-xpsp1.exe", _machine(sp="1"))
    assert problem("hotfix.exe", _machine()) is None  # an INF that names nothing checks nothing


def test_qchain_from_before_the_fix_is_refused_with_its_version(run, share, tmp_path):
    _share(run, share, tmp_path, {"qchain.exe": "qchain-2001.exe"})
    code, _, err = run("scripts", "generate", share.root)
    assert "qchain.exe: refused: version 5.0.2195.3500, linked 2001-05-18: a QChain made before 2002-12-01" in err
    shutil.copyfile(PACKAGES / "qchain-2003.exe", share.folder("hotfixes") / "qchain.exe")
    code, _, err = run("scripts", "generate", share.root)
    assert "qchain.exe: refused" not in err
    assert '"%HF_PKG%\\qchain.exe"' in (published(share) / "NT4WKS.bat").read_text()


def test_windows_95_is_asked_to_restart_not_sent_an_undocumented_command(run, share, real_catalog_path):
    from hfstage.assess import MISSING, Finding
    from hfstage.packages import package_book
    from hfstage.pipeline import Site
    from hfstage.scripts import plan_machine
    from hfstage.scripts.write import render_machine

    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    shutil.copyfile(PACKAGES / "iexpress.exe", share.folder("hotfixes") / "273991USA5.EXE")
    site = Site.open(share.root)
    # MS00-072's Windows 95 package, which the catalog limits to no level (it applies to every 95)
    a = Assessment("W95", "Windows 95", "0", findings=[Finding("W95", "Windows 95", "MS00-072", "273991USA5.EXE",
                                                               "Q273991", "t", MISSING, "r")])
    plan = plan_machine(a, site.catalog, site.scripts, package_book(share, catalog=site.catalog), load_installers(),
                        site.rules)
    assert [s.patch for s in plan.steps] == ["273991USA5.EXE"] and plan.reboot_mode == "ask"
    text = render_machine(plan, site.scripts)["W95.bat"].decode()
    assert "exitwindowsexec" not in text and "Restart Windows now to finish." in text
    assert ";reboot;-;reboot-required" in text
    assert "no Microsoft source" in load_installers()["reboot_sources"]["95"]


def test_the_nt4_job_takes_reg_exe_along_or_says_its_guards_could_not_run(run, share, tmp_path):
    _share(run, share, tmp_path, {})
    assert run("scripts", "generate", share.root)[0] == 0
    job = (published(share) / "schedule_nt4.bat").read_text()
    assert 'copy /y "%HF_SHARE%\\netlogon\\reg.exe" "%HF_T%\\reg.exe"' in job
    script = (published(share) / "NT4WKS.bat").read_text()
    assert 'if "%HF_LOCAL%"=="1" if exist "%SystemRoot%\\hfjob\\reg.exe"' in script
    assert ";-;%HF_CONTEXT%;-;-;unguarded" in script
    parsed = parse_log("NT4WKS", "HFRESULT;Mon 12/01/2003;03:00;-;scheduled;-;-;unguarded\n")
    assert any(p.kind == INSTALL and "could not run; put reg.exe in netlogon" in p.text for p in parsed.problems())


def test_exit_codes_the_ladders_record_are_read_back():
    log = ("HFRESULT;d;t;MS01-001;Q1;a.exe;1642+;failed\nHFRESULT;d;t;MS01-002;Q2;b.exe;neg;failed\n"
           "HFRESULT;-;-;MS01-003;Q3;c.exe;1+;unknown-exit\n")
    parsed = parse_log("M", log)
    assert parsed.malformed == 0 and [p.last_code for p in parsed.patches] == ["1642+", "neg", "1+"]
    assert any(p.kind == INSTALL and "8 bits (3010 arrives as 194)" in p.text for p in parsed.problems())


def test_every_installer_choice_names_its_source():
    table = load_installers()
    assert all(entry.get("source") for entry in table["kinds"].values())
    assert all(table[part]["source"] for part in ("unattended_ui", "one_per_restart", "exit_codes_9x", "qchain"))
    assert set(table["reboot_sources"]) == set(table["reboot"])
    assert EXAMPLES.is_dir()
