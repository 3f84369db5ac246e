"""Every folder and file hfstage makes has its mode set explicitly, in the share and the central store.

The story (review finding 7): under umask 000, `hfstage central init DIR` made DIR, DIR\\trust and
DIR\\reports (and later reports\\sites) mode 0777: any local user could put his own key in
trust\\<site>.pem, or replace a site's, and his forged bundles were imported as that site's. The same
reliance on the umask made `demo`'s copied trust anchor, packages and site.ini writable by anyone.
Here each is made under umask 000 and nothing may be writable by others.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def open_umask():
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _world_writable(root: Path) -> dict[str, str]:
    paths = [root, *root.rglob("*")]
    return {str(p.relative_to(root)): oct(p.stat().st_mode & 0o777) for p in paths
            if not p.is_symlink() and p.stat().st_mode & 0o002 and not p.stat().st_mode & 0o1000}


def test_central_init_keeps_its_trust_folder_closed_whatever_the_umask(tmp_path, open_umask):
    """The reviewer's case, as a separate process started under umask 000."""
    done = subprocess.run([sys.executable, "-m", "hfstage", "central", "init", str(tmp_path / "central")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "central", tmp_path / "central" / "trust",
                                                         tmp_path / "central" / "reports")}
    assert all(not mode & 0o002 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}


def test_the_central_report_folder_and_database_are_not_anyones(tmp_path, open_umask, run):
    """`central report` makes reports\\sites; the database is the admin's alone."""
    central = tmp_path / "central"
    assert run("central", "init", central)[0] == 0
    assert run("central", "report", central)[0] == 0
    assert (central / "reports" / "sites").is_dir()
    assert _world_writable(central) == {}
    assert (central / "central.sqlite").stat().st_mode & 0o077 in (0, 0o040)


def test_the_demo_share_copies_its_examples_with_the_shares_modes(tmp_path, open_umask):
    """The demo's trust anchor, packages, inventories and site.ini: 0644 in 0755 folders, whatever the umask
    (inventory\\ and results\\ themselves are 1777 by design: sticky, as /tmp)."""
    from hfstage.pipeline import build_demo_share

    share = build_demo_share(tmp_path / "share")
    assert _world_writable(share.root) == {}
    anchor = next(share.folder("trust").glob("*.pem"))
    assert anchor.stat().st_mode & 0o777 == 0o644
    assert share.site_ini.stat().st_mode & 0o777 == 0o644
