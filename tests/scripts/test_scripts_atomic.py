"""Killing `hfstage scripts generate` mid-write never leaves half a script.

The kill points are test hooks (HFSTAGE_TEST_KILL_AT=write:N kills the run before the rename of its
Nth file), so the verdict never depends on how busy the machine is."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import DATA, accept_machines

MACHINES = 40
SOURCE = DATA / "scan-inventory" / "SCAN-W2K"


def _snapshot(share) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in share.folder("scripts").glob("*.bat")}


def _config(share, attempts: int) -> None:
    share.site_ini.write_text(f"[share]\nunc = \\\\DC1\\hfstage\n[scripts]\nmax_attempts = {attempts}\n")


@pytest.fixture
def big_share(share, run, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    for i in range(MACHINES):
        name = f"W2K{i:05d}"  # as long as SCAN-W2K: the hive's name cell is rewritten in place
        target = share.folder("inventory") / name
        shutil.copytree(SOURCE, target)
        system = (SOURCE / "SYSTEM").read_bytes()
        (target / "SYSTEM").write_bytes(system.replace("SCAN-W2K".encode("utf-16-le"), name.encode("utf-16-le")))
    accept_machines(share)
    for package in ("Q299796_W2k_SP3_x86_en.exe", "Q285156_W2K_SP3_x86_en.EXE", "q301625_w2k_sp3_x86_en.exe"):
        shutil.copyfile(DATA / "packages" / "hotfix.exe", share.folder("hotfixes") / package)
    shutil.copyfile(DATA / "packages" / "qchain-2003.exe", share.folder("hotfixes") / "qchain.exe")
    _config(share, 2)
    assert run("scan", share.root, "--format", "json", "--fail-on", "none")[0] == 0
    return share


def test_killed_at_every_other_write_leaves_old_or_new_scripts(big_share, run, tmp_path):
    """A fresh copy of a share whose scripts were made with max_attempts = 3, regenerated with 2 and killed
    before the 1st, 4th, 7th ... rename, until a run completes: every script is old or new, never half."""
    from hfstage.share import Share

    versions = {}
    for attempts in (2, 3):
        _config(big_share, attempts)
        assert run("scripts", "generate", big_share.root)[0] == 0
        versions[attempts] = _snapshot(big_share)
    assert versions[2].keys() == versions[3].keys() and versions[2] != versions[3]
    killed = 0
    for n in range(1, 400, 2):
        copy = Share(tmp_path / f"w{n}")
        shutil.copytree(big_share.root, copy.root, symlinks=True)
        _config(copy, 2)
        cmd = [sys.executable, "-m", "hfstage", "scripts", "generate", str(copy.root)]
        proc = subprocess.run(cmd, capture_output=True, env={**os.environ, "HFSTAGE_TEST_KILL_AT": f"write:{n}"})
        assert proc.returncode in (-9, 0), proc.stderr
        for name, data in _snapshot(copy).items():
            assert data in (versions[2][name], versions[3][name]), f"write {n}: {name} is neither old nor new"
        if proc.returncode == 0:
            assert _snapshot(copy) == versions[2]
            break  # past the last write: the run completed
        killed += 1
        if killed % 5 == 0:  # after a kill, a clean run completes, leaves no temp files, gives the new bytes
            assert run("scripts", "generate", copy.root)[0] == 0
            assert _snapshot(copy) == versions[2] and not list(copy.folder("scripts").glob(".*"))
        shutil.rmtree(copy.root)
    assert killed >= 15, f"only {killed} writes were interrupted"
