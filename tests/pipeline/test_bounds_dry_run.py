"""The dry run reads what clients wrote with the client-file rules (issue 22, section 2, class 6).

Seen: `month --dry-run` copied results\\ with shutil.copytree: a FIFO there stopped it ("None:
cannot use: [...]") and a sparse 1 GiB results log was copied in full (it filled the disk),
while the real month refuses both by name. The client folders are now linked into the dry
run's copy, never copied, so the copy's month reads them exactly as the real month does. Each
member runs the dry run with a file-size limit (RLIMIT_FSIZE) well below the planted file: a
copy of it would be killed, as a full disk would stop it.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from tests.conftest import demo_with_cabinet

FSIZE = 64 * 1024 * 1024  # no file of the dry run's copy is this large: the history database is ~1 MB


@pytest.fixture
def site(tmp_path):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    assert _month(share).returncode == 0
    return share


def _month(share, *extra) -> subprocess.CompletedProcess:
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE, FSIZE))

    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none", *extra],
                          capture_output=True, text=True, timeout=300, preexec_fn=limit)


def _sparse(path, size):
    with open(path, "wb") as fh:
        fh.truncate(size)


def _plant_fifo(share, tmp_path):
    os.mkfifo(share.folder("results") / "NT4WKS.log")
    return "NT4WKS.log: refused: it is a named pipe (FIFO)"


def _plant_sparse(share, tmp_path):
    _sparse(share.folder("results") / "DC01.log", 1024**3)
    return "DC01.log: refused: 1073741824 bytes is larger than any real"


def _plant_local_results(share, tmp_path):
    _sparse(share.folder("inventory") / "XPSP1" / "local-results.log", 512 * 1024**2)
    return "local-results.log: refused: 536870912 bytes"


def _plant_link(share, tmp_path):
    (tmp_path / "server.log").write_text("HFRESULT;x\n")
    os.symlink(tmp_path / "server.log", share.folder("results") / "W2KSRV.log")
    return "W2KSRV.log: refused: it is a symbolic link"


def _plant_folder_tree(share, tmp_path):
    deep = share.folder("results") / "junk"
    deep.mkdir()
    _sparse(deep / "big.bin", 256 * 1024**2)
    (deep / "inner.log").mkdir()
    return None  # a folder under results\\ is not a log: nothing to say, nothing to copy


@pytest.mark.parametrize("plant", [_plant_fifo, _plant_sparse, _plant_local_results, _plant_link,
                                   _plant_folder_tree])
def test_the_dry_run_refuses_what_the_real_month_refuses_and_copies_none_of_it(site, tmp_path, plant):
    said = plant(site, tmp_path)
    dry = _month(site, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "cannot use" not in dry.stderr
    real = _month(site)
    assert real.returncode == 0, real.stderr
    if said:  # the real month names it (in its summary or in `hfstage results`); the dry run as much
        results = subprocess.run([sys.executable, "-m", "hfstage", "results", str(site.root)], capture_output=True,
                                 text=True, timeout=120)
        assert said in real.stdout + results.stdout
        assert (said in dry.stdout) == (said in real.stdout)
    assert [ln for ln in dry.stdout.splitlines() if "refused" in ln] == \
        [ln for ln in real.stdout.splitlines() if "refused" in ln]
