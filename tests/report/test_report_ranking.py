"""Every list that ranks bulletins ranks them by severity, then by how many machines miss them (issue 25.2).

On the demo share MS02-045 (Moderate) is missing on three servers and MS01-033 (Critical) on two: counted
first, the Moderate one sat above the Critical one in `report --by bulletin` and in the central table. A
missing service pack is a service pack, named as one, never a bulletin called "SP".
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from hfstage.pipeline import build_demo_share, demo
from tests.conftest import EXAMPLES

SEVERITY = {"Critical": 0, "Important": 1, "Moderate": 2, "Low": 3, "Unrated": 4}


@pytest.fixture
def share(tmp_path, run):
    share = build_demo_share(tmp_path / "demo")
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m.cab")
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    return share


def _ranked(rows: list[tuple[str, int]]) -> bool:
    """ROWS (severity, machines) in the order: severity first, then more machines first."""
    keys = [(SEVERITY[s], -n) for s, n in rows]
    return keys == sorted(keys)


def test_report_by_bulletin_and_by_patch_rank_by_severity_then_count(share, run):
    _, out, _ = run("report", share.root, "--by", "bulletin", "--format", "json")
    rows = json.loads(out)["rows"]
    assert [r["bulletin"] for r in rows] == ["MS03-039", "MS01-033", "Windows 2000 Service Pack 4", "MS02-045"]
    assert _ranked([(r["severity"], r["machines"]) for r in rows])
    assert rows[2]["kind"] == "service pack" and "SP" not in [r["bulletin"] for r in rows]
    _, text, _ = run("report", share.root, "--by", "bulletin")
    assert "Windows 2000 Service Pack 4 (service pack)" in text
    assert text.index("MS01-033") < text.index("MS02-045")
    _, out, _ = run("report", share.root, "--by", "patch", "--format", "json")
    patches = json.loads(out)["rows"]
    assert _ranked([(r["severity"], r["machines"]) for r in patches])
    _, table, _ = run("report", share.root, "--by", "patch", "--format", "csv")
    assert "\nservice pack,Windows 2000 Service Pack 4,Important,3," in table


def test_the_central_table_ranks_by_severity_then_sites_and_machines(tmp_path):
    demo(tmp_path / "demo")
    index = (tmp_path / "demo-central" / "reports" / "index.html").read_text()
    table = index[index.index('id="bulletins"'):]
    rows = re.findall(r'<tr><td>([^<]*)</td><td>[^<]*</td><td[^>]*>([^<]*)</td><td class="num">(\d+)</td>\s*'
                      r'<td class="num">(\d+)</td>', table)  # the severity cell sorts by rank (data-sort)
    assert len(rows) >= 5
    assert rows[-1][:2] == ("MS02-045", "Moderate")  # on the most machines at both sites, yet Moderate: last
    keys = [(SEVERITY[severity], -int(sites), -int(machines)) for _, severity, sites, machines in rows]
    assert keys == sorted(keys)
