"""Killing `hfstage scripts generate` at random points never leaves half a script."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import DATA

MACHINES = 40
RUNS = 50


def _snapshot(share) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in share.folder("scripts").glob("*.bat")}


def _config(share, attempts: int) -> None:
    share.site_ini.write_text(f"[share]\nunc = \\\\DC1\\hfstage\n[scripts]\nmax_attempts = {attempts}\n")


@pytest.fixture
def big_share(share, run, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    for i in range(MACHINES):
        target = share.folder("inventory") / f"W2K{i:03d}"
        shutil.copytree(DATA / "scan-inventory" / "SCAN-W2K", target)
    for package in ("Q299796_W2k_SP3_x86_en.exe", "Q285156_W2K_SP3_x86_en.EXE", "q301625_w2k_sp3_x86_en.exe"):
        shutil.copyfile(DATA / "packages" / "hotfix.exe", share.folder("hotfixes") / package)
    shutil.copyfile(DATA / "packages" / "plain.exe", share.folder("hotfixes") / "qchain.exe")
    _config(share, 2)
    assert run("scan", share.root, "--format", "json", "--fail-on", "none")[0] == 0
    return share


def test_kill_loop_leaves_old_or_new_scripts(big_share, run):
    versions = {}
    for attempts in (2, 3):
        _config(big_share, attempts)
        assert run("scripts", "generate", big_share.root)[0] == 0
        versions[attempts] = _snapshot(big_share)
    assert versions[2].keys() == versions[3].keys() and versions[2] != versions[3]
    cmd = [sys.executable, "-m", "hfstage", "scripts", "generate", str(big_share.root)]
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    duration = time.perf_counter() - start
    rng = random.Random(5)
    killed = 0
    for i in range(RUNS):
        _config(big_share, 2 if i % 2 == 0 else 3)
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0, duration))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait()
        for name, data in _snapshot(big_share).items():
            assert data in (versions[2][name], versions[3][name]), f"run {i}: {name} is neither old nor new"
    assert killed >= RUNS // 4, f"only {killed} of {RUNS} runs were killed mid-way"
    # after the kills, a clean run completes, leaves no temp files, and gives the expected bytes
    _config(big_share, 3)
    assert run("scripts", "generate", big_share.root)[0] == 0
    assert _snapshot(big_share) == versions[3]
    assert not list(big_share.folder("scripts").glob(".*"))
