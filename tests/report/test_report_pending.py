"""Pending machines in the report (issue 25.2 with issue 22's lifecycles): "Needs you" lists them.

A folder the server has not seen before is pending: assessed and shown, not counted, given no script until
an administrator accepts it. The site report counted them apart in a tile, but its "Needs you" list, the
machine table's badges and the end of `hfstage month` said nothing about them, so the admin who reads
only what needs them never learned that NEWPC waits for a decision. Now pending machines are an item of
"Needs you" (after what broke, before nothing), each a link to a list of them, with `hfstage machines`
as the command that shows more; the machine's page says it is pending and how to accept it.
"""

from __future__ import annotations

import re

from tests.bindhelp import forge_machines, need_root_and_hivex
from tests.reportsite import cli, site_with_problems


def test_a_pending_machine_needs_the_admin(tmp_path):
    need_root_and_hivex()
    share, _ = site_with_problems(tmp_path / "demo")
    forge_machines(share, tmp_path, ["NEWPC"])
    code, out, err = cli("month", share.root, "--fail-on", "none")
    assert code == 0, err
    reports = share.folder("reports")
    index = (reports / "index.html").read_text(encoding="utf-8")
    kinds = re.findall(r'data-kind="([a-z-]+)"', index)
    assert "pending" in kinds and kinds.index("pending") > kinds.index("failed")
    item = index[index.index('data-kind="pending"'):]
    item = item[:item.index("</li>")]
    assert 'href="lists/needs-pending-1.html"' in item and 'href="machines/NEWPC.html"' in item
    assert "NEWPC" in (reports / "lists" / "needs-pending-1.html").read_text(encoding="utf-8")
    assert re.search(r'id="pending"><a href="lists/needs-pending-1.html">1</a>', index)
    ending = out[out.index("What needs you, most urgent first:"):]
    assert re.search(r"\d+\. 1 new machine\(s\) pending: .*NEWPC -> hfstage machines ", ending)
    page = (reports / "machines" / "NEWPC.html").read_text(encoding="utf-8")
    assert f"hfstage machines accept {share.root} NEWPC" in page
    assert "pending" in [r for r in (reports / "machines.csv").read_text().splitlines() if r.startswith("NEWPC,")][0]
