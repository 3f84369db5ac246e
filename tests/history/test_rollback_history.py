"""The rollback remembers what hfstage's scripts installed (issue 19, item 5).

SHARE\\scripts\\<MACHINE>-rollback.bat used to be rebuilt each month from what the machine still
missed: once a patch was installed and the next scan found it, its removal disappeared, exactly when
an admin needs it (seen on the demo: W2KSRV's rollback lost MS02-045 after MS02-045 was installed).

Here a demo-like share lives through the months: under the first example catalog W2KSRV's script
installs MS02-045 in wine's cmd (the client reports it in its results log and its done marker), the
machine's next inventory shows the patch, and `hfstage month` under the second catalog finds it
installed: the rollback lists it, `hfstage results` and the machine's HTML page show the same list,
and the rollback script run in wine removes it with the uninstall the package's kind gives (spuninst
from the $NtUninstall folder). The `uninstalled` line it writes takes the patch off the list next
month; installed again, a service pack that contains it takes it off with a note saying so. What the
client only claims (a success line for a patch the scan does not find) never enters the list.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from hfstage.share import Share, init_share
from tests.conftest import DATA, EXAMPLES, accept_machines
from tests.winehelp import STUB, client, needs_wine, run_batch, runnable_like, windows_dir, wine_path

MACHINES = ("W2KSRV", "XPSP1")
PACKAGE = "Q326830_W2K_SP4_X86_EN.exe"
HOTFIX_KEY = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix"


@pytest.fixture
def prefix(tmp_path, tmp_path_factory):
    """A fresh client per test (tests/winehelp.py), at the tests' fixed clock."""
    return client(tmp_path / "prefix", tmp_path_factory)


@pytest.fixture
def short(tmp_path):
    """A short path to the share (a link in /tmp): the 9x collector must fit command.com's 127 characters."""
    folder = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp"))
    folder.chmod(0o755)
    yield folder / "s"
    shutil.rmtree(folder, ignore_errors=True)


def _merge(share: Share, machine: str, text: str) -> None:
    """Change what MACHINE's next inventory shows, with hivexregedit as the tests' hives are made."""
    reg = share.root.parent / "merge.reg"
    reg.write_text("Windows Registry Editor Version 5.00\n\n" + text)
    subprocess.run(["hivexregedit", "--merge", str(share.folder("inventory") / machine / "SOFTWARE"), "--prefix",
                    "HKEY_LOCAL_MACHINE\\SOFTWARE", str(reg)], check=True, capture_output=True)


def _collect_done(share: Share, prefix: dict, machine: str) -> None:
    """What the collector's `copy /b %SystemRoot%\\hfstage\\*.ok done.txt` brings to the share."""
    state = windows_dir(prefix) / "hfstage"
    text = b"".join(p.read_bytes() for p in sorted(state.glob("*.ok")))
    (share.folder("inventory") / machine / "done.txt").write_bytes(text)


@pytest.fixture
def site(tmp_path, run, prefix, short) -> Share:
    return _make_site(tmp_path, run, short)


@pytest.fixture
def plain_site(tmp_path, run, short) -> Share:
    return _make_site(tmp_path, run, short)


def _make_site(tmp_path, run, short) -> Share:
    """The example site under the first catalog: scanned, scripts made."""
    root = tmp_path / "share"
    init_share(root)
    short.symlink_to(root)
    share = Share(root)
    assert run("catalog", "import", root, "--xml", EXAMPLES / "catalog" / "month1.xml", "--allow-unsigned")[0] == 0
    for machine in MACHINES:
        shutil.copytree(DATA / "inventory" / machine, share.folder("inventory") / machine)
    accept_machines(share)
    for example in (EXAMPLES / "hotfixes").iterdir():
        shutil.copyfile(runnable_like(example), share.folder("hotfixes") / example.name)
    shutil.copyfile(STUB, share.folder("hotfixes") / "reboot.exe")
    share.site_ini.write_text(f"[share]\nunc = {wine_path(short)}\n[reboot]\nw2k = \"{{packages}}\\reboot.exe\" /r\n"
                              "xp = \"{packages}\\reboot.exe\" /r\n[reboot_machines]\nW2KSRV = never\n")
    assert run("scan", root, "--fail-on", "none")[0] == 0
    code, _, err = run("scripts", "generate", root)
    assert code == 0, err
    return share


def _month(run, share: Share, day: str, xml: str | None = None) -> None:
    if xml:
        assert run("catalog", "import", share.root, "--xml", EXAMPLES / "catalog" / xml, "--allow-unsigned")[0] == 0
    code, out, err = run("month", share.root, "--as-of", day, "--fail-on", "none")
    assert code == 0, out + err


def _rollback(share: Share, machine: str = "W2KSRV") -> str:
    return (share.folder("scripts") / f"{machine}-rollback.bat").read_text()


def _listed(share: Share, machine: str) -> list[str]:
    """The patches MACHINE's rollback script removes, as its comment lines name them."""
    return re.findall(r"^rem (MS\d\d-\d{3} \S+ \S+ \(\w+\))\r?$", _rollback(share, machine), re.M)


def _spuninst(prefix: dict, rc: int) -> Path:
    folder = windows_dir(prefix) / "$NtUninstallQ326830$" / "spuninst"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(STUB, folder / "spuninst.exe")
    (folder / "spuninst.exe.rc").write_text(str(rc))
    return folder


@needs_wine
def test_an_installed_patch_stays_in_the_rollback_until_it_is_removed(site, run, prefix):
    calls = run_batch(site.folder("scripts") / "W2KSRV.bat", prefix, site.folder("hotfixes") / "calls.log")
    assert f"{PACKAGE} -m -q -z" in calls  # installed (Windows 2000: -m, KB 296861), as the client reports it
    assert "MS02-045" not in _rollback(site)  # nothing confirmed yet: nothing to remove
    _collect_done(site, prefix, "W2KSRV")
    _merge(site, "W2KSRV", f'[{HOTFIX_KEY}]\n\n[{HOTFIX_KEY}\\Q326830]\n"Installed"=dword:00000001\n')
    # the XP machine claims an install its scan does not confirm: no rollback entry for it
    (site.folder("results") / "XPSP1.log").write_text(
        "HFRESULT;-;-;MS03-039;Q824146;WindowsXP-KB824146-x86-ENU.exe;0;success\r\n")

    _month(run, site, "2003-09-15", "month2.xml")  # the next month, under the next catalog
    assert PACKAGE not in (site.folder("scripts") / "W2KSRV.bat").read_text()  # installed: not scripted again
    rollback = _rollback(site)
    assert f"rem MS02-045 Q326830 {PACKAGE} (update)" in rollback
    assert '"%HF_UNDIR%\\spuninst\\spuninst.exe" -q -z' in rollback
    assert "MS03-039" not in _rollback(site, "XPSP1")
    code, out, _ = run("results", site.root)
    (line,) = [ln for ln in out.splitlines() if "rollback, newest first" in ln]
    assert line == f"W2KSRV rollback, newest first: MS02-045 Q326830 {PACKAGE} (update): installed, confirmed by " \
                   "the scan of 2003-09-15"
    page = (site.folder("reports") / "machines" / "W2KSRV.html").read_text()
    assert f"<li>MS02-045 Q326830 {PACKAGE} (update): installed, confirmed by the scan of 2003-09-15</li>" in page
    code, out, _ = run("results", site.root, "--json")
    assert json.loads(out)["rollback"] == {"W2KSRV": [line.split(": ", 1)[1]]}

    _month(run, site, "2003-10-15")  # still there a month later, with nothing new
    assert f"rem MS02-045 Q326830 {PACKAGE} (update)" in _rollback(site)

    spuninst = _spuninst(prefix, 0)
    try:
        calls = run_batch(site.folder("scripts") / "W2KSRV-rollback.bat", prefix,
                          site.folder("hotfixes") / "calls.log")
        assert (spuninst / "calls.log").read_text().split() == ["spuninst.exe", "-q", "-z"]
    finally:
        shutil.rmtree(spuninst.parent)
    assert calls == []  # a server: it does not restart on its own
    assert not (windows_dir(prefix) / "hfstage" / "Q326830.ok").exists()
    _merge(site, "W2KSRV", f"[-{HOTFIX_KEY}\\Q326830]\n")
    _month(run, site, "2003-11-15")
    assert "MS02-045" not in _rollback(site)  # removed: its `uninstalled` line came back
    assert PACKAGE in (site.folder("scripts") / "W2KSRV.bat").read_text()  # and missing again
    code, out, _ = run("results", site.root)
    assert "rollback, newest first" not in out


@needs_wine
def test_a_service_pack_that_contains_it_takes_it_off_with_a_note(site, run, prefix):
    run_batch(site.folder("scripts") / "W2KSRV.bat", prefix, site.folder("hotfixes") / "calls.log")
    _collect_done(site, prefix, "W2KSRV")
    _merge(site, "W2KSRV", f'[{HOTFIX_KEY}]\n\n[{HOTFIX_KEY}\\Q326830]\n"Installed"=dword:00000001\n')
    _month(run, site, "2003-09-15", "month2.xml")
    assert f"rem MS02-045 Q326830 {PACKAGE} (update)" in _rollback(site)
    _merge(site, "W2KSRV", '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\n'
                           '"CSDVersion"="Service Pack 4"\n')
    _month(run, site, "2003-10-15")
    rollback = _rollback(site)
    assert "rem MS02-045 Q326830: removed from rollback: Service Pack 4 now contains it" in rollback
    assert "spuninst" not in rollback
    code, out, _ = run("results", site.root)
    assert "W2KSRV rollback, newest first: MS02-045 Q326830: removed from rollback: Service Pack 4 now contains it" \
        in out


INSTALLED_KEY = f'[{HOTFIX_KEY}]\n\n[{HOTFIX_KEY}\\Q326830]\n"Installed"=dword:00000001\n'


@pytest.mark.parametrize(("done", "log", "listed"), [
    (True, "", True),  # the results line was lost (a share out of reach): the done marker still says it
    (False, "success", True),
    (False, "already-installed", False),  # the script found it there: hfstage did not install it
    (False, "", False),  # installed, but nobody says hfstage's script did it
])
def test_what_the_client_reports_and_the_scan_confirms(plain_site, run, done, log, listed):
    site = plain_site
    size = (site.folder("hotfixes") / PACKAGE).stat().st_size
    if done:
        (site.folder("inventory") / "W2KSRV" / "done.txt").write_text(f"[{PACKAGE} {size}] \r\n")
    if log:
        (site.folder("results") / "W2KSRV.log").write_text(f"HFRESULT;-;-;MS02-045;Q326830;{PACKAGE};0;{log}\r\n")
    _merge(site, "W2KSRV", INSTALLED_KEY)
    _month(run, site, "2003-09-15", "month2.xml")
    assert _listed(site, "W2KSRV") == ([f"MS02-045 Q326830 {PACKAGE} (update)"] if listed else [])


def test_a_claim_without_the_scripts_record_is_not_listed(plain_site, run):
    """A success line for a package no script of this machine was made to run: the client's word alone."""
    site = plain_site
    (site.folder("results") / "XPSP1.log").write_text(
        f"HFRESULT;-;-;MS02-045;Q326830;{PACKAGE};0;success\r\n")
    _month(run, site, "2003-09-15", "month2.xml")
    assert _listed(site, "XPSP1") == []  # nor anything it still misses: the rollback is not the install plan


def test_a_history_of_an_earlier_hfstage_is_migrated_and_kept(tmp_path):
    from hfstage.history import History, InstallLedger
    from hfstage.history.db import MIGRATIONS, connect_database, db_path

    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    with connect_database(db_path(share), MIGRATIONS[:2], "history") as conn, conn:
        conn.execute("INSERT INTO scans (started_at, catalog_version, user, host, command) VALUES "
                     "('2003-08-15T12:00:00+00:00', '2.0.0.1', 'admin', 'dc', 'month')")
    assert [s.catalog_version for s in History(share).scans()] == ["2.0.0.1"]
    assert InstallLedger(share).installed() == {} and InstallLedger(share).next_seq() == 1
    with connect_database(db_path(share), MIGRATIONS, "history") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_newest_first_across_months_and_catalogs_with_each_kinds_uninstall(plain_site, run, tmp_path):
    """MS02-045 (scripted under catalog 2.0.0.1, confirmed under 2.0.0.2), then MS03-039 a month later:
    the rollback removes MS03-039 first. NT 4.0's Hotfix.exe package is removed by the package itself with
    -y, so the very package (name and size) must still be under hotfixes\\."""
    from tests.data.make_machines import build_pe

    site = plain_site
    for machine in ("NT4WKS", "DC01"):
        shutil.copytree(DATA / "inventory" / machine, site.folder("inventory") / machine)
    accept_machines(site)
    _merge(site, "NT4WKS", f"[-{HOTFIX_KEY}\\Q326830]\n")  # NT4WKS misses MS02-045 too
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    assert run("scripts", "generate", site.root)[0] == 0
    assert "Q326830i.EXE" in (site.folder("scripts") / "NT4WKS.bat").read_text()
    line = "HFRESULT;-;-;MS02-045;Q326830;{};0;success\r\n"
    (site.folder("results") / "DC01.log").write_text(line.format(PACKAGE))
    (site.folder("results") / "NT4WKS.log").write_text(line.format("Q326830i.EXE"))
    for machine in ("DC01", "NT4WKS"):
        _merge(site, machine, INSTALLED_KEY)
    _month(run, site, "2003-09-15", "month2.xml")
    assert _listed(site, "NT4WKS") == ["MS02-045 Q326830 Q326830i.EXE (hotfix)"]
    assert '"%HF_PKG%\\Q326830i.EXE" -y -z %HF_UI%' in _rollback(site, "NT4WKS")
    new = "Windows2000-KB824146-x86-ENU.exe"
    assert new in (site.folder("scripts") / "DC01.bat").read_text()  # the new catalog's patch
    with (site.folder("results") / "DC01.log").open("a") as log:
        log.write(f"HFRESULT;-;-;MS03-039;Q824146;{new};3010;success-reboot\r\n")
    _merge(site, "DC01", f'[{HOTFIX_KEY}\\KB824146]\n"Installed"=dword:00000001\n')
    build_pe(site.folder("inventory") / "DC01" / "files" / "WINNT" / "system32" / "rpcss.dll", "5.0.2195.6824",
             tmp_path)
    _month(run, site, "2003-10-15")
    assert _listed(site, "DC01") == [f"MS03-039 Q824146 {new} (update)", f"MS02-045 Q326830 {PACKAGE} (update)"]
    # the Hotfix.exe package replaced by another build under the same name: not run for the removal
    package = site.folder("hotfixes") / "Q326830i.EXE"
    package.write_bytes(package.read_bytes() + b"\0" * 512)
    assert run("scripts", "generate", site.root)[0] == 0
    text = _rollback(site, "NT4WKS")
    assert "-y -z %HF_UI%" not in text
    assert "MS02-045 Q326830i.EXE: manual rollback: the package that installed it (Q326830i.EXE " in text
