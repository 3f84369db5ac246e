"""The NT collector run by wine's cmd against a share on disk, then read back by `facts`.

Wine's reg.exe has no `save`, so the collector's own fallback is what runs here: reg.exe
is hidden and the keys are exported with `regedit /e`. Wine's system32 holds real PE
files (rpcrt4.dll, rpcss.exe), which the collector copies as the catalog asks.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from hfstage.catalog import import_catalog
from hfstage.inventory.gather import gather_facts
from tests.conftest import EXAMPLES
from tests.published import published
from tests.winehelp import client, wine

WINE = Path("/usr/lib/wine/wine64")
pytestmark = pytest.mark.skipif(not WINE.exists(), reason="wine64 not installed (Debian package wine64)")


def _wine_path(path: Path) -> str:
    return "Z:" + str(path).replace("/", "\\")


def test_nt_collector_exports_copies_and_is_read_back(trusted_share, run, tmp_path, tmp_path_factory):
    env = client(tmp_path / "prefix", tmp_path_factory)
    reg = tmp_path / "prefix" / "drive_c" / "windows" / "system32" / "reg.exe"
    reg.rename(reg.with_suffix(".hidden"))  # no reg.exe: the regedit /e fallback
    catalog = import_catalog(trusted_share, EXAMPLES / "incoming" / "month1" / "mssecure.cab").catalog
    # a short path to the share: the 9x collector must fit command.com's 127 characters
    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp")) / "s"
    short.symlink_to(trusted_share.root)
    trusted_share.site_ini.write_text(f"[share]\nunc = {_wine_path(short)}\n[collect]\nmode = hives\n")
    assert run("scripts", "collectors", trusted_share.root)[0] == 0
    wine(env, "cmd", "/c", _wine_path(published(trusted_share) / "collect_nt.bat"))
    (machine,) = [p for p in trusted_share.folder("inventory").iterdir() if p.is_dir() and p.name != "_unnamed"]
    log = (machine / "collect.log").read_text(errors="replace")
    assert "reg.exe not found: exporting with regedit /e instead" in log
    manifest = (machine / "manifest.txt").read_text(errors="replace").splitlines()
    assert "tool=regedit /e" in [ln.strip() for ln in manifest]
    assert f"catalog={catalog.data_version}" in [ln.strip() for ln in manifest]
    assert sorted(p.name for p in machine.glob("*.tmp")) == []  # every export renamed when complete
    assert len(list(machine.glob("hf*.reg"))) >= 5
    facts = gather_facts(machine, catalog)
    assert facts.error is None and facts.computer_name.upper() == machine.name.upper()
    rpcrt4 = facts.file(f"{facts.system_root}\\system32\\rpcrt4.dll")
    assert rpcrt4.found and rpcrt4.file_version, rpcrt4
    # the collector copied it below the system drive's root, as `facts` expects
    assert any(p.name.lower() == "rpcrt4.dll" for p in (machine / "files").rglob("*"))
    shutil.rmtree(tmp_path / "prefix", ignore_errors=True)
    shutil.rmtree(short.parent, ignore_errors=True)
