"""One table of exit codes for every command (README "Exit codes"), and one line per error.

0 clean, 1 findings at or above --fail-on, 2 usage (command line, site.ini), 3 bad input,
4 share busy, 5 signature, 6 environment (disk full, read-only, permission), 7 damaged state,
70 internal error.
"""

from __future__ import annotations

import errno
import multiprocessing
import shutil

import pytest

from hfstage.share import Share
from tests.conftest import CABS, DATA, EXAMPLES, accept_machines


@pytest.fixture
def scanned(trusted_share, run):
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", trusted_share.folder("incoming") / "m.cab")
    assert run("catalog", "import", trusted_share.root)[0] == 0
    for name in ("NT4WKS", "BADTRUNC"):
        shutil.copytree(DATA / "inventory" / name, trusted_share.folder("inventory") / name)
    accept_machines(trusted_share)
    shutil.copytree(EXAMPLES / "hotfixes", trusted_share.folder("hotfixes"), dirs_exist_ok=True)
    trusted_share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    return trusted_share


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert "\\\\\\\\" not in lines[0] and "PosixPath(" not in lines[0], err  # no Python reprs
    return lines[0]


def test_0_and_1_findings_follow_the_threshold(scanned, run):
    assert run("scan", scanned.root)[0] == 1  # NT4WKS misses MS03-039; BADTRUNC is unreadable
    assert run("scan", scanned.root, "--fail-on", "none")[0] == 0
    assert run("inventory", scanned.root)[0] == 1  # an unreadable machine is a finding
    shutil.rmtree(scanned.folder("inventory") / "BADTRUNC")
    assert run("inventory", scanned.root)[0] == 0
    assert run("scan", scanned.root, "--fail-on", "low")[0] == 1
    assert run("month", scanned.root)[0] == 1
    assert run("month", scanned.root, "--fail-on", "none")[0] == 0


def test_2_usage_and_site_ini_with_file_line_and_near_misses(scanned, run):
    ini = scanned.site_ini
    cases = [
        ("[share]\nunc = \\\\DC1\\hfstage\n[supress]\nMS01-001 = x\n", ":3: unknown section [supress]; did you mean "
                                                                       "[suppress]?"),
        ("[share]\nunc = \\\\DC1\\hfstage\n[scripts]\nmax_attempt = 3\n", ":4: [scripts] has no key 'max_attempt'; "
                                                                          "did you mean 'max_attempts'?"),
        ("[share]\nunc = \\\\DC1\\hfstage\nthis line is junk\n", ":3: cannot read 'this line is junk': expected "
                                                                 "[section] or key = value"),
        ("[scripts]\nmax_attempts = 12\n", ":2: [scripts]: max_attempts = 12: use 1 to 9"),
        ("[share]\nunc = \\\\DC1\\hfstage\n[share]\nunc = x\n",
         ":3: section [share] appears again (first on line 1); merge the two"),
    ]
    for text, message in cases:
        ini.write_text(text)
        code, _, err = run("month", scanned.root)
        assert code == 2, (text, err)
        assert _one_line(err) == f"Error: {ini}{message}"


def test_2_an_unset_share_path_refuses_scripts_and_month(scanned, run):
    scanned.site_ini.write_text("; nothing set\n")
    for command in (("scripts", "collectors"), ("scripts", "generate"), ("month",)):
        code, _, err = run(*command, scanned.root)
        assert code == 2 and "[share] unc is not set" in _one_line(err), command


def test_policy_names_that_match_nothing_are_named_not_ignored(scanned, run):
    scanned.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n[suppress]\nMS03-03 = typo\n"
                                "[baseline]\npatches = MS03-039, MS99-999\n")
    code, out, _ = run("month", scanned.root, "--fail-on", "none")
    assert code == 0
    assert f"WARNING: {scanned.site_ini}:4: [suppress] MS03-03: no bulletin, Q number or patch of that name in " \
           "catalog 2.0.0.2; did you mean MS03-039?" in out
    assert f"{scanned.site_ini}:6: [baseline] MS99-999" in out


def test_3_bad_input(run, tmp_path):
    code, _, err = run("facts", DATA / "inventory" / "BADTRUNC")
    assert code == 3
    bad = tmp_path / "bad.cab"
    bad.write_bytes(b"MSCF" + b"\0" * 20)
    code, _, err = run("cab", "list", bad)
    assert code == 3 and _one_line(err).startswith(f"Error: {bad}: truncated cabinet")


def _hold(root, ready, release):
    with Share(root).lock():
        ready.set()
        release.wait(60)


def test_4_share_busy(scanned, run):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(scanned.root, ready, release))
    holder.start()
    try:
        assert ready.wait(60)
        for command in (("month", scanned.root), ("scan", scanned.root), ("catalog", "use", scanned.root, "2.0.0.2")):
            code, _, err = run("--wait", "0", *command)
            assert code == 4, command
            assert "another hfstage run holds the share lock (pid" in _one_line(err)
    finally:
        release.set()
        holder.join(60)


def test_5_signature(share, run):
    shutil.copyfile(CABS / "signed-rogue.cab", share.folder("incoming") / "x.cab")
    code, _, err = run("catalog", "import", share.root)
    assert code == 5 and "catalog refused" in _one_line(err)


@pytest.mark.parametrize("number, why", [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "the share is read-only"),
                                         (errno.EACCES, "permission denied")])
def test_6_environment_faults_are_one_line_and_nothing_half_written(scanned, run, monkeypatch, number, why):
    run("month", scanned.root, "--fail-on", "none")
    before = {p: p.read_bytes() for p in scanned.folder("scripts").glob("*.bat")}
    scanned.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n[scripts]\nmax_attempts = 3\n")
    import hfstage.share.files as files

    real = files.os.replace

    def failing(src, dst, *args, **kwargs):
        if str(dst).endswith(".bat"):
            raise OSError(number, "simulated")
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(files.os, "replace", failing)
    code, _, err = run("month", scanned.root, "--fail-on", "none")
    assert code == 6, err
    line = _one_line(err)
    assert "step 6/7 (scripts)" in line and f"cannot write: {why}" in line and "no script was changed" in line
    monkeypatch.setattr(files.os, "replace", real)
    assert {p: p.read_bytes() for p in scanned.folder("scripts").glob("*.bat")} == before
    assert not list(scanned.folder("scripts").glob(".*.tmp"))
    assert run("month", scanned.root, "--fail-on", "none")[0] == 0  # the next run recovers


def test_6_scan_output_that_cannot_be_written(scanned, run, monkeypatch):
    import hfstage.share.files as files

    real = files.tempfile.mkstemp

    def refused(**kw):
        if str(kw.get("dir")) == str(scanned.root):
            raise PermissionError(13, "no")
        return real(**kw)

    monkeypatch.setattr(files.tempfile, "mkstemp", refused)
    code, _, err = run("scan", scanned.root, "--output", scanned.root / "out.txt", "--fail-on", "none")
    assert code == 6 and _one_line(err) == f"Error: {scanned.root / 'out.txt'}: cannot write: permission denied"


def test_7_damaged_history_is_named_and_kept(scanned, run):
    run("scan", scanned.root, "--fail-on", "none")
    db = scanned.folder("state") / "history.sqlite"
    for extra in ("-wal", "-shm"):
        (db.parent / (db.name + extra)).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    data[4096:8192] = b"\xa5" * 4096  # a page of garbage
    db.write_bytes(bytes(data))
    code, _, err = run("report", scanned.root)
    assert code == 7
    line = _one_line(err)
    assert f"{db}: the history database is damaged" in line and "move it aside" in line
    assert db.read_bytes() == bytes(data)  # kept as it was


def test_70_a_bug_is_one_line_not_a_traceback(scanned, run, monkeypatch):
    import hfstage.pipeline as pipeline

    monkeypatch.setattr(pipeline, "report", lambda *a, **k: 1 / 0)
    code, _, err = run("report", scanned.root)
    assert code == 70 and "internal error in hfstage: ZeroDivisionError" in _one_line(err)


def test_minus_v_after_the_command(scanned, run):
    code, out, _ = run("scan", scanned.root, "-v", "--fail-on", "none")
    assert code == 0 and "Installed" in out  # -v lists installed patches
