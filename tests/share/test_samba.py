"""A real Samba server serves a share `hfstage month` has just written, with exactly the smb.conf
lines README documents; an ordinary share user reads and writes what clients may, and is refused
the rest. The test starts its own smbd (private state folders, a high port on 127.0.0.1) and stops it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from hfstage.pipeline import demo
from tests.conftest import REPO

USER, PASSWORD = "hfstage-client", "Hf-Test-1234"


def _readme_smb_conf() -> str:
    """The smb.conf block README documents, without its indentation."""
    text = (REPO / "README.txt").read_text()
    start = text.index("    [global]\n       unix extensions = no")
    block = text[start:text.index("\n(", start)]
    return "\n".join(line[4:] for line in block.splitlines()) + "\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _why_not() -> str | None:
    for tool in ("smbd", "smbclient", "smbpasswd"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            return f"{tool} not installed (Debian packages samba and smbclient)"
    if os.geteuid() != 0:
        return "smbd must start as root to serve a share as another user"
    return None


@pytest.fixture(scope="module")
def samba():
    why = _why_not()
    if why:
        pytest.skip(why)
    try:
        pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "-M", "-s", "/usr/sbin/nologin", USER], check=True, capture_output=True)
    # not below pytest's own temp folder: it is private to root, and the share user must reach the share
    work = Path(tempfile.mkdtemp(prefix="hfstage-samba-"))
    work.chmod(0o755)
    share = work / "hfstage"
    demo(share)
    for name in ("private", "lock", "state", "cache", "pid", "log"):
        (work / name).mkdir()
    port = _free_port()
    documented = _readme_smb_conf().replace("path = /srv/hfstage", f"path = {share}")
    conf = work / "smb.conf"
    conf.write_text(documented.replace("[global]\n", f"""[global]
   workgroup = TEST
   server role = standalone server
   interfaces = 127.0.0.1
   bind interfaces only = yes
   smb ports = {port}
   disable netbios = yes
   private dir = {work}/private
   lock directory = {work}/lock
   state directory = {work}/state
   cache directory = {work}/cache
   pid directory = {work}/pid
   ncalrpc dir = {work}/state/ncalrpc
   log file = {work}/log/smbd.log
   passdb backend = tdbsam:{work}/private/passdb.tdb
   load printers = no
   printcap name = /dev/null
   disable spoolss = yes
""", 1))
    subprocess.run(["smbpasswd", "-c", str(conf), "-a", "-s", USER], input=f"{PASSWORD}\n{PASSWORD}\n",
                   text=True, check=True, capture_output=True)
    smbd = subprocess.Popen(["smbd", "-F", "--no-process-group", "-s", str(conf), "-d", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60  # bounds a failure to start; a started smbd answers at once
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        if smbd.poll() is not None:
            pytest.skip(f"smbd could not start here: {smbd.stdout.read().decode(errors='replace')[-300:]}")
        time.sleep(0.2)
    else:
        smbd.kill()
        pytest.skip("smbd did not listen within 60 s")
    try:
        yield share, port, work
    finally:
        os.killpg(smbd.pid, signal.SIGTERM)  # smbd and the children it forked for each client
        try:
            smbd.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(smbd.pid, signal.SIGKILL)
        shutil.rmtree(work, ignore_errors=True)


def _smb(port: int, command: str) -> str:
    proc = subprocess.run(["smbclient", "//127.0.0.1/hfstage", "-p", str(port), "-U", f"{USER}%{PASSWORD}",
                           "-c", command], capture_output=True, text=True, timeout=120)
    return proc.stdout + proc.stderr


def test_a_client_reads_its_scripts(samba):
    share, port, work = samba
    out = _smb(port, f"get netlogon\\logon.bat {work}/logon.bat; get scripts\\NT4WKS.bat {work}/NT4WKS.bat")
    assert "NT_STATUS" not in out, out
    assert (work / "logon.bat").read_bytes() == (share / "netlogon" / "logon.bat").read_bytes()
    assert (work / "NT4WKS.bat").read_bytes() == (share / "scripts" / "NT4WKS.bat").read_bytes()


def test_a_client_writes_inventory_and_results(samba):
    share, port, work = samba
    (work / "up.txt").write_text("client data\r\n")
    out = _smb(port, f"mkdir inventory\\NEWPC; put {work}/up.txt inventory\\NEWPC\\collect.log; "
                     f"put {work}/up.txt results\\NEWPC.log")
    assert "NT_STATUS" not in out, out
    assert (share / "inventory" / "NEWPC" / "collect.log").read_bytes() == b"client data\r\n"
    assert (share / "results" / "NEWPC.log").stat().st_uid == pwd.getpwnam(USER).pw_uid


@pytest.mark.parametrize("target", ["scripts\\EVIL.bat", "netlogon\\logon.bat", "templates\\plan.txt.j2",
                                    "trust\\evil.pem", "state\\evil", "catalogs\\evil", "site.ini"])
def test_a_client_is_refused_everywhere_else(samba, target):
    share, port, work = samba
    (work / "evil.txt").write_text("evil")
    before = (share / target.replace("\\", "/")).read_bytes() if (share / target.replace("\\", "/")).exists() \
        else None
    out = _smb(port, f"put {work}/evil.txt {target}")
    assert "NT_STATUS_ACCESS_DENIED" in out, out
    after = (share / target.replace("\\", "/")).read_bytes() if (share / target.replace("\\", "/")).exists() \
        else None
    assert after == before


def test_a_client_cannot_read_state_or_remove_anothers_files(samba):
    share, port, work = samba
    assert "NT_STATUS_ACCESS_DENIED" in _smb(port, f"get state\\history.sqlite {work}/h.sqlite")
    assert "NT_STATUS_ACCESS_DENIED" in _smb(port, "del scripts\\NT4WKS.bat")
    (share / "results" / "OTHER.log").write_text("another machine's results\r\n")  # written by root
    assert "NT_STATUS_ACCESS_DENIED" in _smb(port, "del results\\OTHER.log")
    assert (share / "results" / "OTHER.log").exists()
