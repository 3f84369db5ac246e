"""Output encoded per destination, modes set whatever the umask, hard links refused (issue 22, section 2, class 7).

Seen: a hard link in a client folder to a server file was read as root and 40 characters of it
published in reports; state\\audit.log and the lock were 0666 under umask 000; the tab-separated
scan output carried catalog text as a live spreadsheet formula; newlines in client file names
forged lines on the admin's terminal; the central CSV turned every CR into "?". One encoder per
destination now (report.safe: csv_cell, tsv_cell, clean_text for the terminal, file_text for a
rendered file on stdout; errors.shown for a client's name inside a message; HTML by Jinja's
autoescape), and a file with more than one name is refused like a link.
"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, demo_with_cabinet

SECRET = "HFSTAGE-SECRET-5d1c"


@pytest.fixture
def site(tmp_path):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    assert _hf("month", share.root).returncode in (0, 1)
    return share


def _hf(*args, umask: int | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args), *(() if args[0] != "month" else
                           ("--fail-on", "none"))], capture_output=True, text=True, timeout=300,
                          preexec_fn=(lambda: os.umask(umask)) if umask is not None else None)


# --- hard links -----------------------------------------------------------------------------

def test_hard_links_to_server_files_are_refused_wherever_a_client_writes(site, tmp_path):
    secret = tmp_path / "server-secret.txt"
    secret.write_text(f"{SECRET} and more of the server's own file\n")
    inventory = site.folder("inventory")
    planted = [inventory / "NT4WKS" / "SOFTWARE", inventory / "W98" / "hf01.reg",
               inventory / "NORES" / "files" / "WINNT" / "system32" / "rpcss.exe", inventory / "XPSP1" / "done.txt",
               site.folder("results") / "DC01.log"]
    spool = inventory / "_unnamed" / "mallory"
    spool.mkdir(parents=True)
    planted.append(spool / "hf01.reg")
    for path in planted:
        path.unlink(missing_ok=True)
        os.link(secret, path)
    done = _hf("month", site.root)
    assert done.returncode == 0, done.stderr
    for name in ("NT4WKS", "W98"):
        page = (site.folder("reports") / "machines" / f"{name}.html").read_text()
        assert "refused: it is a hard link (a file with more than one name)" in page
    results = _hf("results", site.root)
    assert "DC01.log: refused: it is a hard link" in results.stdout
    assert (spool / "hf01.reg").is_file() and "exports filed under" not in done.stdout  # never read, never moved
    for folder in ("reports", "state", "scripts", "netlogon", "catalogs"):
        for path in site.folder(folder).rglob("*"):
            if path.is_file() and path.stat().st_nlink == 1:
                assert SECRET.encode() not in path.read_bytes(), path
    check = _hf("share", "check", site.root)
    assert check.returncode == 1
    assert check.stdout.count("it is a hard link (a file with more than one name); hfstage refuses it") >= 4


# --- modes ----------------------------------------------------------------------------------

def test_files_hfstage_writes_get_their_modes_whatever_the_umask(site, tmp_path):
    (site.state / "hfstage.lock").unlink()
    xml = tmp_path / "m2.xml"
    xml.write_text((EXAMPLES / "catalog" / "month2.xml").read_text())
    assert _hf("catalog", "import", site.root, "--xml", xml, "--allow-unsigned", umask=0).returncode == 0
    assert _hf("month", site.root, umask=0).returncode == 0
    assert stat.S_IMODE((site.state / "audit.log").stat().st_mode) == 0o640  # seen: 0666
    assert stat.S_IMODE((site.state / "hfstage.lock").stat().st_mode) == 0o640  # seen: 0666
    wide = []
    for folder in ("state", "scripts", "netlogon", "reports", "catalogs"):
        for path in [site.folder(folder), *site.folder(folder).rglob("*")]:
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & (stat.S_IWOTH | stat.S_IWGRP) or (folder == "state" and mode & stat.S_IROTH):
                wide.append(f"{path.relative_to(site.root)} {mode:04o}")
    assert wide == []


def test_an_existing_lock_or_audit_log_with_wide_modes_is_narrowed(site, tmp_path):
    for name in ("hfstage.lock", "audit.log"):
        (site.state / name).touch()
        os.chmod(site.state / name, 0o666)
    xml = tmp_path / "m2.xml"
    xml.write_text((EXAMPLES / "catalog" / "month2.xml").read_text())
    assert _hf("catalog", "import", site.root, "--xml", xml, "--allow-unsigned").returncode == 0
    for name in ("hfstage.lock", "audit.log"):
        assert stat.S_IMODE((site.state / name).stat().st_mode) == 0o640, name


# --- spreadsheet cells ----------------------------------------------------------------------

@pytest.mark.parametrize("title, cell", [
    ("=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)", "'=HYPERLINK(\"http://x\",\"y\")"),  # seen
    ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-2+3", "'-2+3"),
    ("two&#9;cells", "two cells"),
    ("two&#10;lines&#13;here", "two lines here"),
    ("csi&#155;2J", "csi?2J"),  # C1 CSI, ESC [ to many terminals (ESC itself cannot be in XML)
])
def test_catalog_text_in_the_tab_and_csv_scans_is_never_a_formula_or_a_new_cell(site, tmp_path, title, cell):
    xml = (EXAMPLES / "catalog" / "month2.xml").read_text()
    marker = 'BulletinID="MS03-039"'
    start = xml.index(marker)
    at = xml.index('Title="', start) + len('Title="')
    xml = xml[:at] + title + xml[xml.index('"', at):]
    (tmp_path / "t.xml").write_text(xml)
    assert _hf("catalog", "import", site.root, "--xml", tmp_path / "t.xml", "--allow-unsigned").returncode == 0
    tab = _hf("scan", site.root, "--format", "tab")
    rows = [line.split("\t") for line in tab.stdout.splitlines()]
    assert {len(r) for r in rows} == {10}
    assert cell in [r[4] for r in rows if r[3] == "MS03-039"]
    scan_csv = _hf("scan", site.root, "--format", "csv")
    titles = [r[6] for r in csv.reader(io.StringIO(scan_csv.stdout)) if len(r) > 6 and r[3] == "MS03-039"]
    assert titles and all(not t.startswith(("=", "+", "@", "-")) and "\x1b" not in t for t in titles)


# --- the terminal ---------------------------------------------------------------------------

def test_client_file_names_cannot_forge_lines_or_escapes_on_the_terminal(site):
    forged = "FORGED: all machines compliant"
    results = site.folder("results")
    (results / f"A\n{forged}.log").write_text("x")
    (results / f"B\r{forged}.log").write_text("x")
    os.mkfifo(results / f"C\x1b[2J\n{forged}.log")
    os.mkfifo(os.fsencode(results) + b"/D\xff\xfe.log")
    (site.folder("inventory") / f"E\n{forged}").mkdir()
    spool = site.folder("inventory") / "_unnamed" / f"u\n{forged}"
    spool.mkdir(parents=True)
    (spool / "hf01.reg").write_bytes(b"REGEDIT4\r\n[-]\r\n")
    os.mkfifo(site.folder("inventory") / "NORES" / "files" / f"p\n{forged}")
    for args in (("month", site.root), ("results", site.root), ("share", "check", site.root),
                 ("inventory", site.root)):
        done = _hf(*args)
        assert done.returncode in (0, 1), (args, done.stderr)
        for line in (done.stdout + done.stderr).splitlines():
            assert not line.startswith("FORGED"), (args, line)
        assert "\x1b" not in done.stdout + done.stderr and "\r" not in done.stdout + done.stderr, args
