"""Defects found by a cold adversarial review of main (issues 19 and 22, part 2), one test each.

Each test fails on main as it was reviewed and names the defect; none of them fixes anything.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

from tests import test_rollback_history as rh
from tests.conftest import EXAMPLES

# the rollback tests' fixtures: a demo-like site under the first example catalog, a wine client
short, prefix, site, plain_site = rh.short, rh.prefix, rh.site, rh.plain_site
INSTALLED_KEY, PACKAGE = rh.INSTALLED_KEY, rh.PACKAGE
_collect_done, _listed, _merge, _month, _rollback, _spuninst = (rh._collect_done, rh._listed, rh._merge, rh._month,
                                                                 rh._rollback, rh._spuninst)


# --- privilege: the NT 4.0 job takes reg.exe from a folder users may write ---------------------------------


def test_the_nt4_scheduled_job_runs_its_own_reg_exe_not_one_found_in_system32(tmp_path):
    """Issue 19.1's rule in the NT 4.0 scheduled job (LocalSystem): schedule_nt4.bat copies reg.exe into the
    closed %SystemRoot%\\hfjob, but the job's script looks first for %SystemRoot%\\system32\\reg.exe, which NT
    4.0 does not ship (reg.exe comes from the Resource Kit / Support Tools) and where, with NT 4.0's default
    ACLs (KB Q172008: Everyone - Change below %SystemRoot%), any user can put a reg.exe of his own. The job
    then runs it as LocalSystem (`"%HF_REG%" add ...` in the rights check). The same order in collect_nt.bat
    hands a Power User's system32\\reg.exe to the Windows 2000 startup script (LocalSystem)."""
    from hfstage.pipeline import build_demo_share

    share = build_demo_share(tmp_path / "share")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "m1.cab")
    done = subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    script = (share.folder("scripts") / "NT4WKS.bat").read_text().splitlines()
    first = next(i for i, line in enumerate(script) if "set HF_REG=%" in line)
    assert "hfjob" in script[first], f"the scheduled job's first reg.exe: {script[first]}"
