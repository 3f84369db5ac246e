"""The newest catalog wins by its DataVersion, never by the file's date (issue 21).

An admin copies this month's cabinet into incoming\\ beside last month's; a copy keeps the file's
modification time, so "the most recently modified .cab" chose last month's (2.0.0.1) and `month` said
"already imported: nothing new in incoming" while the site stayed on the old catalog. Every cabinet in
incoming\\ is now verified and stored; the highest DataVersion is current, and each other one is named.
"""

from __future__ import annotations

import os
import shutil

from hfstage.pipeline import build_demo_share
from tests.conftest import EXAMPLES


def _two_cabinets(share):
    """2.0.0.1 recently modified, 2.0.0.2 with an older time, as a copy that preserves it leaves them."""
    old, new = share.folder("incoming") / "mssecure.cab", share.folder("incoming") / "mssecure (2).cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", old)
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", new)
    os.utime(new, (1_000_000_000, 1_000_000_000))
    return old, new


def test_month_makes_the_highest_data_version_current_whatever_the_file_dates(run, tmp_path):
    share = build_demo_share(tmp_path / "demo")
    _two_cabinets(share)
    code, out, err = run("month", share.root, "--as-of", "2003-09-15", "--fail-on", "none")
    assert code == 0, err
    assert "mssecure (2).cab: catalog 2.0.0.2 imported and verified; current: 2.0.0.2" in out
    assert "mssecure.cab: catalog 2.0.0.1 is older than current 2.0.0.2: left in incoming" in out
    assert sorted(p.name for p in share.folder("catalogs").iterdir() if p.is_dir()) == ["2.0.0.1", "2.0.0.2"]
    # next month, nothing new: both are named again, and 2.0.0.2 stays
    code, out, err = run("month", share.root, "--as-of", "2003-09-16", "--fail-on", "none")
    assert code == 0 and "catalog 2.0.0.2 already imported" in out and "current: 2.0.0.2" in out, out + err
    assert "mssecure.cab: catalog 2.0.0.1 is older than current 2.0.0.2: left in incoming" in out


def test_catalog_import_verifies_every_cabinet_and_names_the_duplicate(run, tmp_path):
    share = build_demo_share(tmp_path / "demo")
    _, new = _two_cabinets(share)
    shutil.copyfile(new, share.folder("incoming") / "copy.cab")
    code, out, err = run("catalog", "import", share.root)
    assert code == 0, err
    assert "mssecure.cab: catalog 2.0.0.1 is older than current 2.0.0.2: left in incoming" in out
    assert out.count(": catalog 2.0.0.2 is the current one already: duplicate, left in incoming") == 1
    (share.folder("incoming") / "zz-forged.cab").write_bytes(b"MSCF not a cabinet")
    code, _, err = run("catalog", "import", share.root)
    assert code == 3 and "zz-forged.cab" in err
