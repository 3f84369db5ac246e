"""Benchmark: what one collection costs the share, per OS and per [collect] mode.

The NT collector (collect_nt.bat, keys mode) runs in wine's cmd against a wine client whose registry
is filled with a machine's keys (`wine regedit /s` of the machine's .reg sources, the ones the example
hives are made from; for real size, the needed keys of ../shared/fixtures/real/SYSTEM_2, a SYSTEM hive
Windows wrote, on top of wine's own SOFTWARE, which has the shape of Windows 7's); the share is a
folder on disk, and the bench counts the bytes and files written under inventory\\<MACHINE>\\ (the
catalog's file copies apart: they depend on the files, not the mode). The 9x collector runs in the
same cmd with %OS% unset (it exports the same keys with regedit /e). Hives mode is not run: wine's
reg.exe has no `save`; what it writes is the two hives, their sizes are printed.
Then a second call on the same day (the interval rule): bytes and files written.
  python bench/collection.py            the example machines and SYSTEM_2 (about 2 minutes)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CATALOG = REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml"
SYSTEM_2 = REPO.parent / "shared" / "fixtures" / "real" / "SYSTEM_2"
SOURCES = REPO / "tests" / "data" / "machines-src"
HIVES = REPO / "tests" / "data" / "inventory"
EXAMPLES = {"NT4WKS": "NT 4.0 SP6a workstation", "W2KSRV": "Windows 2000 server", "XPSP1": "XP SP1",
            "DC01": "2000 domain controller"}

from tests.keyexport import export_key  # noqa: E402
from tests.winehelp import WINE, WINESERVER, make_prefix, wine_path  # noqa: E402

from hfstage.catalog import import_catalog  # noqa: E402
from hfstage.pipeline import Site, scripts_collectors  # noqa: E402
from hfstage.share import Share, init_share, published  # noqa: E402


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()} if folder.is_dir() else {}


def _written(before: dict, after: dict) -> tuple[int, int, int]:
    """(bytes, files) written outside files\\, and files written below it, between two states."""
    changed = [n for n in after if after[n] != before.get(n)]
    own = [n for n in changed if not n.startswith("files")]
    return sum(after[n][0] for n in own), len(own), len(changed) - len(own)


def _share(root: Path) -> Share:
    init_share(root)
    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp")) / "s"  # command.com's 127 characters
    short.symlink_to(root)
    (root / "site.ini").write_text(f"[share]\nunc = {wine_path(short)}\n", encoding="utf-8")
    share = Share(root)
    catalog = import_catalog(share, xml=CATALOG, allow_unsigned=True).catalog
    scripts_collectors(Site(share))
    return share, catalog


def _client(template: Path, where: Path, regs: list[Path]) -> dict:
    shutil.copytree(template, where, symlinks=True)
    env = {**os.environ, "WINEPREFIX": str(where), "WINEDEBUG": "-all"}
    for reg in regs:
        subprocess.run([str(WINE), "regedit", "/s", wine_path(reg)], env=env, check=True, capture_output=True)
    subprocess.run([str(WINESERVER), "-w"], env=env, capture_output=True)
    return env


def _collect(env: dict, share: Share, nine_x: bool) -> None:
    script = published(share.folder("scripts"), "collect_nt.bat")
    if nine_x:  # cmd sets %OS% itself: a wrapper clears it, and names the machine as a per-machine stub does
        script = Path(env["WINEPREFIX"]) / "nine.bat"
        script.write_bytes(b"@echo off\r\nset OS=\r\nset HFM=BENCH9X\r\ncall "
                           + wine_path(published(share.folder("scripts"), "collect_9x.bat")).encode() + b"\r\n")
    subprocess.run([str(WINE), "cmd", "/c", wine_path(script)], env=env, capture_output=True, timeout=600)


def measure(label: str, template: Path, work: Path, regs: list[Path], hive_bytes: int | None,
            nine_x: bool = False) -> None:
    share, _ = _share(work / "share")
    env = _client(template, work / "prefix", regs)
    inventory = share.folder("inventory")
    _collect(env, share, nine_x)
    (folder,) = [p for p in inventory.iterdir() if p.is_dir() and not p.name.startswith("_")]
    first = _state(folder)
    size, files, copies = _written({}, first)
    _collect(env, share, nine_x)
    again, again_files, again_copies = _written(first, _state(folder))
    hives = f"{hive_bytes / 1024:9.1f} KB" if hive_bytes else "      n/a   "
    print(f"  {label:<44} keys {size / 1024:7.1f} KB in {files:2d} files (+{copies} copies)  "
          f"again same day {again:5d} B in {again_files} files  | hives mode {hives}")
    shutil.rmtree(work, ignore_errors=True)


def _real_system_keys(work: Path) -> Path:
    """The needed SYSTEM keys of SYSTEM_2 as one .reg, the current control set named as Windows names it."""
    from Registry import Registry

    from hfstage.inventory import load_rules, needed_keys
    current = Registry.Registry(str(SYSTEM_2)).open("Select").value("Current").value()
    parts = ["Windows Registry Editor Version 5.00\r\n"]
    for need in needed_keys(load_rules(), None):
        if need.path.upper().startswith("HKEY_LOCAL_MACHINE\\SYSTEM\\") and "Environment" not in need.path:
            # (wine keeps its own Environment: another machine's Path and windir would stop its cmd)
            inner = need.path.split("\\", 2)[2]
            data = export_key(SYSTEM_2, "HKEY_LOCAL_MACHINE\\SYSTEM", inner, f"ControlSet{current:03d}"
                              if "CurrentControlSet" in inner else None)
            if data:
                text = data.decode("utf-8").split("\n", 1)[1]
                if need.values_only:  # its own values, not the subtree (Session Manager's would change wine's)
                    text = "\n[".join(text.split("\n[", 2)[:2])
                parts.append(text)
    path = work / "system2.reg"
    path.write_text("".join(parts), encoding="utf-8")
    return path


def main() -> int:
    if not WINE.exists() or not CATALOG.is_file() or shutil.which("hivexregedit") is None:
        print("skipped: needs wine64, hivexregedit and ../shared/fixtures")
        return 0
    with tempfile.TemporaryDirectory(prefix="hfstage-collect-") as tmp:
        tmp = Path(tmp)
        template = tmp / "template"
        make_prefix(template)
        subprocess.run([str(WINESERVER), "-w"], env={**os.environ, "WINEPREFIX": str(template)}, capture_output=True)
        print("one collection, bytes written to the share (real 2001 catalog's key list; copies of catalog "
              "files counted apart)")
        for name, what in EXAMPLES.items():
            hives = sum((HIVES / name / h).stat().st_size for h in ("SOFTWARE", "SYSTEM"))
            regs = [SOURCES / name / "SOFTWARE.reg", SOURCES / name / "SYSTEM.reg"]
            measure(f"{name} ({what}, example)", template, tmp / name, regs, hives)
        wine_hives = sum((template / n).stat().st_size for n in ("system.reg", "user.reg"))
        measure("wine's own registry (the shape of Windows 7)", template, tmp / "wine", [], None)
        if SYSTEM_2.is_file():
            measure("real SYSTEM_2 keys on wine's SOFTWARE (real size)", template, tmp / "real",
                    [_real_system_keys(tmp)], SYSTEM_2.stat().st_size)
        measure("9x collector on wine's registry (%OS% unset)", template, tmp / "nine", [], None, nine_x=True)
        print(f"  (wine's own registry files: {wine_hives / 1024:.0f} KB of .reg text; a real SOFTWARE hive is "
              "larger than SYSTEM, so hives mode costs at least twice SYSTEM_2 a machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
