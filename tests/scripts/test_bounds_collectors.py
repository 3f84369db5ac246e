"""What the collectors copy from every client (issue 22, section 2, class 8).

Seen: an unsigned catalog accepted with --allow-unsigned named %SystemRoot%\\repair\\sam and
\\system as files to check, and collect_nt.bat copied them from every NT machine to a share
every user can read. The collectors now copy only program files and libraries (the table
data/collected_files.json, each extension with what it is), never from the folders that hold
hives, SAM, backups, the directory database or profiles; and a change in what they copy is
named in `month`'s summary, so a catalog cannot quietly widen it.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.conftest import EXAMPLES, hfstage_process
from tests.published import published

HOSTILE = [  # (file name, folder): everything a hostile catalog might ask for
    ("sam", "%windir%\\repair"),  # seen
    ("system", "%windir%\\repair"),  # seen
    ("SAM", "%windir%\\system32\\config"),
    ("software.sav", "%windir%\\system32\\config"),
    ("evil.dll", "%windir%\\system32\\config"),  # a program name in a hive folder
    ("security", "%SystemRoot%\\system32\\config\\RegBack"),
    ("ntds.dit", "%windir%\\NTDS"),
    ("ntuser.dat", "%windir%\\Profiles\\Administrator"),
    ("setupapi.log", "%windir%"),
    ("unattend.txt", "%windir%\\system32"),
    ("user.dat", "%windir%"),  # a 9x hive
]
ADDED = ("newlib.dll", "%windir%\\system32")  # a real new check: named in the summary


@pytest.fixture
def site(month1_site):
    return month1_site


_hf = hfstage_process


def _catalog(tmp_path, files) -> str:
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    locations = "".join(f'<Location LocationID="{900 + i}" Path="{folder}" AbsolutePath="False"/>'
                        for i, (_, folder) in enumerate(files))
    entries = "".join(f'<File FileID="{900 + i}" Name="{name}" LocationID="{900 + i}"><FileChanges><FileChange '
                      f'FileChangeID="{900 + i}" Date="2003/08/20" Version="1.0.0.1" Size="" CommandID="e" '
                      'Checksum=""/></FileChanges></File>' for i, (name, _) in enumerate(files))
    xml = xml.replace("<Locations>", "<Locations>" + locations, 1).replace("<Files>", "<Files>" + entries, 1)
    path = tmp_path / "hostile.xml"
    path.write_text(xml)
    return path


def test_an_unsigned_catalog_cannot_make_the_collectors_copy_hives_or_secrets(site, tmp_path):
    imported = _hf("catalog", "import", site.root, "--xml", _catalog(tmp_path, HOSTILE + [ADDED]),
                   "--allow-unsigned")
    assert imported.returncode == 0, imported.stderr
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    for script in ("collect_nt.bat", "collect_9x.bat"):
        text = (published(site) / script).read_text().lower()
        for name, _ in HOSTILE:
            assert not re.search(rf'copy "?[^"\s]*\\{re.escape(name.lower())}"?\s', text), (script, name)
        for folder in ("repair", "config", "regback", "ntds", "profiles"):
            assert f"\\{folder}\\" not in text, (script, folder)
    assert "newlib.dll" in (published(site) / "collect_nt.bat").read_text()
    summary = [line for line in done.stdout.splitlines() if "the collectors now copy" in line]
    assert summary == ["the collectors now copy 1 more file(s) from every client: %SystemRoot%\\system32\\newlib.dll"]


def test_a_file_the_collectors_stop_copying_is_named_too(site, tmp_path):
    assert _hf("catalog", "import", site.root, "--xml", _catalog(tmp_path, [ADDED]), "--allow-unsigned").returncode == 0
    assert "now copy 1 more" in _hf("month", site.root, "--fail-on", "none").stdout
    month2 = tmp_path / "m2.cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", month2)
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text().replace('DataVersion="2.0.0.2"', 'DataVersion="2.0.0.3"')
    (tmp_path / "plain.xml").write_text(xml)
    assert _hf("catalog", "import", site.root, "--xml", tmp_path / "plain.xml", "--allow-unsigned").returncode == 0
    done = _hf("month", site.root, "--fail-on", "none")
    assert "the collectors no longer copy 1 file(s): %SystemRoot%\\system32\\newlib.dll" in done.stdout


@pytest.mark.parametrize("name, folder, collected", [
    ("rpcss.dll", "system32", True), ("tcpip.sys", "system32\\drivers", True), ("vip.386", "system", True),
    ("sam", "repair", False), ("x.dll", "system32\\config", False), ("x.dll", "SYSTEM32\\CONFIG", False),
    ("readme.txt", "system32", False), ("hosts", "system32\\drivers\\etc", False), ("x.DLL", "system32", True),
])
def test_the_rule_itself(name, folder, collected):
    from hfstage.scripts.collectors import collectable

    assert collectable(folder, name) is collected
