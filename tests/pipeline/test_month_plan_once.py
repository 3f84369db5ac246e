"""The month judges the catalog's new and revised patches once (issue 20 section 6).

Its plan step built the plan (loading the previous catalog, tallying every finding of the scan), and its
scripts step built the whole plan again only to add what the newly published scripts install. The plan step's
plan is now handed to the scripts step, which adds the deployment to a copy of it; the plan the reports show
is still exactly what `hfstage plan` makes from the share afterwards.
"""

from __future__ import annotations

import importlib

from hfstage.pipeline import Site, month, month_plan, reporting
from tests.conftest import demo_with_cabinet


def test_a_month_builds_its_plan_once_and_reports_the_published_deployment(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    built, shown = [], []
    original = reporting.build_plan
    monkeypatch.setattr(reporting, "build_plan", lambda *a, **k: built.append(1) or original(*a, **k))
    conductor = importlib.import_module("hfstage.pipeline.month")  # the package's `month` is the function
    report = conductor.write_site_report
    monkeypatch.setattr(conductor, "write_site_report", lambda s, v, p, t: shown.append(p) or report(s, v, p, t))
    month(Site(share), say=lambda line: None)
    assert len(built) == 1
    (plan,) = shown
    monkeypatch.undo()
    after = month_plan(Site(share))
    assert plan.pairs() == after.pairs() and plan.pairs(), "the reports show what the published scripts install"
    assert (plan.held, plan.waiting, [i.patch for i in plan.items]) == (after.held, after.waiting,
                                                                       [i.patch for i in after.items])
