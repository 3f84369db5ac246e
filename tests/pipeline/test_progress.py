"""Progress where nobody watches a terminal (issue 25.3): a scheduled `hfstage month` writes to a log, and a
step that takes minutes on 5,000 machines must show it is working and how far it got.

Off a terminal a step writes one line every few seconds (a fake clock drives it here: no test waits or
times anything); on a terminal it is tqdm's bar. HFSTAGE_PROGRESS_SECONDS=0 makes a line per item, which
shows, on the demo, that every long step of the month reports: inventory, scan, scripts and reports.
"""

from __future__ import annotations

import io
import shutil

from hfstage.pipeline import build_demo_share
from hfstage.progress import Progress
from tests.conftest import EXAMPLES


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_off_a_terminal_a_line_every_interval_of_the_clock_and_none_for_a_quick_step():
    clock, log = Clock(), io.StringIO()
    with Progress("inventory", 5000, "machine", stream=log, tty=False, every=5.0, clock=clock) as bar:
        for _ in range(1200):
            bar.update()
        assert log.getvalue() == ""  # the clock has not moved: a quick step writes nothing
        clock.now += 5.0
        bar.update()
        clock.now += 4.9
        bar.update(99)
        clock.now += 0.2
        bar.update(3700)
    assert log.getvalue().splitlines() == ["inventory: 1,201/5,000 machines (24%)",
                                           "inventory: 5,000/5,000 machines (100%)"]


def test_on_a_terminal_it_is_a_bar_and_writes_no_lines():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen, clock = Tty(), Clock()
    with Progress("scan", 10, "machine", stream=screen, every=0.0, clock=clock) as bar:
        assert bar.bar is not None
        for _ in range(10):
            clock.now += 10
            bar.update()
    assert "scan: " in screen.getvalue() and "machines (" not in screen.getvalue()  # tqdm's bar, not our lines


def test_every_long_step_of_the_month_reports_its_progress_in_a_log(tmp_path, run, monkeypatch):
    monkeypatch.setenv("HFSTAGE_PROGRESS_SECONDS", "0")
    share = build_demo_share(tmp_path / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m.cab")
    code, out, err = run("month", share.root, "--fail-on", "none")
    assert code == 0
    for step, unit, total in (("inventory", "machines", 12), ("scan", "machines", 12), ("scripts", "machines", 12),
                              ("reports", "machines", 12)):
        assert f"{step}: 1/{total} {unit} (8%)" in err.splitlines(), step
        assert f"{step}: {total}/{total} {unit} (100%)" in err.splitlines(), step
    assert "inventory: 1/12" not in out  # progress goes to stderr: stdout stays the month's summary
