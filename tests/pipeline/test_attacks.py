"""Attacks on a share every client writes to (issue 13), one test per class.

Each runs the real monthly routine on the example share with something hostile planted,
checks the refusal or the clean handling, that the rest of the site was processed, and that
nothing outside the share changed or leaked (a snapshot of a sibling folder holding a secret).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, demo_with_cabinet
from tests.published import published

SECRET = "HFSTAGE-SECRET-7f3a"  # a server file's content: must never appear in anything hfstage writes


@pytest.fixture
def site(tmp_path):
    """The demo share after its first month, a sibling folder with a secret, and month2's cabinet ready."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"{SECRET}\nsecond line\n")
    share = demo_with_cabinet(tmp_path / "share", "month1")
    _month(share)
    return share, outside


def _month(share, *extra, timeout=300) -> subprocess.CompletedProcess:
    """`hfstage month` in a process of its own, so a hang fails the test instead of blocking it."""
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none", *extra],
                          capture_output=True, text=True, timeout=timeout)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _leaked(share) -> list[str]:
    """Files under the share (or in its history) that contain the secret."""
    found = []
    for path in share.root.rglob("*"):
        if path.is_file() and not path.is_symlink() and SECRET.encode() in path.read_bytes():
            found.append(str(path))
    return found


def _statuses(share) -> dict[str, str]:
    out = subprocess.run([sys.executable, "-m", "hfstage", "report", str(share.root), "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {r["machine"]: r["status"] for r in json.loads(out)["rows"]}


# 1. Catalog IDs become paths -------------------------------------------------------------------

@pytest.mark.parametrize("field, value", [
    ("BulletinID", "../../../netlogon/X"), ("BulletinID", "/tmp/X"), ("BulletinID", "CON"),
    ("DataVersion", "..\\..\\x"), ("PatchName", "..\\..\\netlogon\\logon.bat"), ("Path", "%windir%\\..\\..\\x"),
])
def test_catalog_values_that_would_become_paths_are_refused(site, tmp_path, run, field, value):
    share, outside = site
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    marker = {"BulletinID": 'BulletinID="MS03-039"', "DataVersion": 'DataVersion="2.0.0.2"',
              "PatchName": 'PatchName="Q299444i.exe"', "Path": 'Path="%windir%\\system32"'}[field]
    assert marker in xml
    bad = tmp_path / "evil.xml"
    bad.write_text(xml.replace(marker, f'{field}="{value}"', 1))
    before = _snapshot(outside)
    code, _, err = run("catalog", "import", share.root, "--xml", bad, "--allow-unsigned")
    assert code == 3 and "refused: not a safe name" in err and f'{field}="{value}"' in err
    assert f"{bad} line " in err  # the element's line is named
    assert not (share.folder("catalogs") / "2.0.0.2").exists()
    assert _snapshot(outside) == before


# 2. Links, special files and huge files under inventory\ and results\ -----------------------------

def test_links_to_server_files_are_never_followed(site):
    share, outside = site
    inventory = share.folder("inventory")
    (inventory / "NT4WKS" / "SOFTWARE").unlink()
    (inventory / "NT4WKS" / "SOFTWARE").symlink_to(outside / "secret.txt")
    (inventory / "W98" / "hf01.reg").unlink()
    (inventory / "W98" / "hf01.reg").symlink_to(outside / "secret.txt")
    (inventory / "LINKED").symlink_to(inventory / "XPSP1", target_is_directory=True)
    collected = inventory / "NORES" / "files" / "WINNT" / "system32" / "rpcss.exe"
    collected.unlink()
    collected.symlink_to(outside / "secret.txt")
    (share.folder("results") / "DC01.log").symlink_to(outside / "secret.txt")
    done = _month(share)
    assert done.returncode == 0, done.stderr
    assert "inventory\\LINKED: skipped: it is a symbolic link, not a folder" in done.stdout
    statuses = _statuses(share)
    assert "LINKED" not in statuses and len(statuses) == 12
    assert statuses["NT4WKS"] == "unreadable"  # its SOFTWARE is a link: refused, never read
    assert statuses["W98"] == "unreadable"
    page = (share.folder("reports") / "machines" / "NT4WKS.html").read_text()
    assert "refused: it is a symbolic link" in page
    assert _leaked(share) == []


def test_a_linked_machine_folder_cannot_redirect_the_unnamed_spool(site):
    share, outside = site
    inventory = share.folder("inventory")
    (inventory / "WME").rename(inventory / "WME-real")
    shutil.rmtree(inventory / "WME-real")
    (inventory / "WME").symlink_to(outside, target_is_directory=True)  # the spool's target is a link
    spool = inventory / "_unnamed" / "mallory"
    spool.mkdir(parents=True)
    shutil.copyfile(EXAMPLES / "inventory" / "WME" / "hf01.reg", spool / "hf01.reg")
    before = _snapshot(outside)
    done = _month(share)
    assert done.returncode == 0, done.stderr
    assert _snapshot(outside) == before  # nothing moved through the link
    assert (spool / "hf01.reg").is_file()  # left in place, and said so


def test_fifos_and_folders_named_like_files_never_hang_or_stop_a_month(site):
    share, _ = site
    os.mkfifo(share.folder("results") / "NT4WKS.log")
    (share.folder("results") / "EVIL.log").mkdir()
    spool = share.folder("inventory") / "_unnamed" / "bob"
    spool.mkdir(parents=True)
    os.mkfifo(spool / "hf01.reg")
    os.mkfifo(share.folder("inventory") / "DC01" / "hf01.reg")  # a name the collectors write
    done = _month(share, timeout=120)  # a FIFO opened for reading would block for ever
    assert done.returncode == 0, done.stderr
    results = subprocess.run([sys.executable, "-m", "hfstage", "results", str(share.root)], capture_output=True,
                             text=True, timeout=120)
    assert "NT4WKS.log: refused: it is a named pipe (FIFO), not a regular file" in results.stdout
    assert "EVIL.log: refused: it is a folder" in results.stdout
    statuses = _statuses(share)
    assert statuses["DC01"] == "unreadable" and len(statuses) == 12  # refused, named; the others go on
    page = (share.folder("reports") / "machines" / "DC01.html").read_text()
    assert "hf01.reg: refused: it is a named pipe (FIFO)" in page


def test_size_caps_refuse_sparse_giants_without_reading_them(site):
    share, _ = site
    hive = share.folder("inventory") / "XPSP1" / "SOFTWARE"
    with open(hive, "r+b") as fh:
        fh.truncate(3 * 1024**3)  # 3 GB, sparse: free to plant
    log = share.folder("results") / "W2KSRV.log"
    with open(log, "wb") as fh:
        fh.truncate(1024**3)
    done = _month(share)
    assert done.returncode == 0, done.stderr
    out = subprocess.run([sys.executable, "-m", "hfstage", "scan", str(share.root), "--format", "json",
                          "--machine", "XPSP1"], capture_output=True, text=True).stdout
    (xp,) = json.loads(out)["machines"]
    assert xp["status"] == "unreadable" and "is larger than any real registry hive" in xp["error"]
    results = subprocess.run([sys.executable, "-m", "hfstage", "results", str(share.root)], capture_output=True,
                             text=True)
    assert "W2KSRV.log: refused: 1073741824 bytes is larger than any real results log" in results.stdout


# 3. Machine names that collide with hfstage's own files ---------------------------------------

@pytest.mark.parametrize("name", ["NT4WKS-rollback", "LOGON", "collect_nt", "Collect_9X", "nt4wks-ROLLBACK"])
def test_names_that_collide_with_hfstages_files_are_skipped(site, name):
    share, _ = site
    shutil.copytree(EXAMPLES / "inventory" / "W2KSRV", share.folder("inventory") / name)
    done = _month(share)
    assert done.returncode == 0, done.stderr
    assert f"inventory\\{name}: skipped: collides with a file hfstage writes itself" in done.stdout
    rollback = (published(share) / "NT4WKS-rollback.bat").read_text()
    assert "rollback for NT4WKS" in rollback and "W2KSRV" not in rollback
    written = {p.name.casefold() for p in published(share).glob("*.bat")}
    assert f"{name.casefold()}.bat" not in written or name.casefold() == "nt4wks-rollback" or \
        "W2KSRV" not in (published(share) / f"{name.casefold()}.bat").read_text()  # hfstage's own collector
    assert f"{name.casefold()}-rollback.bat" not in written
    assert "hfstage dispatcher logon script" in (share.folder("netlogon") / "logon.bat").read_text()


# 4. One client's folder never stops the site ----------------------------------------------------

@pytest.mark.parametrize("name", ["A&calc", "SIXTEENCHARSNAME", "line\nbreak", "caf\u00e9", "PC 01", "NT4WKS.",
                                  "nt4wks"])
def test_a_bad_folder_name_is_one_warning_row(site, name):
    share, _ = site
    shutil.copytree(EXAMPLES / "inventory" / "XPSP1", share.folder("inventory") / name)
    done = _month(share)
    assert done.returncode == 0, done.stderr
    assert "skipped" in done.stdout
    statuses = _statuses(share)
    assert len(statuses) == 12 and "XPSP1" in statuses  # the other machines went on
    assert (published(share) / "XPSP1.bat").is_file()
    assert (share.folder("reports") / "index.html").is_file()


# 5. One client never decides another's installs --------------------------------------------------

def test_results_fields_are_parsed_strictly(site, run):
    share, _ = site
    (share.folder("results") / "NT4WKS.log").write_text(
        "HFRESULT;d;t;MS03-039;Q824146;WindowsNT4Workstation-KB824146-x86-ENU.exe;1603;failed\n"
        "HFRESULT;d;t;MS03-039;Q824146;x.exe;0;success;extra;fields\n"
        "HFRESULT;d;t;MS03-039;Q824146;a;b.exe;0;success\n"
        "HFRESULT;d;t;MS03-039;Q824146;\x1b[31mred.exe;0;success\n")
    code, out, _ = run("results", share.root, "--json")
    (machine,) = json.loads(out)["machines"]
    assert machine["malformed"] == 3 and [p["patch"] for p in machine["patches"]] == [
        "WindowsNT4Workstation-KB824146-x86-ENU.exe"]


# 6. Output that others read ----------------------------------------------------------------------

def test_written_files_have_the_modes_the_share_needs(site):
    share, _ = site
    for folder, file_mode, folder_mode in (("scripts", 0o644, 0o755), ("netlogon", 0o644, 0o755),
                                           ("reports", 0o644, 0o755), ("catalogs", 0o644, 0o755)):
        root = share.folder(folder)
        assert stat.S_IMODE(root.stat().st_mode) == folder_mode, folder
        for path in root.rglob("*"):
            want = folder_mode if path.is_dir() else file_mode
            assert stat.S_IMODE(path.stat().st_mode) == want, path
    assert stat.S_IMODE((share.folder("state") / "history.sqlite").stat().st_mode) & 0o007 == 0
    for folder in ("inventory", "results"):
        assert stat.S_IMODE(share.folder(folder).stat().st_mode) == 0o1777


def test_links_and_cells_that_would_run_are_made_harmless(site, tmp_path, run):
    share, _ = site
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    xml = xml.replace('Path="http://www.microsoft.com/technet/security/bulletin"', 'Path="javascript:alert(1)//"', 1)
    xml = xml.replace('Title="Buffer Overrun In RPC Interface Could Allow Code Execution"',
                      'Title="=HYPERLINK(&quot;http://evil&quot;)"', 1)
    evil = tmp_path / "mssecure.xml"
    evil.write_text(xml)
    assert "javascript:" in xml
    assert run("catalog", "import", share.root, "--xml", evil, "--allow-unsigned")[0] == 0
    done = _month(share)
    assert done.returncode == 0, done.stderr
    for page in share.folder("reports").rglob("*.html"):
        assert "javascript:" not in page.read_text(), page
    code, csv_text, _ = run("scan", share.root, "--format", "csv", "--fail-on", "none")
    for line in csv_text.splitlines():
        assert ",=HYPERLINK" not in line and '"=HYPERLINK' not in line


def test_terminal_output_shows_no_control_characters(site, run):
    share, _ = site
    (share.folder("results") / "XPSP1.log").write_text(
        "HFRESULT;\x1b]0;owned\x07;t;MS03-039;Q824146;WindowsXP-KB824146-x86-ENU.exe;1603;failed\n")
    code, out, _ = run("results", share.root)
    assert "\x1b" not in out and "\x07" not in out


def test_share_templates_render_in_the_sandbox(site, run):
    share, _ = site
    (share.root / "templates" / "plan.txt.j2").write_text(
        "{{ ''.__class__.__mro__[1].__subclasses__() }}\n")
    code, _, err = run("plan", share.root)
    assert code == 2 and "template refused: SecurityError" in err and len(err.strip().splitlines()) == 1


# 7. A catalog imported by mistake cannot hide the real ones ----------------------------------------

def test_a_high_dataversion_cannot_make_later_catalogs_invisible(share, run, tmp_path):
    xml = (EXAMPLES / "catalog" / "month1.xml").read_text().replace('DataVersion="2.0.0.1"', 'DataVersion="99.0"')
    bogus = tmp_path / "bogus.xml"
    bogus.write_text(xml)
    assert run("catalog", "import", share.root, "--xml", bogus, "--allow-unsigned")[0] == 0
    real = share.folder("incoming") / "m2.cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", real)
    shutil.copyfile(EXAMPLES / "trust" / "hfstage-test-root.pem", share.folder("trust") / "root.pem")
    code, out, _ = run("catalog", "import", share.root, real)
    assert code == 0 and "(not current)" in out
    assert "catalog 2.0.0.2 is not newer than the current catalog 99.0" in out
    assert "hfstage catalog use" in out
    code, out, _ = run("catalog", "list", share.root)
    assert "* 99.0" in out and "  2.0.0.2" in out
    assert run("catalog", "use", share.root, "2.0.0.2")[0] == 0
    code, out, _ = run("catalog", "list", share.root)
    assert "* 2.0.0.2" in out
    assert "current catalog set to 2.0.0.2 (was 99.0)" in (share.folder("state") / "audit.log").read_text()


# A client that lies about itself is not counted compliant ------------------------------------------

def test_a_hotfix_key_without_its_files_is_unverified(site, run):
    share, _ = site
    machine = share.folder("inventory") / "NT4WKS"
    shutil.rmtree(machine / "files")
    done = _month(share)
    assert done.returncode == 0
    out = run("scan", share.root, "--format", "json", "--machine", "NT4WKS", "--fail-on", "none")[1]
    (nt4,) = json.loads(out)["machines"]
    assert nt4["status"] != "compliant"
    flagged = [f for f in nt4["findings"] if f["unverified"]]
    uncollected = [f for f in flagged if f["status"] == "note"]  # its files were checked by the catalog
    assert uncollected and "unverified: the registry says installed" in uncollected[0]["reason"]
    # the rest: patches the catalog confirms only by their key (installed, never counted compliant)
    assert all(f["reason"].startswith("confirmed only by the registry") for f in flagged if f not in uncollected)
