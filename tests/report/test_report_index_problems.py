"""The index's "Needs you" lists the share's file problems, but never thousands of them (issue 25.2).

Names under results\\ that are no machine's, files refused, spool left in place: each was a line of the
index's "Needs you". A site where a logon script went wrong writes one bad name per machine, and 5,000
lines would bury the failed installs above them and push index.html past its 1.5 MB budget. The index now
lists the first 20 and says how many more there are and which command names them all.
"""

from __future__ import annotations

from tests.reportsite import cli, site_with_problems


def test_the_index_lists_twenty_problems_and_counts_the_rest(tmp_path):
    share, _ = site_with_problems(tmp_path / "demo")
    for i in range(25):
        (share.folder("results") / f"NOT A MACHINE {i:02d}.log").write_text("HFRESULT;2003-09-16;08:01;-;-;-;-;x\r\n")
    code, _, err = cli("scan", share.root, "--fail-on", "none")
    assert code == 0, err
    assert err.count("is not a machine name") == 25  # the command names them all
    index = (share.folder("reports") / "index.html").read_text(encoding="utf-8")
    needs = index[index.index('id="needs"'):index.index('id="statuses"')]
    assert needs.count("is not a machine name") == 20
    assert "and 5 more problem(s) with the share's files" in needs and f"hfstage scan {share.root}" in needs
    assert 'data-kind="failed"' in needs  # what needs the admin is still there, first
