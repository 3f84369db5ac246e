"""The month parses the catalog before the current one once, for its diff and its plan (issue 20 section 6).

Once a share has had two catalogs, every month compares the current catalog with the one before it twice: the
diff step (what is new, revised, removed) and the plan step (the new and revised patches judged against the
scan). Each parsed the earlier catalog's XML again, every month, new catalog or not. The site now parses it
once per run (Site.previous, forgotten with the current catalog when an import makes another one current), and
the diff line and the plan say what they said.
"""

from __future__ import annotations

import shutil

from hfstage.catalog import StoredCatalog
from hfstage.pipeline import Site, month, month_plan
from tests.conftest import EXAMPLES, demo_with_cabinet


def test_the_catalog_before_is_parsed_once_a_month_and_the_diff_and_plan_are_unchanged(tmp_path, monkeypatch):
    share = demo_with_cabinet(tmp_path / "share", "month1")
    month(Site(share), say=lambda line: None)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m2.cab")
    said: list[str] = []
    month(Site(share), say=said.append)  # the month of the new catalog (its import diffs it for itself too)
    diff = next(line for line in said if "catalog diff:" in line)
    assert "2.0.0.1 -> 2.0.0.2:" in diff
    plan = month_plan(Site(share))  # the plan as `hfstage plan` makes it, from the share alone
    assert plan.previous_version == "2.0.0.1" and plan.items

    loaded: list[str] = []
    original = StoredCatalog.load
    monkeypatch.setattr(StoredCatalog, "load", lambda self: loaded.append(self.data_version) or original(self))
    said.clear()
    month(Site(share), say=said.append)  # next month: nothing new in incoming, the same two catalogs compared
    assert loaded.count("2.0.0.1") == 1 and loaded.count("2.0.0.2") == 1, loaded
    assert next(line for line in said if "catalog diff:" in line).split("(")[0] == diff.split("(")[0]
    monkeypatch.undo()
    again = month_plan(Site(share))
    assert (again.previous_version, again.pairs(), [i.patch for i in again.items]) == \
        (plan.previous_version, plan.pairs(), [i.patch for i in plan.items])
