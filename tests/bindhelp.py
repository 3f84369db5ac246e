"""Helpers of the binding tests: real accounts (useradd, as a classic Samba domain makes `name$` for a
machine), hives changed with hivexregedit, files given to other accounts with os.chown (as root)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

NOBODY, DAEMON, BIN = 65534, 1, 2  # accounts every Debian system has: "other users" of the share


def need_root_and_hivex() -> None:
    if os.geteuid() != 0:
        pytest.skip("giving files to other accounts needs root")
    if shutil.which("hivexregedit") is None or shutil.which("useradd") is None:
        pytest.skip("hivexregedit (libwin-hivex-perl) and useradd are needed")


@contextlib.contextmanager
def machine_account(machine: str) -> Iterator[int]:
    """The Unix account `machine$` a classic Samba domain controller's `add machine script` makes; its uid."""
    name = f"{machine.lower()}$"
    subprocess.run(["useradd", "-M", "-N", "-s", "/usr/sbin/nologin", "-d", "/nonexistent", name], check=True,
                   capture_output=True)
    try:
        yield pwd.getpwnam(name).pw_uid
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)


def merge(hive: Path, prefix: str, body: str, work: Path) -> None:
    """Change HIVE (SOFTWARE or SYSTEM) with hivexregedit --merge, keys relative to the hive's root."""
    reg = work / f"{hive.parent.name}-{hive.name}.reg"
    reg.write_text("Windows Registry Editor Version 5.00\n\n" + body)
    subprocess.run(["hivexregedit", "--merge", str(hive), "--prefix", prefix, str(reg)], check=True,
                   capture_output=True)


def name_machine(folder: Path, name: str, work: Path) -> None:
    """Make FOLDER's SYSTEM hive say it is computer NAME (a forger copies another machine's hives)."""
    merge(folder / "SYSTEM", "HKEY_LOCAL_MACHINE\\SYSTEM",
          f'[\\ControlSet001\\Control\\ComputerName\\ComputerName]\n"ComputerName"="{name}"\n', work)


def add_hotfix_key(hive: Path, key: str, work: Path) -> None:
    """A Hotfix key with Installed=1 in a SOFTWARE hive: what a package writes, or a forger."""
    merge(hive, "HKEY_LOCAL_MACHINE\\SOFTWARE",
          f'[\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\{key}]\n"Installed"=dword:00000001\n', work)


def give(path: Path, uid: int) -> None:
    """PATH (and everything below it) owned by UID, as that account's client would have written it."""
    for p in [path, *(path.rglob("*") if path.is_dir() else [])]:
        os.lchown(p, uid, -1)


def forge_machines(share, tmp_path: Path, names: list[str]) -> None:
    """Folders a user made for machines that are not there: XPSP1's hives, renamed, made to look patched."""
    source = tmp_path / "forged"
    shutil.copytree(share.folder("inventory") / "XPSP1", source)
    add_hotfix_key(source / "SOFTWARE", "KB824146", tmp_path)
    system = (source / "SYSTEM").read_bytes()
    for name in names:
        assert len(name) == len("XPSP1")  # the name cell is rewritten in place
        folder = share.folder("inventory") / name
        shutil.copytree(source, folder)
        (folder / "SYSTEM").write_bytes(system.replace("XPSP1".encode("utf-16-le"), name.encode("utf-16-le")))
