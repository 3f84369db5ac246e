"""`hfstage approve` redraws what it changes in reports\\ (and `unapprove` too).

The story: with [approval] mode = manual, the month's report listed MS01-033 as waiting for approval on the
pilot ring. The admin approved it for the pilot; reports\\ kept saying "waiting for approval" (the bulletin's
ring table, the index's list of what waits) until the next month, so the admin, or the change board reading
the report, could not see the approval had been given. Now approving draws the report again through the
report step, from the latest full scan (no new scan is recorded: an approval changes no assessment); the
patch reads as approved for the pilot and still waits for ring all. Withdrawing the approval draws it back.
"""

from __future__ import annotations

import re

from hfstage.pipeline import Site
from tests.conftest import demo_with_cabinet

RINGS = "\n[approval]\nmode = manual\n[rings]\npilot = NT4WKS, W2KSRV\n"
PACKAGE = "Q300972_W2K_SP3_x86_en.EXE"


def _rings(share) -> str:
    page = (share.folder("reports") / "bulletins" / "MS01-033.html").read_text()
    return page[page.index('id="approval-rings"'):page.index("</table>", page.index('id="approval-rings"'))]


def _waiting(share) -> set[tuple[str, str, str]]:
    index = (share.folder("reports") / "index.html").read_text()
    table = index[index.index('id="approval-waiting"'):index.index("</table>", index.index('id="approval-waiting"'))]
    return set(re.findall(r"<td>(\w+)</td><td>(?:<a [^>]+>)?([\w-]+)(?:</a>)?</td><td>\S+</td><td>([^<]+)</td>",
                          table))


def test_approve_and_unapprove_redraw_the_report_without_a_new_scan(tmp_path, run):
    share = demo_with_cabinet(tmp_path / "share")
    share.site_ini.write_text(share.site_ini.read_text() + RINGS)
    root = share.root
    assert run("month", root, "--as-of", "2003-08-15", "--fail-on", "none")[0] == 0
    waiting_pilot = f"<td>pilot</td><td>waiting for approval (hfstage approve {root} MS01-033 --ring pilot)</td>"
    assert waiting_pilot in _rings(share)
    assert ("pilot", "MS01-033", PACKAGE) in _waiting(share) and ("all", "MS01-033", PACKAGE) in _waiting(share)
    scans = len(Site.open(root).history.scans(kind=None))

    code, _, err = run("approve", root, "MS01-033", "--ring", "pilot")
    assert code == 0
    assert re.search(r"<td>pilot</td><td>approved by \S+ on [\d-]+ for ring pilot</td>", _rings(share))
    assert f"<td>all</td><td>waiting for approval (hfstage approve {root} MS01-033 --ring all)</td>" in _rings(share)
    assert ("pilot", "MS01-033", PACKAGE) not in _waiting(share)  # approved: in the scripts from the next generate
    assert ("all", "MS01-033", PACKAGE) in _waiting(share)
    assert len(Site.open(root).history.scans(kind=None)) == scans  # the report of the same scan, drawn again
    assert "site report updated: " in err

    code, _, err = run("unapprove", root, "MS01-033", "--ring", "pilot")
    assert code == 0 and "site report updated: " in err
    assert waiting_pilot in _rings(share) and ("pilot", "MS01-033", PACKAGE) in _waiting(share)


def test_approve_before_any_scan_says_the_report_was_not_drawn(tmp_path, run):
    """No full scan of the current catalog yet: the approval stands, and the admin is told why reports\\ is as
    it was (a report of no scan, or of another catalog's, would be wrong)."""
    share = demo_with_cabinet(tmp_path / "share")
    share.site_ini.write_text(share.site_ini.read_text() + RINGS)
    assert run("catalog", "import", share.root)[0] == 0
    code, out, err = run("approve", share.root, "MS01-033", "--ring", "pilot")
    assert code == 0 and "approved MS01-033 for ring pilot" in out
    assert "site report not updated: no full scan of the current catalog" in err
