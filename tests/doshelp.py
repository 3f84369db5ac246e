"""Running Windows 9x batch files in a DOS command interpreter (DOSBox), with the Windows programs they call
as DOS stubs (tests/data/stubs/dos/make_dos_stubs.sh).

START.COM (also RUNDLL32.EXE and REGEDIT.EXE) logs its command tail to C:\\CALLS.LOG and exits with C:\\RC.BIN's
byte; FIND.COM is MS-DOS FIND (/v /n /i, a file or standard input, exit 0/1/2); DATE.COM prints C:\\DATE.TXT, the
day the test chose, as Windows 98's DATE prints one. DOSBox's shell is not Windows 98's command.com: it proves DOS
batch semantics (labels, `if errorlevel` as "N or more" in 8 bits, `if exist`, redirections, no NT syntax), and it
knows 8.3 names only, so the share is mounted as drives (D: the share, E: its inventory folder) in place of the UNC
path. It has no pipes: the 9x scripts use redirections (command.com makes its pipes of them anyway).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.published import published

DOSBOX = shutil.which("dosbox")
STUBS = DATA / "stubs" / "dos"
UNC = "\\\\DC1\\hfstage"
needs_dosbox = pytest.mark.skipif(DOSBOX is None, reason="dosbox not installed (Debian package dosbox)")
CONF = "[sdl]\noutput=surface\n[cpu]\ncycles=max\n[speaker]\npcspeaker=false\n[mixer]\nnosound=true\n"


def dosbox(client: Path, share: Path, batch: str, env: dict[str, str]) -> None:
    """Run BATCH (a DOS path) in DOSBox with C: the client's disk, D: the share, E: its inventory."""
    conf = client.parent / "dosbox.conf"
    conf.write_text(CONF)
    commands = [f"mount c {client}", f"mount d {share}", f"mount e {share / 'inventory'}", "c:"]
    commands += [f"set {k}={v}" for k, v in env.items()] + [f"call {batch}", "exit"]
    args = [DOSBOX, "-conf", str(conf), "-noconsole"] + [a for c in commands for a in ("-c", c)]
    subprocess.run(args, env={**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy"},
                   capture_output=True, timeout=120, check=False)


def client_disk(root: Path, code: int = 0) -> Path:
    """A Windows 98 disk: C:\\WINDOWS, and the stubs on the PATH; the packages exit with CODE."""
    stubs = root / "STUBS"
    (root / "WINDOWS" / "SYSTEM").mkdir(parents=True)
    (root / "WINDOWS" / "TEMP").mkdir()
    stubs.mkdir()
    for name in ("START.COM", "FIND.COM", "DATE.COM"):
        shutil.copyfile(STUBS / name, stubs / name)
    for name in ("RUNDLL32.EXE", "RUNDLL.EXE", "REGEDIT.EXE"):  # DOS loads a file without MZ as a .COM
        shutil.copyfile(STUBS / "START.COM", stubs / name)
    (root / "RC.BIN").write_bytes(bytes([code]))
    return root


def set_day(client: Path, first_line: str, prompt: str = "Enter new date (mm-dd-yy): ") -> None:
    """What DATE prints on CLIENT from now on: FIRST_LINE ("Current date is Sun 12-06-1998"), then its prompt."""
    (client / "DATE.TXT").write_bytes(f"{first_line}\r\n{prompt}".encode())


def for_dos(text: bytes) -> bytes:
    """The script with the share's UNC path as DOSBox's drives (8.3 names only: see the docstring)."""
    return text.replace(f"{UNC}\\inventory".encode(), b"E:").replace(UNC.encode(), b"D:")


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


class NineXClient:
    """W98 at logon: the published collector, run with the generation current.bat names (HFG)."""

    def __init__(self, share, run, disk: Path):
        self.share, self.run, self.disk = share, run, client_disk(disk)
        (share.folder("inventory") / "W98").mkdir(exist_ok=True)

    def publish(self, interval: int) -> None:
        self.share.site_ini.write_text(f"[share]\nunc = {UNC}\n[collect]\ninterval = {interval}\n")
        assert self.run("scripts", "collectors", self.share.root)[0] == 0

    def logon(self, day: str, prompt: str = "Enter new date (mm-dd-yy): ", from_logon_bat: bool = True) -> int:
        """Log on on DAY; the number of files the collector wrote to the share. FROM_LOGON_BAT: HFG names the
        current set, as logon.bat sets it."""
        set_day(self.disk, day, prompt)
        folder = published(self.share)
        (self.disk / "COLLECT.BAT").write_bytes(for_dos((folder / "collect_9x.bat").read_bytes()))
        before = _state(self.share.folder("inventory"))
        env = {"windir": "C:\\WINDOWS", "PATH": "C:\\STUBS", "HFM": "W98"}
        dosbox(self.disk, self.share.root, "C:\\COLLECT.BAT", {**env, "HFG": folder.name} if from_logon_bat else env)
        after = _state(self.share.folder("inventory"))
        return sum(1 for name, state in after.items() if before.get(name) != state)

    @property
    def stamp(self) -> Path:
        return self.disk / "WINDOWS" / "HFSTAGE" / "COLLECT.TXT"
