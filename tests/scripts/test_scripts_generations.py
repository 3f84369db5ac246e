"""One set at a time (issue 21): a client sees last month's scripts or this month's, never a mix.

cmd.exe and command.com re-open a running batch file by its path for every line they read, so a script
replaced under a running client (even by an atomic rename) goes on in the new file at the old offset.
Before this, `scripts generate` replaced each machine's script in place, one by one: Ctrl-C on a
2,000-machine share left some scripts pointing at the old share and some at the new one, and a month
whose reports\\ could not be written said "the share is as it was" with client scripts already replaced.
Now every client-visible file is written into a new generation folder (scripts\\G000002) and one
fixed-width pointer (scripts\\current.bat) is switched last; the entry points in netlogon\\ call the
pointer, then only that generation's files. Checked here: the release and the pruning of old generations;
`scripts generate` killed before every rename it makes leaves the old set or the new one, whole; Ctrl-C
on a 2,000-machine share; a month whose reports\\ is read-only; DOSBox's command.com following the pointer.
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hfstage.pipeline import build_demo_share
from hfstage.share import Release, Share, current_generation, generations, published_files
from hfstage.share.generations import pointer_line, prune
from tests.conftest import EXAMPLES, REAL_CATALOG, REPO
from tests.doshelp import DOSBOX, needs_dosbox
from tests.published import published_set

OLD_UNC, NEW_UNC = "\\\\DEMO-DC\\hfstage", "\\\\DC2\\hfstage"


def _hfstage(*args, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args)], capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def _moved(share: Share) -> None:
    """The share moves to a new server: every client-visible file changes."""
    share.site_ini.write_text(share.site_ini.read_text().replace(OLD_UNC, NEW_UNC))


@pytest.fixture(scope="module")
def month_done(tmp_path_factory) -> Share:
    """The demo share after its first month: one generation published."""
    share = build_demo_share(tmp_path_factory.mktemp("gen") / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "month1.cab")
    done = _hfstage("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    return share


def _copy(share: Share, to: Path) -> Share:
    shutil.copytree(share.root, to, symlinks=True)
    return Share(to)


def test_a_release_is_written_whole_and_the_pointer_switched_last(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    first = Release.start(scripts)
    first.put({"PC1.bat": b"one\r\n", "PC2.bat": b"two\r\n"})
    assert first.publish() == "G000001"
    second = Release.start(scripts)
    second.put({"PC1.bat": b"ONE\r\n"})
    second.drop(["PC2.bat"])
    assert second.publish() == "G000002"
    assert (scripts / "current.bat").read_bytes() == b"set HFG=G000002\r\n"
    assert {n: p.read_bytes() for n, p in published_files(scripts).items()} == {"PC1.bat": b"ONE\r\n"}
    assert (scripts / "G000001" / "PC2.bat").read_bytes() == b"two\r\n"  # a client running the old set keeps it
    unchanged = Release.start(scripts)
    unchanged.put({"PC1.bat": b"ONE\r\n"})
    assert unchanged.publish() is None and generations(scripts) == ["G000001", "G000002"]
    # a client that read the pointer before a switch is at its end in the new one too
    assert len(pointer_line("G000001")) == len(pointer_line("G999999"))


def test_old_generations_go_after_the_grace_period_and_unpublished_ones_at_once(tmp_path):
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for n in range(4):
        release = Release.start(scripts)
        release.put({"PC1.bat": f"{n}\r\n".encode()})
        release.publish()
    assert generations(scripts) == ["G000001", "G000002", "G000003", "G000004"]  # all within the week
    assert prune(scripts, keep_days=7, now=time.time() + 8 * 86400) == ["G000001", "G000002"]
    assert generations(scripts) == ["G000003", "G000004"]  # the one before the current stays, whatever its age
    (scripts / "G000005").mkdir()  # written whole by a run killed before the switch
    (scripts / "G000005" / "PC1.bat").write_bytes(b"never seen\r\n")
    assert Release.start(scripts).name == "G000005" and generations(scripts) == ["G000003", "G000004"]


def test_scripts_generate_killed_before_every_rename_leaves_one_whole_set(month_done, tmp_path):
    prepared = _copy(month_done, tmp_path / "prepared")
    _moved(prepared)
    old = published_set(prepared)
    reference = _copy(prepared, tmp_path / "reference")
    assert _hfstage("scripts", "generate", reference.root).returncode == 0
    new = published_set(reference)
    assert old.keys() == new.keys() and sum(old[n] != new[n] for n in old) >= 10
    for n in range(1, 200):
        copy = _copy(prepared, tmp_path / f"w{n}")
        proc = _hfstage("scripts", "generate", copy.root, env={"HFSTAGE_TEST_KILL_AT": f"write:{n}"})
        assert proc.returncode in (-9, 0), proc.stderr
        assert published_set(copy) in (old, new), f"write {n}: the published set mixes old and new files"
        if proc.returncode == 0:
            break  # past the last write
        if n % 4 == 0:  # a clean run afterwards publishes the whole new set and leaves nothing half
            assert _hfstage("scripts", "generate", copy.root).returncode == 0
            assert published_set(copy) == new
            assert not list(copy.folder("scripts").glob(".*")) and generations(copy.folder("scripts"))[-1] == \
                current_generation(copy.folder("scripts"))
        shutil.rmtree(copy.root)
    assert n > 10, f"only {n} writes: the generation was not written file by file"


def test_a_month_whose_reports_cannot_be_written_leaves_last_months_set(month_done, tmp_path, run, monkeypatch):
    share = _copy(month_done, tmp_path / "ro")
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "month2.cab")
    before = published_set(share)
    import hfstage.share.files as files

    real = files.tempfile.mkstemp

    def read_only(*args, **kwargs):  # reports\ on a read-only file system
        if Path(kwargs.get("dir", "")) == share.folder("reports"):
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, **kwargs)

    monkeypatch.setattr(files.tempfile, "mkstemp", read_only)
    code, _, err = run("month", share.root, "--as-of", "2003-09-15", "--fail-on", "none")
    assert code == 6, err
    assert "step 6/7 (scripts)" in err and "no script was changed: clients still run scripts\\G000001" in err
    assert published_set(share) == before and generations(share.folder("scripts")) == ["G000001"]
    monkeypatch.setattr(files.tempfile, "mkstemp", real)
    code, out, err = run("month", share.root, "--as-of", "2003-09-15", "--fail-on", "none")
    assert code == 0, err
    assert "published as scripts\\G000002" in out and published_set(share) != before


def test_ctrl_c_on_a_2000_machine_share_leaves_the_old_set_whole(tmp_path):
    import importlib.util

    from hfstage.catalog import import_catalog
    from hfstage.pipeline import Site, month, month_plan
    from tests.pipeline.test_plan_contract import script_pairs

    spec = importlib.util.spec_from_file_location("bench_site", REPO / "bench" / "site.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)  # the share builder of bench/site.py (hives by hivex)
    build_site, place_packages = bench.build_site, bench.place_packages
    share = build_site(tmp_path / "big", 2000)
    catalog = import_catalog(share, xml=REAL_CATALOG, allow_unsigned=True).catalog
    place_packages(share, catalog)
    month(Site(share), say=lambda line: None)
    old = published_set(share)
    assert len(old) > 2000
    share.site_ini.write_text(share.site_ini.read_text().replace("\\\\DC1\\hfstage", NEW_UNC))
    # Ctrl-C while the new set is being written: a real SIGINT, sent by the run itself at its 50th write
    proc = subprocess.run([sys.executable, "-m", "hfstage", "scripts", "generate", str(share.root)],
                          capture_output=True, text=True, env={**os.environ, "HFSTAGE_TEST_INTERRUPT_AT": "write:50"})
    err = proc.stderr
    assert proc.returncode == 130, err
    assert "Interrupted: no script was changed: clients still run scripts\\G000001" in err
    assert published_set(share) == old
    done = _hfstage("scripts", "generate", share.root)
    assert done.returncode == 0, done.stderr
    assert not any(b"\\\\DC1\\hfstage" in d for n, d in published_set(share).items() if n.startswith("PC"))
    pairs = script_pairs(share)  # and the plan lists exactly what the 2,000 scripts install
    assert len(pairs) > 1000 and month_plan(Site(share)).pairs() == pairs


@needs_dosbox
def test_command_com_follows_the_pointer_to_one_generation(month_done, tmp_path):
    """logon.bat as a 9x client runs it (DOSBox: D: is the share): the machine script comes from the
    generation current.bat names, while the one before is still there. (DOSBox knows 8.3 names only, so
    it cannot call collect_9x.bat, a long name Windows 9x reads from a share: the collector's call is
    checked under wine, tests/test_deployment.py.)"""
    from tests.doshelp import client_disk, dosbox, for_dos

    share = _copy(month_done, tmp_path / "dos")
    scripts = share.folder("scripts")
    generation = current_generation(scripts)
    release = Release.start(scripts)  # a second set whose W98 script says which set it is
    release.put({"W98.bat": b"@echo off\r\necho %HFG%>>C:\\RAN.TXT\r\n"})
    assert release.publish() == "G000002" and generation == "G000001"
    for path in [share.folder("netlogon") / "logon.bat", scripts / "current.bat", *(scripts / "G000002").iterdir()]:
        path.write_bytes(for_dos(path.read_bytes().replace(OLD_UNC.encode(), b"\\\\DC1\\hfstage")))
    client = client_disk(tmp_path / "c")
    dosbox(client, share.root, "D:\\NETLOGON\\LOGON.BAT", {"HFM": "W98", "PATH": "C:\\STUBS"})
    assert (client / "RAN.TXT").read_text().split() == ["G000002"], DOSBOX


def test_share_check_reads_the_generations_and_finds_nothing_wrong(month_done, tmp_path, run):
    share = _copy(month_done, tmp_path / "check")
    _moved(share)
    assert run("scripts", "generate", share.root)[0] == 0  # a second set: unchanged files carried as links
    code, out, _ = run("share", "check", share.root)
    assert "scripts" not in out, out
    (share.folder("scripts") / current_generation(share.folder("scripts")) / "EVIL.bat").symlink_to("/etc/passwd")
    code, out, _ = run("share", "check", share.root)
    assert code == 1 and "EVIL.bat: it is a symbolic link" in out
