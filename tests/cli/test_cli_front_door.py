"""One front door: every command on a share goes through the conductor (hfstage.pipeline), so two commands
that meet the same event decide and say it the same way.

The story: `month` skipped a cabinet in incoming\\ that was a symbolic link, while `catalog import` followed
it and imported whatever it pointed at; and they worded "nothing to import" differently. Both now pick the
cabinet with one function and refuse with one sentence. (tests/test_layering.py keeps the CLI from reaching
a stage past the conductor, the file tools excepted by name.)
"""

from __future__ import annotations

import os
import shutil
import time

from hfstage.pipeline import build_demo_share
from tests.conftest import EXAMPLES, demo_with_cabinet


def test_a_linked_cabinet_in_incoming_is_refused_alike_by_catalog_import_and_month(tmp_path, run):
    share = build_demo_share(tmp_path / "share")
    elsewhere = tmp_path / "elsewhere.cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", elsewhere)
    (share.folder("incoming") / "mssecure.cab").symlink_to(elsewhere)
    reason = (f"{share.folder('incoming')}: no .cab file to import (links are not followed); copy mssecure.cab "
              "there or name the file")
    for command in (("catalog", "import", share.root), ("month", share.root, "--fail-on", "none")):
        code, _, err = run(*command)
        assert code == 2 and reason in err, (command, err)
    assert not list(share.folder("catalogs").glob("2.*"))  # nothing was imported through the link


def test_the_same_cabinet_is_imported_by_both_routes(tmp_path, run):
    """The regular file beside a link to a newer cabinet is the one both choose."""
    newer = tmp_path / "newer.cab"
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", newer)
    os.utime(newer, (time.time() + 3600, time.time() + 3600))
    for route in (("catalog", "import"), ("month",)):
        share = demo_with_cabinet(tmp_path / "-".join(route), "month1", as_name="month1.cab")
        (share.folder("incoming") / "newer.cab").symlink_to(newer)
        code, _, err = run(*route, share.root, *(("--fail-on", "none") if route == ("month",) else ()))
        assert code == 0, err
        assert sorted(p.name for p in share.folder("catalogs").iterdir() if p.is_dir()) == ["2.0.0.1"], route
