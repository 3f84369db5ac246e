"""Every catalog value checked once, at import, against its strictest consumer (issue 22, section 2, class 4).

Seen: one odd patch name in an unsigned catalog (`Q326830&W2K.EXE`, a non-ASCII letter) was
accepted at import and then stopped script generation for every machine; a 9x package under
hotfixes\\Win 98\\ was run unquoted (command.com's `start /w` splits it) and `scripts lint`
passed it. The batch files' rule for a file name now lives in share.names (the lowest stage,
so the catalog applies it at import and the scripts apply the same one); a name that breaks it
is named at import and costs its own patch only (a note in that machine's script), and a 9x
package whose path holds a space is a note, never a split command, and the linter catches one.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from hfstage.scripts.lint import lint_text
from tests.conftest import DATA, EXAMPLES, accept_machines, hfstage_process
from tests.published import published
from tests.scripts.test_logon_scripts import NINE_X_CATALOG

# Q326830_W2K_SP4_X86_EN.exe is W2KSRV's MS02-045 package in the example catalog
MARKER = 'PatchName="Q326830_W2K_SP4_X86_EN.exe"'


@pytest.fixture
def site(month1_site):
    return month1_site


_hf = hfstage_process


def _import(site, tmp_path, xml: str) -> subprocess.CompletedProcess:
    path = tmp_path / "odd.xml"
    path.write_text(xml, encoding="utf-8")
    return _hf("catalog", "import", site.root, "--xml", path, "--allow-unsigned")


@pytest.mark.parametrize("name", [
    "Q326830&amp;W2K.EXE",  # seen
    "Q326830_W2K_SP4_X86_É.exe",  # seen: a non-ASCII letter
    "Q326830%PATH%.exe", "Q326830^W2K.exe", "Q326830'W2K.exe", "Q326830!W2K.exe", "Q326830`W2K.exe",
])
def test_one_odd_patch_name_costs_that_patch_only(site, tmp_path, name):
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    assert MARKER in xml
    imported = _import(site, tmp_path, xml.replace(MARKER, f'PatchName="{name}"'))
    assert imported.returncode == 0, imported.stderr
    assert "name(s) a batch file cannot hold, each left out of the scripts and collectors on its own" \
        in imported.stdout
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr  # seen: "month stopped at step 6/7 (scripts)" for every machine
    assert "[6/7] scripts:" in done.stdout
    script = (published(site) / "W2KSRV.bat").read_bytes()
    assert b"the catalog's file name cannot be put into a batch file: not scripted" in script
    assert script.isascii() and b"&" not in script.replace(b"&&", b"")
    # every other machine's script was made from this catalog
    nt4 = (published(site) / "NT4WKS.bat").read_text()
    assert "WindowsNT4Workstation-KB824146-x86-ENU.exe" in nt4


@pytest.mark.parametrize("name, folder", [
    ("rpc&ss.dll", "%windir%\\system32"), ("rpcss.dll", "%windir%\\sys&tem32"), ("rpcßs.dll", "%windir%\\system32"),
    ("rpcss.dll", "%windir%\\system32\\ünicode"),
])
def test_one_odd_file_name_or_folder_costs_that_file_only(site, tmp_path, name, folder):
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    xml = xml.replace("<Locations>", f'<Locations><Location LocationID="990" Path="{folder.replace("&", "&amp;")}" '
                                     'AbsolutePath="False"/>', 1)
    xml = xml.replace("<Files>", f'<Files><File FileID="990" Name="{name.replace("&", "&amp;")}" LocationID="990">'
                                 '<FileChanges><FileChange FileChangeID="990" Date="2003/08/20" Version="1.0.0.1" '
                                 'Size="" CommandID="e" Checksum=""/></FileChanges></File>', 1)
    imported = _import(site, tmp_path, xml)
    assert imported.returncode == 0, imported.stderr
    assert "no collector will copy it" in imported.stdout
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    collector = (published(site) / "collect_nt.bat").read_bytes()
    assert collector.isascii() and b"rpcss.dll" in collector


# --- 9x packages in folders with spaces -------------------------------------------------------

@pytest.fixture
def nine_x(share, run, tmp_path):
    """A share whose one Windows 98 machine misses MS02-023 (q321232.exe, an IExpress package)."""
    xml = tmp_path / "mssecure.xml"
    xml.write_text(NINE_X_CATALOG)
    assert run("catalog", "import", share.root, "--xml", xml, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    accept_machines(share)
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    return share


def _w98_script(share, run, place: str) -> str:
    target = share.folder("hotfixes").joinpath(*place.split("\\"))
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(DATA / "packages" / "iexpress.exe", target)
    code, _, err = run("scripts", "generate", share.root)
    assert code == 0, err
    return (published(share) / "W98.bat").read_text()


@pytest.mark.parametrize("place", ["Win 98\\q321232.exe", "patches\\Windows 98 SE\\q321232.exe",
                                   "a b\\c d\\q321232.exe"])
def test_a_9x_package_in_a_folder_with_a_space_is_a_note_not_a_split_command(nine_x, run, place):
    script = _w98_script(nine_x, run, place)
    assert f"its package is hotfixes\\{place}, a path with a space" in script
    assert not [ln for ln in script.splitlines() if ln.lower().startswith("start ")]
    assert lint_text((published(nine_x) / "W98.bat").read_bytes(), "W98.bat") == []


def test_the_same_package_without_a_space_is_run_with_start(nine_x, run):
    script = _w98_script(nine_x, run, "w98\\q321232.exe")
    assert "start /w %HFS%\\hotfixes\\w98\\q321232.exe /Q:A /R:N" in script.splitlines()


@pytest.mark.parametrize("line, flagged", [
    ("start /w %HFS%\\hotfixes\\Win 98\\q321309_98.exe /Q:A /R:N", True),  # seen
    ("start /w %HFS%\\hotfixes\\My Patches\\x.exe", True),
    ('start /w "%HFS%\\hotfixes\\Win 98\\x.exe" /Q:A', True),
    ("start /w /m %HFS%\\hotfixes\\a\\q 1.exe /q", True),
    ("start /w %HFS%\\hotfixes\\q321309_98.exe /Q:A /R:N", False),
    ("start /w %HFS%\\hotfixes\\hotfix.exe -z -m >nul", False),
])
def test_the_linter_catches_a_split_start(line, flagged):
    text = f"@echo off\r\nrem for command.com\r\n{line}\r\n".encode()
    problems = lint_text(text, "x.bat", for_9x=True)
    assert bool(problems) is flagged, problems
