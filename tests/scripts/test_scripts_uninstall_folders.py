"""Which $NtUninstall folder is a package's is decided on the server, never by what exists on the client.

The story (review finding 3, the privilege rule of DESIGN §7): on NT 4.0 Everyone may create a folder in
%SystemRoot% (KB Q172008), on 2000 Power Users may. The rollback (run by an administrator) tried
$NtUninstallQnnn$ then $NtUninstallKBnnn$ and ran the spuninst.exe of the LAST one that existed: a user
planted $NtUninstallKB326830$\\spuninst\\spuninst.exe beside the real Q folder and the administrator ran it.
The install script's `if exist "%SystemRoot%\\$NtUninstall...$\\nul" goto have` let the same user stop a
patch from ever installing. Now the folder is the package's own (its file name's Q or KB form, else the
catalog's), and only the Hotfix key under HKLM, which users cannot write, says a patch is there.
"""

from __future__ import annotations

import shutil

import pytest

from tests.history import test_rollback_history as rh
from tests.published import published
from tests.winehelp import STUB, needs_wine, run_batch, windows_dir

prefix, site, short = rh.prefix, rh.site, rh.short
PACKAGE, INSTALLED_KEY = rh.PACKAGE, rh.INSTALLED_KEY


@needs_wine
def test_rollback_runs_the_real_uninstall_folder_not_one_a_user_planted_beside_it(site, run, prefix):
    """W2KSRV's MS02-045 (Update.exe, Q326830_W2K_SP4_X86_EN.exe) made $NtUninstallQ326830$; a user plants
    $NtUninstallKB326830$\\spuninst\\spuninst.exe. The administrator's rollback runs the real one only."""
    run_batch(published(site) / "W2KSRV.bat", prefix, site.folder("hotfixes") / "calls.log")
    rh._collect_done(site, prefix, "W2KSRV")
    rh._merge(site, "W2KSRV", INSTALLED_KEY)
    rh._month(run, site, "2003-09-15", "month2.xml")
    assert f"rem MS02-045 Q326830 {PACKAGE} (update)" in rh._rollback(site)
    real = rh._spuninst(prefix, 0)  # $NtUninstallQ326830$, as Update.exe made it
    planted = windows_dir(prefix) / "$NtUninstallKB326830$" / "spuninst"
    planted.mkdir(parents=True)
    shutil.copyfile(STUB, planted / "spuninst.exe")
    (planted / "spuninst.exe.rc").write_text("0")
    try:
        run_batch(published(site) / "W2KSRV-rollback.bat", prefix, site.folder("hotfixes") / "calls.log")
        ran_planted = (planted / "calls.log").exists()
        ran_real = (real / "calls.log").exists()
    finally:
        shutil.rmtree(real.parent)
        shutil.rmtree(planted.parent)
    assert not ran_planted and ran_real


@needs_wine
def test_a_planted_uninstall_folder_does_not_stop_the_install(site, prefix):
    """A user makes an empty %SystemRoot%\\$NtUninstallQ326830$ before the startup script runs: the patch is
    still installed (no Hotfix key says it is there), and no `already-installed` line is written."""
    (windows_dir(prefix) / "$NtUninstallQ326830$").mkdir()
    (windows_dir(prefix) / "$NtUninstallKB326830$").mkdir()
    calls = run_batch(published(site) / "W2KSRV.bat", prefix, site.folder("hotfixes") / "calls.log")
    assert f"{PACKAGE} -m -q -z" in calls
    assert "already-installed" not in (site.folder("results") / "W2KSRV.log").read_text()


def test_the_install_script_never_asks_which_uninstall_folder_exists(site):
    """Only the Hotfix key decides `already installed`: the install script tests no $NtUninstall folder."""
    install = (published(site) / "W2KSRV.bat").read_text()
    assert "$NtUninstall" not in install.replace("rem installed only by the package's Hotfix key", "")


@pytest.mark.parametrize("package, qnumber, folder", [
    ("Q326830_W2K_SP4_X86_EN.exe", "Q326830", "$NtUninstallQ326830$"),
    ("WindowsXP-KB824146-x86-ENU.exe", "Q824146", "$NtUninstallKB824146$"),  # the package's form wins
    ("sub\\Windows2000-KB823980-x86-ENU.exe", "KB823980", "$NtUninstallKB823980$"),
    ("patch.exe", "KB823980", "$NtUninstallKB823980$"),  # no identity in the name: the catalog's form
    ("patch.exe", "Q32683&X", None),  # nothing safe to name a folder by: a manual rollback
    ("patch.exe", None, None),
])
def test_the_package_names_its_folder(package, qnumber, folder):
    from hfstage.packages import uninstall_folder

    assert uninstall_folder(package, qnumber) == folder
