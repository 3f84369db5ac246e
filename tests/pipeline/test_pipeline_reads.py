"""Reads during a run (issue 21): `report`, `plan`, `packages`, `results` and dry runs while another run
holds the share.

While a month ran, `report`, `packages` and `scripts generate --dry-run` said "no full scan recorded;
run `hfstage scan` first" (exit 2) and `plan` printed an empty plan: true of the committed history, false
of the share a minute later. Now they wait for the other run as long as --wait allows (given before or
after the command word) and read what it left, or read the state committed before it; they say which,
and "nothing recorded" while another run may be recording it is a busy share (exit 4), not advice.
The other run is a real process holding the share's lock (the kernel's advisory lock).
"""

from __future__ import annotations

import multiprocessing
import shutil

import pytest

from hfstage.share import Share
from tests.conftest import DATA, EXAMPLES

READS = (("report", "{}"), ("plan", "{}", "--format", "text"), ("packages", "{}"),
         ("scripts", "generate", "{}", "--dry-run"))


@pytest.fixture
def site(trusted_share, run):
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", trusted_share.folder("incoming") / "m.cab")
    for name in ("NT4WKS", "XPSP1"):
        shutil.copytree(DATA / "inventory" / name, trusted_share.folder("inventory") / name)
    shutil.copytree(EXAMPLES / "hotfixes", trusted_share.folder("hotfixes"), dirs_exist_ok=True)
    trusted_share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    assert run("catalog", "import", trusted_share.root)[0] == 0
    return trusted_share


def _hold(root, ready, release, seconds):
    with Share(root).lock():
        ready.set()
        release.wait(seconds)


def _holder(share: Share, seconds: float = 60):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    process = ctx.Process(target=_hold, args=(share.root, ready, release, seconds))
    process.start()
    assert ready.wait(60)
    return process, release


def test_nothing_recorded_while_another_run_holds_the_share_is_busy_not_advice(site, run):
    process, release = _holder(site)
    try:
        for command in READS:
            code, out, err = run(*(str(site.root) if w == "{}" else w for w in command), "--wait", "0")
            assert code == 4, (command, code, err)
            assert "this is the state committed before it began" in err
            assert "another hfstage run (pid" in err and "holds the share and may be recording it now" in err
            assert "no full scan recorded" in err and out == ""
    finally:
        release.set()
        process.join(60)


def test_a_read_waits_for_the_run_and_reads_what_it_left(site, run):
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    process, release = _holder(site, seconds=1.0)  # the other run ends after a second
    try:
        code, out, err = run("--wait", "30", "plan", site.root, "--format", "text")
        assert code == 0 and "waited" in err and "this is what it left" in err, err
        assert "MS03-039" in out  # the plan of the scan the other run left
    finally:
        release.set()
        process.join(60)


def test_wait_after_the_command_word_and_the_committed_state(site, run):
    assert run("scan", site.root, "--fail-on", "none")[0] == 0
    process, release = _holder(site)
    try:
        code, out, err = run("report", site.root, "--wait", "0")  # --wait after the command, as admins type it
        assert code == 0 and "Latest full scan" in out
        assert "another hfstage run holds the share (pid" in err and "the state committed before it began" in err
        code, _, err = run("scripts", "generate", site.root, "--wait", "0")  # a writer: busy, one line
        assert code == 4 and "another hfstage run holds the share" in err
    finally:
        release.set()
        process.join(60)
