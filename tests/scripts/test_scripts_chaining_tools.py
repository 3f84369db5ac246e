"""Chaining tools are packages too (issue 21).

With qchain.exe and shutdown.exe removed from hotfixes\\, `month` said nothing, missing-packages.txt
did not list them, W2KSRV.bat chained a Hotfix.exe and an Update.exe package without QChain, and
NT4WKS.bat still called %HF_PKG%\\shutdown.exe while its own header said "shutdown.exe: not found".
Now a missing tool is listed where the admin looks (missing-packages.txt, with where to get it, and
`month`'s summary), and the scripts that need it fall back to what is safe without it: one package per
restart where QChain would have chained them (KB 296861), and no restart command where the reboot tool
is missing (the script reports reboot-required; an admin restarts the machine).
"""

from __future__ import annotations

import re
import shutil

from hfstage.pipeline import build_demo_share
from tests.conftest import EXAMPLES
from tests.published import published


def _month_without_tools(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    for tool in ("qchain.exe", "shutdown.exe"):
        (share.folder("hotfixes") / tool).unlink()
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "month1.cab")
    code, out, err = run("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")
    assert code == 0, err
    return share, out


def _steps(text: str) -> list[str]:
    return re.findall(r"^rem (MS\S+ \S+ \S+) \(\w[\w-]*\)", text, re.M)


def test_missing_chaining_and_reboot_tools_are_listed_and_scripts_fall_back(tmp_path, run):
    share, out = _month_without_tools(tmp_path, run)
    fetch = (share.folder("reports") / "missing-packages.txt").read_text().splitlines()
    assert any(line.startswith("tool\t-\tqchain.exe\t") and "KB 815062" in line
               and line.split("\t")[5] == "hotfixes\\qchain.exe" for line in fetch)
    assert any(line.startswith("tool\t-\tshutdown.exe\t") and line.split("\t")[5] == "hotfixes\\shutdown.exe"
               for line in fetch)
    assert "qchain.exe is not under hotfixes\\ but" in out and "one package per restart instead (KB 296861)" in out
    assert "shutdown.exe is not under hotfixes\\ but" in out and "they report reboot-required" in out
    nt4 = (published(share) / "NT4WKS.bat").read_text()
    assert "shutdown.exe" not in nt4.replace("rem not scripted: shutdown.exe", "")  # never called, only named
    assert "reboot-required" in nt4 and "reboot: never" in nt4
    w2k = (published(share) / "W2KSRV.bat").read_text()
    steps = _steps(w2k)
    assert len(steps) >= 2  # a Hotfix.exe and an Update.exe package
    assert w2k.count("alone, then a restart (KB 296861)") == len(steps) and "qchain.exe\" \"" not in w2k


def test_with_the_tools_on_the_share_the_scripts_chain_and_restart(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "month1.cab")
    code, out, err = run("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")
    assert code == 0, err
    assert "qchain.exe is not under hotfixes" not in out
    w2k = (published(share) / "W2KSRV.bat").read_text()
    assert "alone, then a restart" not in w2k and '\\qchain.exe" "' in w2k
    assert '%HF_PKG%\\shutdown.exe"' in (published(share) / "NT4WKS.bat").read_text()
