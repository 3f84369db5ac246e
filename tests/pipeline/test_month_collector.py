"""The month's garbage-collector policy is the whole process's, so the month hands it back (issue 20 section 6).

While `month` runs, what outlives each step is frozen and young collections are rarer (pipeline/collector.py):
the catalog and thousands of assessments are then not walked again by every collection. But the collector
belongs to the process: whoever runs months in one process (the benchmarks, the tests, a caller of the library)
must find its thresholds and frozen objects as it left them, after a month that finished, one that a step
stopped, and one that Ctrl-C stopped mid-way; and objects someone else froze stay frozen.
"""

from __future__ import annotations

import gc

import pytest

from hfstage.pipeline import Site, StepFailed, month
from hfstage.pipeline.collector import MONTH_THRESHOLDS
from hfstage.share import Share, init_share
from tests.conftest import demo_with_cabinet

OURS = (1234, 7, 9)  # the process's own thresholds, unlike the interpreter's defaults and the month's


@pytest.fixture
def collector():
    """The process's collector set to OURS, nothing frozen; as it was after the test."""
    saved, callbacks = gc.get_threshold(), list(gc.callbacks)
    assert gc.get_freeze_count() == 0
    gc.set_threshold(*OURS)
    yield
    gc.unfreeze()
    gc.set_threshold(*saved)
    gc.callbacks[:] = callbacks


def _as_left(callbacks: list) -> None:
    assert gc.get_threshold() == OURS
    assert gc.get_freeze_count() == 0
    assert gc.callbacks == callbacks  # the month's meter is detached


def test_a_month_uses_its_policy_and_leaves_the_collector_as_it_found_it(tmp_path, collector):
    site = Site(demo_with_cabinet(tmp_path / "share"))
    seen = []  # the collector as each step's line is said, inside the month
    callbacks = list(gc.callbacks)
    result = month(site, say=lambda line: seen.append((line, gc.get_threshold(), gc.get_freeze_count())))
    steps = [s for s in seen if s[0].startswith("[")]
    assert len(steps) == 7 and all(threshold == MONTH_THRESHOLDS for _, threshold, _ in steps)
    assert all(frozen > 0 for _, _, frozen in steps)  # what outlived the step is frozen
    assert all(s["gc"] >= 0 for s in result.steps) and len(result.steps) == 7
    _as_left(callbacks)


def test_ctrl_c_in_the_middle_of_a_month_leaves_the_collector_as_it_found_it(tmp_path, collector, monkeypatch):
    site = Site(demo_with_cabinet(tmp_path / "share"))
    callbacks = list(gc.callbacks)
    frozen = []
    monkeypatch.setenv("HFSTAGE_TEST_INTERRUPT_AT", "step:4")  # the run sends itself SIGINT as the scan begins
    with pytest.raises(KeyboardInterrupt, match="step 4/7"):
        month(site, say=lambda line: frozen.append(gc.get_freeze_count()))
    assert len(frozen) == 3 and frozen[-1] > 0  # steps 1-3 froze what outlived them
    _as_left(callbacks)


def test_a_failed_step_leaves_the_collector_as_it_found_it(tmp_path, collector):
    init_share(tmp_path / "share")  # no catalog anywhere: the import step fails
    (tmp_path / "share" / "site.ini").write_text("[share]\nunc = \\\\DC1\\hfstage\n", encoding="utf-8")
    callbacks = list(gc.callbacks)
    with pytest.raises(StepFailed, match="step 1/7"):
        month(Site(Share(tmp_path / "share")), say=lambda line: None)
    _as_left(callbacks)


def test_objects_someone_else_froze_stay_frozen(tmp_path, collector):
    site = Site(demo_with_cabinet(tmp_path / "share"))
    gc.freeze()  # the caller's choice: the month leaves it alone
    theirs = gc.get_freeze_count()
    during = []
    month(site, say=lambda line: during.append(gc.get_freeze_count()))
    assert during and max(during) <= theirs  # the month froze nothing of its own on top of theirs
    assert gc.get_freeze_count() > theirs // 2  # still frozen (some of theirs died meanwhile: freed as usual)
    assert gc.get_threshold() == OURS
