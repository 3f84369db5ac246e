"""Windows 9x scripts run by a DOS command interpreter (DOSBox), beside wine's NT cmd.

The Windows 98 machine W98 (regedit exports in tests/data/inventory) is scanned against the genuine
2001 catalog: it misses several Internet Explorer 5.01 patches, each an IExpress package, and the
catalog's supersedence does not make one of them cover the others. KB 296861: Internet Explorer
updates cannot share a restart. Its script used to run them all in one session; here a run installs
one, marks it, restarts, and the next run installs the next.

Exit codes on Windows 9x are 8 bits: command.com (and DOSBox's shell, checked here) reads
`if errorlevel 3010` as `if errorlevel 194` and `1641` as `105`, so the NT ladder on a 9x script
took a failure with code 105 for "the package restarts the machine itself" and marked it installed.
The 9x script now tells only 0 from not 0 and leaves the rest to the next scan.

The Windows programs are DOS stubs (tests/doshelp.py): DOSBox proves DOS batch semantics, not what
Windows 98's start.exe passes on.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, accept_machines
from tests.doshelp import UNC, NineXClient, client_disk, dosbox, for_dos, needs_dosbox
from tests.published import published


@pytest.fixture
def w98_share(share, run, real_catalog_path):
    """W98 scanned against the genuine catalog; every package it needs is an IExpress package."""
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    accept_machines(share)
    share.site_ini.write_text(f"[share]\nunc = {UNC}\n")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, out, _ = run("packages", share.root, "--json")
    for row in json.loads(out)["packages"]:
        target = share.folder("hotfixes") / row["place"].split("\\", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DATA / "packages" / "iexpress.exe", target)
    code, out, err = run("scripts", "generate", share.root)
    assert code == 0, err
    return share


def _install(share: Path, client: Path) -> tuple[list[str], list[str]]:
    """Run W98's script once; the calls it made and the result lines it wrote, since the last run."""
    script = published(share) / "W98.bat"
    (client / "W98.BAT").write_bytes(for_dos(script.read_bytes()))
    calls, log = client / "CALLS.LOG", share / "results" / "W98.LOG"
    before = (calls.read_text().splitlines() if calls.exists() else [], log.read_text().splitlines()
              if log.exists() else [])
    dosbox(client, share, "C:\\W98.BAT", {"windir": "C:\\WINDOWS", "PATH": "C:\\STUBS"})
    after = (calls.read_text().splitlines() if calls.exists() else [], log.read_text().splitlines()
             if log.exists() else [])
    return after[0][len(before[0]):], [ln for ln in after[1][len(before[1]):] if ln.startswith("HFRESULT")]


@needs_dosbox
def test_internet_explorer_packages_get_one_restart_each(w98_share, tmp_path):
    text = (published(w98_share) / "W98.bat").read_text()
    steps = re.findall(r"^rem (MS\S+) \S+ (\S+) \(iexpress\)", text, re.M)
    assert len(steps) >= 2 and "goto hfsteps" in text  # IE packages the catalog does not make one cover
    client = client_disk(tmp_path / "c")
    seen = []
    for _ in range(2):
        calls, results = _install(w98_share.root, client)
        packages = [c for c in calls if c.strip().startswith("/w ")]
        assert len(packages) == 1, calls  # one IE package per run ...
        assert calls[-1].strip() == "shell32.dll,SHExitWindowsEx 2"  # ... then the restart (KB 234216)
        assert results[0].endswith(";0;success-reboot") and results[-1].endswith(";reboot;-;reboot")
        seen.append(packages[0])
    assert seen[0] != seen[1]  # the next run does the next one; the first is marked done
    assert (client / "WINDOWS" / "HFSTAGE").is_dir()


@needs_dosbox
def test_a_9x_run_names_the_set_of_scripts_it_came_from(w98_share, tmp_path):
    """Called through logon.bat, HFG names the set (scripts\\current.bat): command.com writes it before the
    package's result, so the result traces to that set's generation.txt and its catalog."""
    client = client_disk(tmp_path / "c")
    generation = published(w98_share).name
    (client / "W98.BAT").write_bytes(for_dos((published(w98_share) / "W98.bat").read_bytes()))
    env = {"windir": "C:\\WINDOWS", "PATH": "C:\\STUBS", "HFG": generation}
    dosbox(client, w98_share.root, "C:\\W98.BAT", env)
    log = (w98_share.root / "results" / "W98.LOG").read_text().splitlines()
    results = [ln.strip() for ln in log if ln.startswith("HFRESULT")]
    assert results[0] == f"HFRESULT;-;-;-;-;{generation};-;generation" and results[1].endswith(";0;success-reboot")


@needs_dosbox
@pytest.mark.parametrize("code", [105, 194])
def test_a_9x_exit_code_is_0_or_not_0_and_the_scan_decides(w98_share, tmp_path, code):
    # 105 is what 1641 leaves in 8 bits, 194 what 3010 leaves: neither may be taken for them
    client = client_disk(tmp_path / "c", code)
    calls, results = _install(w98_share.root, client)
    assert results[0].endswith(";1+;unknown-exit"), results
    assert not any("reboot-initiated" in r or "success" in r for r in results)
    assert not list((client / "WINDOWS" / "HFSTAGE").glob("*.OK"))  # nothing marked installed
    assert results[-1].endswith(";reboot;-;reboot")  # an IE package: restarted all the same (it may have installed)


@needs_dosbox
def test_after_a_run_that_tried_a_package_the_next_logon_collects(w98_share, run, tmp_path):
    """The run deletes the collector's stamp (collect.txt): the next logon, after the restart that puts the new
    files in place, collects the same day, whatever the interval; then the interval holds again."""
    w98 = NineXClient(w98_share, run, tmp_path / "c")
    w98.publish(1)
    day = "Current date is Sun 12-06-1998"
    assert w98.logon(day) > 10 and w98.logon(day) == 0
    calls, results = _install(w98_share.root, w98.disk)
    assert [c for c in calls if c.strip().startswith("/w ")] and results[-1].endswith(";reboot;-;reboot")
    assert not w98.stamp.exists()
    assert w98.logon(day) > 10
    assert w98.logon(day) == 0


@needs_dosbox
def test_dos_reads_if_errorlevel_in_8_bits(tmp_path):
    """What the 9x scripts rest on: `if errorlevel 3010` is `if errorlevel 194` in a DOS interpreter."""
    client = client_disk(tmp_path / "c", 194)
    lines = ["@echo off", "start /w C:\\X.EXE", "if errorlevel 3010 echo 3010>>C:\\OUT.TXT",
             "if errorlevel 3011 echo 3011>>C:\\OUT.TXT", "if errorlevel 195 echo 195>>C:\\OUT.TXT"]
    (client / "T.BAT").write_bytes("\r\n".join(lines + [""]).encode())
    dosbox(client, tmp_path, "C:\\T.BAT", {"PATH": "C:\\STUBS"})
    assert (client / "OUT.TXT").read_text().split() == ["3010"]


@needs_dosbox
def test_the_9x_collector_runs_in_a_dos_interpreter(share, run, real_catalog_path, tmp_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    share.site_ini.write_text(f"[share]\nunc = {UNC}\n")
    assert run("scripts", "collectors", share.root)[0] == 0
    client = client_disk(tmp_path / "c")
    (client / "WINDOWS" / "SYSTEM" / "MSI.DLL").write_bytes((DATA / "packages" / "msi-2.0.dll").read_bytes())
    (client / "COLLECT.BAT").write_bytes(for_dos((published(share) / "collect_9x.bat").read_bytes()))
    (share.folder("inventory") / "W98").mkdir()
    dosbox(client, share.root, "C:\\COLLECT.BAT", {"windir": "C:\\WINDOWS", "PATH": "C:\\STUBS", "HFM": "W98"})
    calls = (client / "CALLS.LOG").read_text()
    assert '/e C:\\WINDOWS\\TEMP\\hf01.reg "HKEY' in calls
    assert '"HKEY_USERS\\.DEFAULT\\Control Panel\\desktop"' in calls  # the 9x language (ResourceLocale)
    got = {p.relative_to(share.folder("inventory")).as_posix().casefold(): p
           for p in share.folder("inventory").rglob("*")}
    # each export reached the share; DOSBox 0.74's REN takes no folder in its first name (command.com's does),
    # so the exports stay under their .tmp names here
    assert {"w98/hf01.tmp", "w98/hf02.tmp"} <= set(got)
    copied = got["w98/files/_windir/system/msi.dll"]  # Windows Installer's version, for the .msp command
    assert copied.read_bytes() == (DATA / "packages" / "msi-2.0.dll").read_bytes()
