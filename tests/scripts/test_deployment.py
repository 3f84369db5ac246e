"""Install scripts as real clients run them (issue 14), in wine's cmd against a share on disk.

Rights, the client lock, pending reboots, reboot policy by role, the maintenance window,
exit code 1641, the package identity the markers hold (KB and Q keys, re-released
packages, packages that said they installed but did not), one marker per service pack,
and the startup and scheduled-job entry points.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hfstage.scripts.lint import lint_file
from hfstage.share import Share, init_share
from tests.bindhelp import machine_account
from tests.conftest import DATA, EXAMPLES, accept_machines
from tests.published import published
from tests.winehelp import (
    CLOCK,
    PACKAGES,
    STUB,
    WINE,
    at_clock,
    client,
    clock_of,
    make_prefix,
    needs_wine,
    reg,
    reset_client,
    run_batch,
    runnable_like,
    windows_dir,
    wine,
    wine_path,
)

pytestmark = needs_wine
MACHINES = ("XPSP1", "DC01", "W2KSRV")
XP_PACKAGE = "WindowsXP-KB824146-x86-ENU.exe"
XP_SIZE = (PACKAGES / "update.exe").stat().st_size  # the example XP package is Update.exe-shaped
HOTFIX = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix"
SESSION_MANAGER = "HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager"


_SHORT: list[Path] = []


@pytest.fixture(scope="module", autouse=True)
def _forget_short_paths():
    yield
    for folder in _SHORT:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def prefix(tmp_path, tmp_path_factory):
    """A client of the test's own (no markers, lock, keys or uninstall folders of another test), its clock
    at CLOCK."""
    return client(tmp_path / "prefix", tmp_path_factory)


def _short(share: Share) -> Path:
    """A short path to the share (a link in /tmp): the 9x collector must fit command.com's 127 characters."""
    link = share.root.parent / "unc"
    if not link.is_symlink():
        short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp"))
        short.chmod(0o755)
        _SHORT.append(short)
        (short / "s").symlink_to(share.root)
        link.symlink_to(short / "s")
    return Path(os.readlink(link))


def _site_ini(share: Share, extra: str = "") -> None:
    share.site_ini.write_text(f"[share]\nunc = {wine_path(_short(share))}\n"
                              "[reboot]\nxp = \"{packages}\\reboot.exe\" /r\nw2k = \"{packages}\\reboot.exe\" /r\n"
                              "nt4 = \"{packages}\\reboot.exe\" /r\n"
                              + extra)


def _make_site(root: Path, run) -> Share:
    init_share(root)
    share = Share(root)
    catalog = EXAMPLES / "catalog" / "month2.xml"
    assert run("catalog", "import", share.root, "--xml", catalog, "--allow-unsigned")[0] == 0
    for machine in MACHINES:
        shutil.copytree(DATA / "inventory" / machine, share.folder("inventory") / machine)
    accept_machines(share)
    for example in (EXAMPLES / "hotfixes").iterdir():
        shutil.copyfile(runnable_like(example), share.folder("hotfixes") / example.name)
    shutil.copyfile(STUB, share.folder("hotfixes") / "reboot.exe")
    shutil.copyfile(PACKAGES / "qchain-2003.exe", share.folder("hotfixes") / "qchain.exe")  # the fixed QChain
    for package in ("w2ksp3_en.exe", "w2ksp4_en.exe"):
        shutil.copyfile(PACKAGES / "servicepack.exe", share.folder("hotfixes") / package)
    _site_ini(share)
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    return share


@pytest.fixture
def site(tmp_path, run, prefix):
    return _make_site(tmp_path / "share", run)


def _generate(share: Share, run, extra: str = "") -> tuple[str, str]:
    _site_ini(share, extra)
    code, out, err = run("scripts", "generate", share.root)
    assert code == 0, err
    return out, err


def _run(share: Share, prefix: dict, machine: str, **kw) -> list[str]:
    return run_batch(published(share) / f"{machine}.bat", prefix, share.folder("hotfixes") / "calls.log",
                     **kw)


def _log(share: Share, machine: str) -> list[str]:
    path = share.folder("results") / f"{machine}.log"
    return [ln.rstrip() for ln in path.read_text().splitlines()] if path.exists() else []


def _rc(share: Share, package: str, code: int) -> None:
    (share.folder("hotfixes") / f"{package}.rc").write_text(str(code))


def _collect_done(share: Share, prefix: dict, machine: str) -> None:
    """What the collector's `copy /b %SystemRoot%\\hfstage\\*.ok done.txt` brings to the share."""
    state = windows_dir(prefix) / "hfstage"
    text = b"".join(p.read_bytes() for p in sorted(state.glob("*.ok")))
    (share.folder("inventory") / machine / "done.txt").write_bytes(text)


def test_a_workstation_installs_its_update_and_reboots_once(site, run, prefix):
    _generate(site, run)
    assert _run(site, prefix, "XPSP1") == [f"{XP_PACKAGE} -u -q -z", "reboot.exe /r"]
    assert _run(site, prefix, "XPSP1") == []  # done: no second install, no second reboot
    ok = (windows_dir(prefix) / "hfstage" / "Q824146.ok").read_text().strip()
    assert ok == f"[{XP_PACKAGE} {XP_SIZE}]"  # the marker names the package, not only the KB number


def test_kb_and_q_keys_both_mean_installed_an_uninstall_folder_does_not(site, run, tmp_path, tmp_path_factory):
    """An uninstall folder any user can make in %SystemRoot% proves nothing (review finding 3): only the keys.
    Each case on a client of its own: a key added and deleted again on one client made the third case see
    the second's key once in a CPU-hogged CI run (whether the delete or wine's server lost it, a case must
    not depend on the cleanup of another)."""
    _generate(site, run)
    text = (published(site) / "XPSP1.bat").read_text()
    for form in ("KB824146", "Q824146"):
        assert f'"%HF_REG%" query "{HOTFIX}\\{form}"' in text and f"$NtUninstall{form}$\\nul" not in text
    for form in ("KB824146", "Q824146"):
        keyed = client(tmp_path / f"client-{form}", tmp_path_factory)
        reg(keyed, "add", f"{HOTFIX}\\{form}", "/v", "Installed", "/t", "REG_DWORD", "/d", "1", "/f")
        assert _run(site, keyed, "XPSP1") == []
        assert _log(site, "XPSP1")[-1].endswith(f";MS03-039;Q824146;{XP_PACKAGE};-;already-installed")
    folder_only = client(tmp_path / "client-folder", tmp_path_factory)
    (windows_dir(folder_only) / "$NtUninstallKB824146$").mkdir()
    assert _run(site, folder_only, "XPSP1") == [f"{XP_PACKAGE} -u -q -z", "reboot.exe /r"]


def test_rollback_runs_spuninst_from_the_packages_folder_and_keeps_a_failed_removal(site, run, prefix):
    """Update.exe packages of 2002 left $NtUninstallQnnnnnn$, later ones $NtUninstallKBnnnnnn$: the rollback
    runs the one the package's name gives (WindowsXP-KB824146: the KB form); a removal that fails keeps its
    marker and says so, and no reboot follows."""
    _generate(site, run)
    reset_client(prefix)
    assert _run(site, prefix, "XPSP1") == [f"{XP_PACKAGE} -u -q -z", "reboot.exe /r"]
    # the rollback lists what a scan then finds installed (issue 19): the next inventory shows its key
    regfile = site.root.parent / "installed.reg"
    regfile.write_text(f'Windows Registry Editor Version 5.00\n\n[{HOTFIX.replace("HKLM", "HKEY_LOCAL_MACHINE")}'
                       '\\KB824146]\n"Installed"=dword:00000001\n')
    subprocess.run(["hivexregedit", "--merge", str(site.folder("inventory") / "XPSP1" / "SOFTWARE"), "--prefix",
                    "HKEY_LOCAL_MACHINE\\SOFTWARE", str(regfile)], check=True, capture_output=True)
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    _generate(site, run)
    rollback = published(site) / "XPSP1-rollback.bat"  # in the set just published
    marker = windows_dir(prefix) / "hfstage" / "Q824146.ok"
    spuninst = windows_dir(prefix) / "$NtUninstallKB824146$" / "spuninst"
    spuninst.mkdir(parents=True)
    try:
        shutil.copyfile(STUB, spuninst / "spuninst.exe")
        (spuninst / "spuninst.exe.rc").write_text("1")
        calls = run_batch(rollback, prefix, site.folder("hotfixes") / "calls.log")
        assert calls == [] and marker.exists()  # no reboot: nothing was removed
        assert (spuninst / "calls.log").read_text().split() == ["spuninst.exe", "-q", "-z"]
        assert _log(site, "XPSP1")[-1].endswith(f";MS03-039;Q824146;{XP_PACKAGE};1;uninstall-failed")
        code, out, _ = run("results", site.root)
        assert "rollback: MS03-039 " + XP_PACKAGE + " (exit code 1): the uninstall failed" in out
        (spuninst / "spuninst.exe.rc").write_text("0")
        calls = run_batch(rollback, prefix, site.folder("hotfixes") / "calls.log")
        assert calls == ["reboot.exe /r"] and not marker.exists()
        assert _log(site, "XPSP1")[-1].endswith(f";MS03-039;Q824146;{XP_PACKAGE};0;uninstalled")
    finally:
        shutil.rmtree(spuninst.parent)


def test_a_re_released_package_is_installed_although_the_old_one_left_its_key(site, run, prefix):
    """The scan: an earlier Q300972 package is installed, the revised one is not."""
    _generate(site, run, "[reboot_machines]\nW2KSRV = never\n")
    text = (published(site) / "W2KSRV.bat").read_text()
    assert "Q300972_W2K_SP3_x86_en.EXE (hotfix): a revised package" in text
    reg(prefix, "add", f"{HOTFIX}\\Q300972", "/v", "Installed", "/t", "REG_DWORD", "/d", "1", "/f")
    state = windows_dir(prefix) / "hfstage"
    state.mkdir()
    (state / "Q300972.ok").write_text("[Q300972_W2K_SP3_x86_en.EXE 40960] \r\n")  # the old package's marker
    calls = _run(site, prefix, "W2KSRV")  # the client is this test's own: nothing to clean up
    assert "Q300972_W2K_SP3_x86_en.EXE -z -m" in calls
    assert not any("Q300972" in ln and "already-installed" in ln for ln in _log(site, "W2KSRV"))


def test_servers_and_domain_controllers_never_shut_down_unless_site_ini_says(site, run, prefix):
    _generate(site, run)
    calls = _run(site, prefix, "DC01")
    assert calls and "reboot.exe /r" not in calls
    assert _log(site, "DC01")[-1].endswith(";-;-;reboot;-;reboot-required")
    assert (windows_dir(prefix) / "hfstage" / "reboot.req").is_file()
    code, out, _ = run("results", site.root)
    assert "DC01" in out and "reboot: required since" in out
    text = (published(site) / "DC01.bat").read_text()
    assert "domain controller" in text.splitlines()[1] and "shutdown" not in text and "reboot.exe" not in text
    # the admin may let one machine reboot itself
    reset_client(prefix)
    _generate(site, run, "[reboot_machines]\nDC01 = auto\n")
    assert _run(site, prefix, "DC01")[-1] == "reboot.exe /r"


def test_exit_code_1641_stops_the_script(site, run, prefix):
    _generate(site, run, "[reboot_machines]\nDC01 = auto\n")
    text = (published(site) / "DC01.bat").read_text()
    first = "Q326830_W2K_SP4_X86_EN.exe"
    assert text.index(first) < text.index("Windows2000-KB824146-x86-ENU.exe")
    _rc(site, first, 1641)
    # Windows 2000: -m (KB 296861); nothing after it: no qchain, no reboot of ours
    assert _run(site, prefix, "DC01") == [f"{first} -m -q -z"]
    assert _log(site, "DC01")[-1].endswith(f";MS02-045;Q326830;{first};1641;reboot-initiated")


def test_a_pending_rename_stops_every_install(site, run, prefix):
    _generate(site, run)
    # one wine session: a new one runs wineboot, which carries out pending renames (as a reboot would)
    wrapper = site.root.parent / "pending.bat"
    wrapper.write_text(f'@echo off\r\nreg add "{SESSION_MANAGER}" /v PendingFileRenameOperations /t REG_MULTI_SZ '
                       f'/d C:\\hf.tmp /f >nul\r\ncall "{wine_path(published(site) / "XPSP1.bat")}"\r\n'
                       f'reg delete "{SESSION_MANAGER}" /v PendingFileRenameOperations /f >nul\r\n')
    assert run_batch(wrapper, prefix, site.folder("hotfixes") / "calls.log") == []
    assert _log(site, "XPSP1")[-1].endswith(";-;logon;-;-;reboot-pending")
    (machine,) = [m for m in _results(site) if m.machine == "XPSP1"]
    assert machine.blocked == "reboot-pending" and machine.reboot_required is not None


def test_pending_renames_in_the_inventory_stop_the_script_too(site, run, prefix):
    system = site.folder("inventory") / "XPSP1" / "SYSTEM"
    regfile = site.root.parent / "pending.reg"
    regfile.write_text('Windows Registry Editor Version 5.00\n\n'
                       '[\\ControlSet001\\Control\\Session Manager]\n'
                       '"PendingFileRenameOperations"=hex(7):41,00,00,00,00,00\n')
    subprocess.run(["hivexregedit", "--merge", str(system), "--prefix", "HKEY_LOCAL_MACHINE\\SYSTEM", str(regfile)],
                   check=True, capture_output=True)
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    _generate(site, run)
    assert _run(site, prefix, "XPSP1") == []
    assert _log(site, "XPSP1")[-1].endswith(";-;logon;-;-;reboot-pending")


def _results(share: Share):
    from hfstage.scripts import collect_results
    return collect_results(share)[0]


@pytest.fixture
def bound_xpsp1(site):
    """XPSP1's folder given to its computer account (`hfstage share provision`): its done markers are the
    machine's own word, which may hold a package back (tests/test_scripts_done_markers.py)."""
    with machine_account("XPSP1") as uid:
        os.lchown(site.folder("inventory") / "XPSP1", uid, -1)
        yield


def test_a_package_that_said_it_installed_but_did_not_is_retried_then_left_to_the_admin(site, run, prefix,
                                                                                         bound_xpsp1):
    _generate(site, run, "[reboot_machines]\nXPSP1 = never\n")
    assert _run(site, prefix, "XPSP1") == [f"{XP_PACKAGE} -u -q -z"]  # exits 0; installs nothing
    _collect_done(site, prefix, "XPSP1")
    assert run("scan", site.root, "--fail-on", "none")[0] == 0  # still missing
    code, out, _ = run("results", site.root)
    assert f"MS03-039 {XP_PACKAGE}: reported installed, still missing" in out
    _generate(site, run, "[reboot_machines]\nXPSP1 = never\n")
    assert f"[{XP_PACKAGE} {XP_SIZE} r1]" in (published(site) / "XPSP1.bat").read_text()
    assert _run(site, prefix, "XPSP1") == [f"{XP_PACKAGE} -u -q -z"]  # retried once
    _collect_done(site, prefix, "XPSP1")
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    out, err = _generate(site, run, "[reboot_machines]\nXPSP1 = never\n")
    assert f"{XP_PACKAGE}: reported installed 2 times and still missing: not tried again" in out + err
    assert _run(site, prefix, "XPSP1") == []


def test_one_marker_per_service_pack_so_sp3_does_not_block_sp4(site, run, prefix):
    extra = "[reboot_machines]\nW2KSRV = auto\n[service_packs]\nWindows 2000 Server = {}\n"
    _generate(site, run, extra.format("w2ksp3_en.exe"))
    assert _run(site, prefix, "W2KSRV") == ["w2ksp3_en.exe -u -z", "reboot.exe /r"]
    assert _run(site, prefix, "W2KSRV") == []  # SP3 in: waits for a rescan
    _generate(site, run, extra.format("w2ksp4_en.exe"))
    assert _run(site, prefix, "W2KSRV") == ["w2ksp4_en.exe -u -z", "reboot.exe /r"]
    assert ";SP;-;w2ksp4_en.exe;-;rescan-required" in "\n".join(_log(site, "W2KSRV"))


def test_a_second_run_on_the_same_machine_waits_for_the_first(site, run, prefix):
    _generate(site, run)
    state = windows_dir(prefix) / "hfstage"
    # the lock of a run that is still going: taken today, as the script's `date /t` writes it
    today = wine(prefix, "cmd", "/c", "date /t").stdout.decode().strip()
    (state / "run.lock").mkdir(parents=True)
    (state / "run.lock" / "since").write_text(f"{today} \r\n")
    assert _run(site, prefix, "XPSP1") == []
    assert _log(site, "XPSP1")[-1].endswith(";-;logon;-;-;busy")
    # a lock left by a run that died on another day is taken over
    (state / "run.lock" / "since").write_text("Current Date is 01/01/2001 \r\n")
    assert _run(site, prefix, "XPSP1")[0] == f"{XP_PACKAGE} -u -q -z"
    assert not (state / "run.lock").exists()  # released at the end


def _window(now: datetime.datetime, minutes_from_now: int, length: int) -> str:
    start = (now + datetime.timedelta(minutes=minutes_from_now)).replace(second=0)
    end = start + datetime.timedelta(minutes=length)
    return f"any {start:%H:%M}-{end:%H:%M}" if end.date() == start.date() or end.time() != datetime.time(0) \
        else f"any {start:%H:%M}-24:00"


@pytest.mark.parametrize("clock", ["09:08:30", "12:59:30", "23:59:30"])
def test_servers_install_only_inside_the_maintenance_window(site, run, prefix, clock):
    """The client's clock is the test's: 08 and 09 (bad octal to set /a), the hour wine writes as 12 PM, the
    minute before midnight; windows two hours away either way."""
    env = at_clock(prefix, datetime.time.fromisoformat(clock))
    now = clock_of(env)
    _generate(site, run, f"[maintenance]\nwindow = {_window(now, 120, 60)}\n")
    assert "rem 4. Maintenance window" not in (published(site) / "XPSP1.bat").read_text()  # workstations
    assert _run(site, env, "DC01") == []
    assert _log(site, "DC01")[-1].endswith(";-;logon;-;-;outside-window")
    _generate(site, run, f"[maintenance]\nwindow = {_window(now, -120, 240)}\n")
    assert _run(site, env, "DC01")[0] == "Q326830_W2K_SP4_X86_EN.exe -m -q -z"  # Windows 2000 (KB 296861)


@pytest.fixture(scope="module")
def nobody(tmp_path_factory):
    """A wine prefix of an ordinary user: root runs wine as nobody; another user runs it as itself.

    The system folders are made unwritable with chmod, as an ordinary user finds them on NT."""
    base = Path(tempfile.mkdtemp(prefix="hfnr", dir="/tmp"))
    base.chmod(0o755)
    run_as = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] if os.geteuid() == 0 else []
    home, prefix_dir = base / "home", base / "prefix"
    for folder in (home, prefix_dir):
        folder.mkdir()
        if run_as:
            shutil.chown(folder, "nobody", "nogroup")
    env = at_clock(make_prefix(prefix_dir, {"HOME": str(home)}, run_as), CLOCK)
    hfstage_dir = windows_dir(env) / "hfstage"
    hfstage_dir.mkdir(exist_ok=True)
    for folder in (hfstage_dir, windows_dir(env) / "system32" / "config"):
        folder.chmod(0o555)
    yield base, env, run_as
    shutil.rmtree(base, ignore_errors=True)


def test_without_administrator_rights_nothing_runs_and_results_say_so(nobody, run):
    base, env, run_as = nobody
    share = _make_site(base / "share", run)
    for folder in share.root.rglob("*"):  # an ordinary client reads the share; results\ is writable (1777)
        if folder.is_dir():
            folder.chmod(folder.stat().st_mode | 0o755)
    share.root.chmod(0o755)
    _generate(share, run)
    calls = run_batch(published(share) / "XPSP1.bat", env, share.folder("hotfixes") / "calls.log",
                      run_as=run_as)
    assert calls == [] and not (share.folder("hotfixes") / "calls.log").exists()
    lines = _log(share, "XPSP1")
    assert lines[-2].startswith("USERNAME=") and lines[-1].endswith(";-;logon;-;-;no-rights")
    code, out, _ = run("results", share.root)
    assert "1 machine(s) never patched: scripts ran without administrator rights" in out
    assert "XPSP1" in out


def test_startup_script_runs_the_collector_then_the_machine_script_as_startup(site, run, prefix):
    _generate(site, run)
    assert run("scripts", "collectors", site.root)[0] == 0
    netlogon = site.folder("netlogon")
    for path in (netlogon / "startup.bat", netlogon / "logon.bat", netlogon / "schedule_nt4.bat",
                 published(site) / "schedule_nt4.bat", published(site) / "hfstage_run.bat"):
        assert lint_file(path) == [], path
    host = wine(prefix, "cmd", "/c", "echo %COMPUTERNAME%").stdout.decode().strip()
    shutil.copyfile(published(site) / "XPSP1.bat", published(site) / f"{host}.bat")
    calls = run_batch(netlogon / "startup.bat", prefix, site.folder("hotfixes") / "calls.log")
    assert calls == [f"{XP_PACKAGE} -u -q -z", "reboot.exe /r"]
    assert (site.folder("inventory") / host / "manifest.txt").is_file()  # the collector ran first
    # the machine script writes under the name it was made for, after the set it came from (%HFG%)
    generation, result = _log(site, "XPSP1")[:2]
    assert generation.endswith(f";-;-;{published(site).name};-;generation")
    assert result.endswith(f";MS03-039;Q824146;{XP_PACKAGE};0;success-reboot")


def test_scheduled_job_runs_the_local_copy_and_the_collector_brings_its_results(site, run, prefix):
    """What schedule_nt4.bat puts in ADMIN$ (the script, hfstage_run.bat, pkg\\), run as the job would."""
    _generate(site, run)
    schedule = (published(site) / "schedule_nt4.bat").read_text()
    assert 'at \\\\NT4WKS' not in schedule  # not in this share; no NT 4.0 machine
    assert run("scripts", "collectors", site.root)[0] == 0
    local = windows_dir(prefix) / "hfjob"
    (local / "pkg").mkdir(parents=True)
    shutil.copyfile(published(site) / "XPSP1.bat", local / "install.bat")
    shutil.copyfile(published(site) / "hfstage_run.bat", local / "run.bat")
    for name in (XP_PACKAGE, "reboot.exe"):
        shutil.copyfile(STUB, local / "pkg" / name)
    calls = run_batch(local / "run.bat", prefix, local / "pkg" / "calls.log")
    assert calls == [f"{XP_PACKAGE} -u -q -z", "reboot.exe /r"]
    assert not (site.folder("results") / "XPSP1.log").exists()  # results stay local
    assert "success-reboot" in (windows_dir(prefix) / "hfstage" / "results.log").read_text()
    host = wine(prefix, "cmd", "/c", "echo %COMPUTERNAME%").stdout.decode().strip()
    wine(prefix, "cmd", "/c", wine_path(published(site) / "collect_nt.bat"))
    copied = site.folder("inventory") / host / "local-results.log"
    assert "success-reboot" in copied.read_text()
    assert f"[{XP_PACKAGE} {XP_SIZE}]" in (site.folder("inventory") / host / "done.txt").read_text()
    (machine,) = [m for m in _results(site) if m.machine.casefold() == host.casefold()]
    assert [p.last_meaning for p in machine.patches] == ["success-reboot"]


def test_nt4_machines_get_a_scheduled_job_through_admin_share(tmp_path, run):
    share = _make_site(tmp_path / "share", run)
    shutil.copytree(DATA / "inventory" / "NT4WKS", share.folder("inventory") / "NT4WKS")
    accept_machines(share)
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    _generate(share, run)
    text = (published(share) / "schedule_nt4.bat").read_text()
    assert 'copy /y "%HF_SHARE%\\hotfixes\\WindowsNT4Workstation-KB824146-x86-ENU.exe" ' \
           '"%HF_T%\\pkg\\WindowsNT4Workstation-KB824146-x86-ENU.exe"' in text
    assert 'at \\\\NT4WKS %HF_AT% cmd /c "%%SystemRoot%%\\hfjob\\run.bat"' in text
    assert "qchain.exe" in text and "reboot.exe" in text  # everything the local copy runs goes with it
    assert lint_file(published(share) / "schedule_nt4.bat") == []
    assert "set HF_PKG=%SystemRoot%\\hfjob\\pkg" in (published(share) / "NT4WKS.bat").read_text()


def test_the_collector_falls_back_to_regedit_when_reg_save_is_refused(site, run, prefix):
    """Wine's reg.exe has no `save`: exactly the refusal an ordinary user gets on NT."""
    site.site_ini.write_text(site.site_ini.read_text() + "\n[collect]\nmode = hives\n")
    assert run("scripts", "collectors", site.root)[0] == 0
    host = wine(prefix, "cmd", "/c", "echo %COMPUTERNAME%").stdout.decode().strip()
    state = windows_dir(prefix) / "hfstage"
    state.mkdir(exist_ok=True)
    (state / "reboot.req").write_text("reboot required\r\n")
    wine(prefix, "cmd", "/c", wine_path(published(site) / "collect_nt.bat"))
    folder = site.folder("inventory") / host
    assert "reg save refused" in (folder / "collect.log").read_text(errors="replace")
    assert "tool=regedit /e (reg save refused)" in [ln.strip() for ln in
                                                   (folder / "manifest.txt").read_text().splitlines()]
    assert list(folder.glob("hf*.reg")) and not list(folder.glob("*.tmp"))
    # no renames pending: the restart the script asked for has happened
    assert _log(site, host)[-1].endswith(";-;collector;-;-;rebooted")
    assert not (state / "reboot.req").exists()


@pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed")
def test_startup_and_logon_dispatchers_differ_only_in_context(site, run):
    _generate(site, run)
    startup = (site.folder("netlogon") / "startup.bat").read_text()
    assert "set HF_CONTEXT=startup" in startup and "MaxGPOScriptWait" in startup
    assert "set HF_CONTEXT=logon" in (site.folder("netlogon") / "logon.bat").read_text()
