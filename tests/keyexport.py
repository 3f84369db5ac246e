"""A keys-mode collection made from whole hives by an independent tool (hivexregedit --export).

What collect_nt.bat does on a live machine, done offline: each key the collectors export
(scripts.collectors.export_keys) is exported from the hive that holds it into hfNN.reg, with the
control set named CurrentControlSet as regedit /e names it on a running Windows, and the manifest
lists the keys as the collector writes them. A key the hive lacks leaves no export, as on Windows.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from Registry import Registry

from hfstage.scripts.collectors import export_keys

HIVEXREGEDIT = shutil.which("hivexregedit")


def _current_set(system: Path) -> str:
    return f"ControlSet{Registry.Registry(str(system)).open('Select').value('Current').value():03d}"


def export_key(hive: Path, root: str, key: str, control_set: str | None) -> bytes | None:
    """KEY (below ROOT, e.g. HKEY_LOCAL_MACHINE\\SOFTWARE) of HIVE as .reg text, or None when absent."""
    inner = key.replace("CurrentControlSet", control_set, 1) if control_set else key
    done = subprocess.run([HIVEXREGEDIT, "--export", "--prefix", root, str(hive), inner], capture_output=True)
    if done.returncode != 0:
        return None
    text = done.stdout.decode("utf-8")
    if control_set:  # a live regedit shows the current set under its alias
        text = re.sub(rf"^\[{re.escape(root)}\\{control_set}", lambda _: f"[{root}\\CurrentControlSet", text,
                      flags=re.M | re.I)
    return text.encode("utf-8")


def collect_keys(source: Path, target: Path, rules: dict, catalog) -> list[str]:
    """Write TARGET as a keys-mode collection of the hives in SOURCE; the keys exported (present or not)."""
    target.mkdir(parents=True, exist_ok=True)
    control_set = _current_set(source / "SYSTEM") if (source / "SYSTEM").is_file() else None
    lines = ["tool=regedit /e", "mode=keys", f"catalog={catalog.data_version if catalog else 'none'}"]
    for key in export_keys(rules, catalog):
        lines.append(f"{key.file}={key.path}")
        parts = key.path.split("\\")
        if parts[0] != "HKEY_LOCAL_MACHINE" or not (source / parts[1].upper()).is_file():
            continue
        data = export_key(source / parts[1].upper(), f"HKEY_LOCAL_MACHINE\\{parts[1]}", "\\".join(parts[2:]),
                          control_set if parts[1].upper() == "SYSTEM" else None)
        if data is not None:
            (target / f"{key.file}.reg").write_bytes(data)
    (target / "manifest.txt").write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
    if (source / "files").is_dir():
        shutil.copytree(source / "files", target / "files")
    return [line.split("=", 1)[1] for line in lines if line.startswith("hf")]


def hives_manifest(folder: Path, catalog) -> None:
    """The manifest collect_nt.bat writes in hives mode (reg save), for the same catalog."""
    lines = ["tool=reg save", "mode=hives", f"catalog={catalog.data_version if catalog else 'none'}"]
    (folder / "manifest.txt").write_text("\r\n".join(lines) + "\r\n", encoding="latin-1")
