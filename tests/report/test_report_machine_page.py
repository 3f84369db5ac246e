"""A machine's page says what its script will do now, and what it leaves out and why (issue 25.2).

DC01, W2KSRV and WEB01 are Windows 2000 servers below the catalog's current service pack. The demo's
site.ini names no service pack package, so their scripts install only hotfixes: the month's list of
missing packages says so, but the machine page showed "installs, in this order" with the hotfixes alone
and said nothing of the service pack its own Findings list as missing, leaving the admin to wonder why the
script skips it. Once site.ini names a package that is not under hotfixes\\, the page says that instead
(the scripts' own reason), never both.
"""

from __future__ import annotations

import html
import re

from tests.reportsite import cli, site_with_problems

UNNAMED = "Windows 2000 Service Pack 4: site.ini [service_packs] names no package for Windows 2000 Server"


def _left_out(share, machine: str) -> list[str]:
    """The page's "Not in the script, and why" lines, as text."""
    page = (share.folder("reports") / "machines" / f"{machine}.html").read_text(encoding="utf-8")
    found = re.search(r"<p>Not in the script, and why:</p>\s*<ul[^>]*>(.*?)</ul>", page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", li)) for li in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)] \
        if found else []


def test_a_missing_service_pack_the_script_leaves_out_is_explained(tmp_path):
    share, _ = site_with_problems(tmp_path / "demo")
    for machine in ("DC01", "W2KSRV", "WEB01"):
        assert any(line.startswith(UNNAMED) for line in _left_out(share, machine)), machine
    assert not any("Service Pack" in line for line in _left_out(share, "NT4WKS"))  # at the catalog's level

    assert "[service_packs]" not in share.site_ini.read_text()
    share.site_ini.write_text(share.site_ini.read_text() + "\n[service_packs]\nWindows 2000 Server = w2ksp4_en.exe\n")
    code, _, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    lines = _left_out(share, "DC01")
    assert "SP w2ksp4_en.exe: not found under hotfixes\\" in lines
    assert not any(line.startswith(UNNAMED) for line in lines)
