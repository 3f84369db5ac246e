"""The demo share as a site looks after a month of clients running their scripts: an install that failed
with 1603, one given up after two failures, a script run without administrator rights, a server owing a
restart, a site severity override, and (after `stale`) a Windows 95 machine that stopped reporting.

The results logs are written in the exact form the install scripts write (scripts/results.py, the
scripts' templates); the staleness is the server's own record, state\\facts\\seen.json, moved back.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import shutil
from pathlib import Path

from hfstage.cli import main
from hfstage.pipeline import build_demo_share
from hfstage.share import Share
from tests.conftest import EXAMPLES

RESULTS = {
    "NT4WKS": ["HFRESULT;2003-09-16;08:01;MS03-039;Q824146;WindowsNT4Workstation-KB824146-x86-ENU.exe;1603;failed"],
    "DC01": ["HFRESULT;2003-09-16;08:02;MS02-045;Q326830;Q326830_W2K_SP4_X86_EN.exe;1603;failed",
             "HFRESULT;2003-09-17;08:02;MS02-045;Q326830;Q326830_W2K_SP4_X86_EN.exe;1603;failed",
             "HFRESULT;2003-09-18;08:02;MS02-045;Q326830;Q326830_W2K_SP4_X86_EN.exe;-;gave-up"],
    "XPSP1": ["USERNAME=jdoe", "HFRESULT;2003-09-16;08:03;-;logon;-;-;no-rights"],
    "WEB01": ["HFRESULT;2003-09-16;08:04;-;-;-;-;reboot-required"],
}
OVERRIDE = "\n[severity]\nMS02-045 = Important\n"  # Microsoft rates it Moderate in the example catalog


def cli(*args) -> tuple[int, str, str]:
    """The CLI in-process, outside a test's capsys (module fixtures): exit code, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def site_with_problems(root: Path) -> tuple[Share, str]:
    """The demo share after its September month, with the clients' results above; returns the share and the
    month's output."""
    share = build_demo_share(root)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m.cab")
    share.site_ini.write_text(share.site_ini.read_text() + OVERRIDE)
    for machine, lines in RESULTS.items():
        (share.folder("results") / f"{machine}.log").write_text("\r\n".join(lines) + "\r\n")
    code, out, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    return share, out


def stale(share: Share, machine: str, days: int = 30) -> None:
    """The server last saw MACHINE's evidence change DAYS ago (its own record), then a full scan."""
    seen_path = share.state / "facts" / "seen.json"
    seen = json.loads(seen_path.read_text())
    when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days)
    seen[machine][1] = when.isoformat(timespec="minutes")
    seen_path.write_text(json.dumps(seen))
    code, _, err = cli("scan", share.root, "--fail-on", "none")
    assert code == 0, err
