"""Times sanity-checked (issue 22, section 2, class 5).

Seen: a far-future mtime on one client file crashed `export` (a tmpfs keeps 64-bit seconds:
year 318857 is out of datetime's range), and client mtimes fed "last reported", which a client
could therefore fake; a bundle for a far-future month was accepted centrally and from then on
hid every later real bundle of that site; a server clock set back stopped every month at the
catalog step with advice to use --allow-unsigned. Now "last reported" is when this server
first saw the machine's current evidence, by its own clock (state\\facts\\seen.json); a month
that has not begun is refused at export and at the central office; and a signature refused
because of the server's clock names the clock. The clock is set back for real with faketime.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest

from hfstage.central import load_private_key, write_bundle
from tests.conftest import EXAMPLES, demo_with_cabinet

FAKETIME = shutil.which("faketime")
SHM = Path("/dev/shm")


def _hf(*args, clock: str | None = None) -> subprocess.CompletedProcess:
    prefix = [FAKETIME, "-f", clock] if clock else []
    return subprocess.run([*prefix, sys.executable, "-m", "hfstage", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


def _site(root: Path):
    share = demo_with_cabinet(root, "month1")
    assert _hf("month", share.root, "--fail-on", "none").returncode == 0
    assert _hf("site", "keygen", share.root).returncode == 0
    return share


@pytest.fixture
def site(tmp_path):
    return _site(tmp_path / "share")


@pytest.fixture
def tmpfs_site():
    """The demo share on a tmpfs, which keeps the far-future times ext4 clamps to 2446."""
    if not SHM.is_dir():
        pytest.skip("no /dev/shm tmpfs here")
    root = Path(tempfile.mkdtemp(dir=SHM, prefix="hfstage-times-"))
    try:
        yield _site(root / "share")
    finally:
        shutil.rmtree(root)


def _last_reported(share, tmp_path) -> dict[str, str]:
    bundle = tmp_path / "b.hfb"
    done = _hf("export", share.root, bundle)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(bundle) as zf:
        return {m["machine"]: m["last_reported"] for m in json.loads(zf.read("machines.json"))}


@pytest.mark.parametrize("seconds", [1e13, 2**40, -2e9, 0])  # year 318857, 36812, 1906, 1970
def test_last_reported_is_the_servers_time_whatever_a_client_sets(tmpfs_site, tmp_path, seconds):
    share = tmpfs_site
    for path in (share.folder("inventory") / "XPSP1").iterdir():
        os.utime(path, (seconds, seconds))
    os.utime(share.folder("inventory") / "XPSP1", (seconds, seconds))
    today = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d")
    reported = _last_reported(share, tmp_path)
    assert reported["XPSP1"].startswith(today)  # seen: a crash (year 318857), or the client's own date
    assert all(v.startswith(today) for v in reported.values() if v)


def test_last_reported_moves_only_when_the_evidence_changes(site, tmp_path):
    seen = site.state / "facts" / "seen.json"
    record = json.loads(seen.read_text())
    record["XPSP1"][1] = record["DC01"][1] = "2003-01-01T00:00+00:00"  # as if seen long ago
    seen.write_text(json.dumps(record))
    software = site.folder("inventory") / "XPSP1" / "SOFTWARE"
    software.write_bytes(software.read_bytes())  # new evidence (a new mtime), same bytes
    assert _hf("month", site.root, "--fail-on", "none").returncode == 0
    reported = _last_reported(site, tmp_path)
    assert reported["DC01"] == "2003-01-01T00:00+00:00"  # nothing new from DC01: its time stays
    assert reported["XPSP1"].startswith(dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d"))


# --- the central office ---------------------------------------------------------------------

def _bundle(share, path, month: str) -> Path:
    key = load_private_key(share.state / "site-key.pem")
    manifest = {"site_id": "hq", "site_name": "Head office", "month": month, "catalog_version": "2.0.0.1",
                "hfstage_version": "x", "created_at": dt.datetime.now(dt.timezone.utc).isoformat()}
    members = {"machines.json": [{"machine": "PC1", "status": "compliant", "missing": 0}], "findings.json": [],
               "plan.json": [], "results.json": []}
    path.write_bytes(write_bundle(path, manifest, members, key))
    return path


def _months_ahead(n: int) -> str:
    today = dt.date.today()
    year, month = divmod(today.year * 12 + today.month - 1 + n, 12)
    return f"{year:04d}-{month + 1:02d}"


@pytest.mark.parametrize("month", ["2999-01", "9999-12", _months_ahead(1), _months_ahead(14)])
def test_a_bundle_for_a_month_that_has_not_begun_is_refused(site, tmp_path, month):
    central = tmp_path / "central"
    assert _hf("central", "init", central).returncode == 0
    shutil.copyfile(site.folder("reports") / "site-key.pub.pem", central / "trust" / "hq.pem")
    done = _hf("central", "import", central, _bundle(site, tmp_path / "future.hfb", month))
    assert done.returncode == 3
    assert f"for month {month}, which has not begun by this server's clock" in done.stderr
    now = _hf("central", "import", central, _bundle(site, tmp_path / "now.hfb", _months_ahead(0)))
    assert now.returncode == 0, now.stderr  # this month's real bundle still counts
    refused = _hf("export", site.root, tmp_path / "x.hfb", "--month", month)
    assert refused.returncode == 2 and "has not begun by this server's clock" in refused.stderr


# --- the server's clock ---------------------------------------------------------------------

@pytest.mark.skipif(FAKETIME is None, reason="faketime (Debian package faketime) is not installed")
@pytest.mark.parametrize("command", [("catalog", "import", "{root}", "{cab}"), ("month", "{root}", "--cab", "{cab}"),
                                     ("cab", "verify", "{cab}", "--trust", "{root}/trust")])
def test_a_clock_set_back_is_named_not_blamed_on_the_signature(site, tmp_path, command):
    cab = tmp_path / "m2.cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", cab)
    args = [a.format(root=site.root, cab=cab) for a in command]
    done = _hf(*args, clock="1999-06-01 12:00:00")
    assert done.returncode == 5, done.stderr
    assert "this server's clock says 1999-06-01 12:00 UTC; the signing certificates are valid only from" \
        in done.stderr + done.stdout
    if command[0] != "cab":
        assert "--allow-unsigned would not make the clock right" in done.stderr
    assert _hf(*args).returncode in (0, 1)  # with the right clock it is trusted
