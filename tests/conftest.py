"""Shared fixtures: paths resolved from __file__, fresh and trusted shares, CLI runner."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from hfstage.cli import main
from hfstage.pipeline import build_demo_share
from hfstage.share import Share, init_share

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
REPO = TESTS.parent
CABS = DATA / "cabs"
ATTACKS = DATA / "attacks"  # the attack corpus, made by data/make_attacks.py
# fuzzing: enough examples to find a crash; no per-example deadline, which would make the verdict depend on
# how busy the machine is (the limits tests find the inputs that would take long)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
PKI = DATA / "pki"
EXAMPLES = REPO / "tools" / "hfstage" / "data" / "examples"
SHARED = REPO.parent / "shared"
REAL_CATALOG = SHARED / "fixtures" / "mssecure_2001.xml"


@pytest.fixture
def real_catalog_path() -> Path:
    if not REAL_CATALOG.is_file():
        pytest.skip(f"real catalog {REAL_CATALOG} not present (../shared is not beside the project)")
    return REAL_CATALOG


def demo_with_cabinet(root: Path, month: str = "month1", as_name: str | None = None) -> Share:
    """The demo share at ROOT with MONTH's signed cabinet waiting in incoming\\ (as AS_NAME, m1.cab for
    month1): what an admin has after copying the month's catalog onto the share, before the month runs."""
    share = build_demo_share(root)
    name = as_name or f"m{month[-1]}.cab"
    shutil.copyfile(EXAMPLES / "incoming" / month / "mssecure.cab", share.folder("incoming") / name)
    return share


def hfstage_process(*args, timeout: float = 300) -> subprocess.CompletedProcess:
    """hfstage in a process of its own: a hang fails the test instead of blocking it."""
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture
def month1_site(tmp_path) -> Share:
    """The demo share after month 1's month, run as its own process."""
    share = demo_with_cabinet(tmp_path / "share", "month1")
    assert hfstage_process("month", share.root, "--fail-on", "none").returncode == 0
    return share


@pytest.fixture
def month2_site(tmp_path, run) -> Share:
    """The demo share after a month under month 2's catalog, for the tests that give machine folders to
    accounts (root and hivex needed: skipped without them, a failure in CI)."""
    from tests.bindhelp import need_root_and_hivex

    need_root_and_hivex()
    share = demo_with_cabinet(tmp_path / "share", "month2")
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    return share


@pytest.fixture
def share(tmp_path) -> Share:
    """A freshly initialised share with no trust anchors."""
    init_share(tmp_path / "share")
    return Share(tmp_path / "share")


@pytest.fixture
def trusted_share(share) -> Share:
    """A share that trusts the test root CA."""
    shutil.copyfile(PKI / "root.pem", share.folder("trust") / "test-root.pem")
    return share


@pytest.fixture
def run(capsys):
    """Run the CLI in-process: returns (exit code, stdout, stderr)."""

    def _run(*args: str | Path) -> tuple[int, str, str]:
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def pytest_configure(config):
    """Ctrl-C as a terminal delivers it. A run started in the background by a shell without job control
    (`nohup ... &`, some CI runners) inherits SIGINT *ignored*; Python then never turns SIGINT into
    KeyboardInterrupt, in this process or in any hfstage it starts, and the Ctrl-C tests failed for a reason
    that is not the code's (fresh-check started that way: 4 failures). A handler here is reset to the
    default in every child at exec, so children see SIGINT as an admin's Ctrl-C makes it too."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # Off a terminal, a step that runs longer than HFSTAGE_PROGRESS_SECONDS writes a progress line to stderr: on
    # a loaded machine the demo's inventory did, before the message a test read from stderr's first line. No
    # test's verdict may depend on how fast the machine is: no timed lines (a test of them sets 0 itself).
    os.environ["HFSTAGE_PROGRESS_SECONDS"] = "1e9"


def pytest_collection_modifyitems(items):
    """A test in which wine could not start a Windows program that is there (tests/winehelp.py,
    WineCouldNotStart: the host's fault, seen once in ~7,000 starts on a loaded CI host) runs once more from
    the start, with new fixtures (pytest-rerunfailures). Only that: every other failure stands, and a second
    one fails the test."""
    from tests.winehelp import WineCouldNotStart

    for item in items:
        item.add_marker(pytest.mark.flaky(reruns=1, only_rerun=[WineCouldNotStart]))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing test shows every batch file it ran in wine: exit code, calls, results lines, output. In CI
    (CI set, as .ci/run and fresh-check set it) a skip is a failure: CI installs every tool and has ../shared
    beside the project, so a skipped test there is a test that silently stopped guarding anything."""
    from tests import winehelp  # not at the top: winehelp imports this module

    report = (yield).get_result()
    if report.failed and winehelp.runs_story():
        report.sections.append(("batch files run in wine", winehelp.runs_story()))
    if report.skipped and os.environ.get("CI") and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome, report.longrepr = "failed", f"skipped in CI, where nothing may be skipped: {reason}"
    if report.when == "teardown":
        winehelp.forget_runs()


def one_line(error: Exception) -> None:
    """The project's errors are one line that says something."""
    assert "\n" not in str(error) and str(error)


@st.composite
def mutations(draw, base: bytes, start: int = 0) -> bytes:
    """BASE with a few bytes replaced, inserted or removed at one place after START, or cut short."""
    pos = draw(st.integers(start, len(base) - 1))
    junk = draw(st.binary(min_size=0, max_size=16))
    removed = draw(st.integers(0, 16))
    if draw(st.integers(0, 9)) == 0:
        return base[:pos] + junk
    return base[:pos] + junk + base[pos + removed:]


def accept_machines(share: Share) -> None:
    """What an admin does for the machines a test put on its share (`hfstage machines accept`): a folder the
    server has not seen before is pending, shown but not counted or scripted (DESIGN §8)."""
    from hfstage.inventory import ACCEPTED, Lifecycle, machine_folders

    lifecycle = Lifecycle.load(share)
    for folder in machine_folders(share)[0]:
        lifecycle.set(folder.name, ACCEPTED, "accepted by the test's administrator", Lifecycle.now())
    lifecycle.save(share)
