"""The install script's reg.exe comes from the server side, never from a folder users may write.

The story (review finding 4, the privilege rule of DESIGN §7): the NT 4.0 scheduled job (LocalSystem)
looked first for %SystemRoot%\\system32\\reg.exe, which NT 4.0 does not ship (Resource Kit / Support
Tools) and where, with NT 4.0's default ACLs (KB Q172008: Everyone - Change below %SystemRoot%), any user
can put a reg.exe of his own, before the copy schedule_nt4.bat put in the closed hfjob folder; the job
then ran it as LocalSystem in its rights check. Now the job takes only hfjob\\reg.exe, and any other run
the share's netlogon copy before system32's (Power Users may write system32 on Windows 2000).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests.conftest import demo_with_cabinet
from tests.published import published
from tests.scripts import test_deployment as dep
from tests.winehelp import STUB, needs_wine, run_batch, windows_dir

prefix, site = dep.prefix, dep.site


def test_the_nt4_scheduled_job_runs_its_own_reg_exe_not_one_found_in_system32(tmp_path):
    """The reviewer's check on the demo share: the job's first reg.exe is its own copy in hfjob."""
    share = demo_with_cabinet(tmp_path / "share")
    done = subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    script = (published(share) / "NT4WKS.bat").read_text().splitlines()
    first = next(i for i, line in enumerate(script) if "set HF_REG=%" in line)
    assert "hfjob" in script[first], f"the scheduled job's first reg.exe: {script[first]}"
    later = [line for line in script[first + 1:] if "set HF_REG=%" in line]
    assert "netlogon" in later[0] and "system32" in later[1], later  # other runs: the share's copy first
    # the collector runs as LocalSystem from startup.bat too: the share's reg.exe before system32's
    collector = [line for line in (published(share) / "collect_nt.bat").read_text().splitlines()
                 if "set HF_REG=%" in line]
    assert "netlogon" in collector[0] and "system32" in collector[1], collector


@needs_wine
def test_a_reg_exe_planted_in_system32_is_never_run_by_the_job(site, run, prefix):
    """A user replaces system32\\reg.exe; the job, with no reg.exe of its own in hfjob, runs it not at all:
    it installs without the registry checks and says so (`unguarded`)."""
    dep._generate(site, run)
    local = windows_dir(prefix) / "hfjob"
    (local / "pkg").mkdir(parents=True)
    shutil.copyfile(published(site) / "XPSP1.bat", local / "install.bat")
    shutil.copyfile(published(site) / "hfstage_run.bat", local / "run.bat")
    for name in (dep.XP_PACKAGE, "reboot.exe"):
        shutil.copyfile(STUB, local / "pkg" / name)
    planted = windows_dir(prefix) / "system32" / "reg.exe"
    planted.unlink(missing_ok=True)
    shutil.copyfile(STUB, planted)
    try:
        run_batch(local / "run.bat", prefix, local / "pkg" / "calls.log")
        ran = (planted.parent / "calls.log").is_file() and "reg.exe" in (planted.parent / "calls.log").read_text()
    finally:
        planted.unlink()
    assert not ran, "the LocalSystem job ran a reg.exe a user put in system32"
    assert "unguarded" in (windows_dir(prefix) / "hfstage" / "results.log").read_text()
