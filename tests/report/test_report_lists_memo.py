"""The report's machine lists are made again only when a machine's line changed (issue 20's memo, issue 25's
lists).

At 5,000 machines the index links to 31 list pages of 500 rows, machines.js and machines.csv. A month in
which nothing changed rendered them all again only for write_if_changed to find the bytes the same: about a
second of the no-change month at 5,000 machines (bench/report_index.py). The report memo now holds the
lists' key (every machine's line and the attention list): a month with nothing new does not render them; a
machine that goes stale, or a list page someone deleted, makes them again.
"""

from __future__ import annotations

import hfstage.report.site as site_module
from tests.reportsite import cli, site_with_problems, stale


def test_lists_are_rendered_only_when_a_line_changed(tmp_path, monkeypatch):
    share, _ = site_with_problems(tmp_path / "demo")
    reports = share.folder("reports")
    calls = []
    real = site_module.list_pages
    monkeypatch.setattr(site_module, "list_pages", lambda *a, **k: calls.append(1) or real(*a, **k))

    code, _, err = cli("month", share.root, "--fail-on", "none")  # nothing changed
    assert code == 0, err
    assert calls == []
    assert "W95" in (reports / "lists" / "all-1.html").read_text() and (reports / "machines.js").is_file()

    stale(share, "W95")  # its line changes: stale
    assert len(calls) == 1
    assert "W95" in (reports / "lists" / "needs-stale-1.html").read_text()

    (reports / "lists" / "needs-stale-1.html").unlink()
    code, _, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    assert len(calls) == 2 and (reports / "lists" / "needs-stale-1.html").is_file()
