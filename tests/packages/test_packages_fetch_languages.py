"""The fetch list says which language each package's machines run in (issue 23.2).

Catalogs and packages are per language: an admin who carries in the English build for a German
machine carries in a package its INF refuses (hfstage holds it back, naming both languages) and the
machine stays unpatched another month. So missing-packages.txt ends each line with the languages of
the machines that need it, read from their hives (Control\\Nls\\Language), most machines first; a
machine whose language was not read says so rather than being counted as English.
"""

from __future__ import annotations

import subprocess
import sys

from hfstage.packages import MissingPackage, with_languages
from tests.bindhelp import merge
from tests.conftest import demo_with_cabinet


def test_each_line_names_its_machines_languages_most_first():
    fetch = [MissingPackage("MS03-026", "Q823980", "x.exe", "-", 3, "hotfixes\\x.exe", ("A", "B", "C")),
             MissingPackage("SP", "-", "sp4.exe", "-", 1, "hotfixes\\sp4.exe", ("D",))]
    lines = [m.line().split("\t") for m in with_languages(fetch, {"A": "0407", "B": "0409", "C": "0407"})]
    assert lines[0][6] == "German (0407) 2, English (0409) 1"
    assert lines[1][6] == "not read 1"  # D's language was not read: never taken for English


def test_the_months_fetch_list_reads_the_machines_hives(tmp_path):
    share = demo_with_cabinet(tmp_path / "share")
    # DC01's current control set is ControlSet002 (its Select key says Current = 2): the language is read from there
    for machine, code, control_set in (("W2KSRV", "0407", "001"), ("DC01", "0409", "002")):
        nls = f"\\ControlSet{control_set}\\Control\\Nls"
        merge(share.folder("inventory") / machine / "SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM",
              f'[{nls}]\n\n[{nls}\\Language]\n"Default"="{code}"\n"InstallLanguage"="{code}"\n', tmp_path)
    done = subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = (share.folder("reports") / "missing-packages.txt").read_text().splitlines()
    assert lines[0].split("\t")[6].startswith("the machines' languages")
    (service_pack,) = [line.split("\t") for line in lines if "Windows 2000 Server" in line]
    assert service_pack[4:] == ["3", "-", "English (0409) 1, German (0407) 1, not read 1"]  # WEB01: not read
