"""Detection supplements: file checks for patches the catalog names without any (most 9x patches).

hfstage ships entries whose versions a Microsoft KB article states (data/detection_supplements.json);
a site adds or replaces entries in SHARE\\state\\detection.json. They are added to the catalog in
memory, as the catalog's own FileChanges would be, and only to patches that have no checks.
"""

from __future__ import annotations

import json
from pathlib import Path

from hfstage import resources
from hfstage.catalog.model import Catalog, FileChange
from hfstage.errors import InputError
from hfstage.share import fingerprint
from hfstage.versions import parse_version

SUPPLEMENTS_NAME = "detection_supplements.json"


def load_supplements(site_file: Path | None = None) -> list[dict]:
    """hfstage's entries, with the site's (SITE_FILE, when it exists) replacing or adding to them."""
    entries = {(e["bulletin"], e["patch"].casefold()): e for e in resources.data_json(SUPPLEMENTS_NAME)["patches"]}
    if site_file is not None and site_file.is_file():
        try:
            site = json.loads(site_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{site_file}: not readable JSON: {e}") from e
        for n, entry in enumerate(site.get("patches", []) if isinstance(site, dict) else [], 1):
            _check(entry, f"{site_file}: patches[{n}]")
            entries[(entry["bulletin"], entry["patch"].casefold())] = entry
    return [entries[k] for k in sorted(entries)]


def _check(entry: object, where: str) -> None:
    if not isinstance(entry, dict) or not {"bulletin", "patch", "source", "files"} <= set(entry):
        raise InputError(f"{where}: an entry needs bulletin, patch, source and files")
    for f in entry["files"]:
        if not isinstance(f, dict) or not {"location", "file", "version"} <= set(f) \
                or parse_version(str(f["version"])) is None:
            raise InputError(f"{where}: each file needs location, file and a version like 4.10.2000")


def supplements_key(entries: list[dict]) -> str:
    return fingerprint(entries)


def apply_supplements(catalog: Catalog, entries: list[dict]) -> int:
    """Give each catalog patch without checks the supplement's file checks; returns how many got some."""
    patches = {(p.bulletin_id, p.name.strip().casefold()): p for p in catalog.patches()}
    next_id = min([0, *catalog.file_changes]) - 1
    applied = 0
    for entry in entries:
        patch = patches.get((entry["bulletin"], entry["patch"].strip().casefold()))
        if patch is None or patch.file_change_ids or patch.reg_change_ids:
            continue
        changes = [FileChange(next_id, f["file"], f["location"], None, parse_version(str(f["version"])),
                              str(f["version"]), None, "c", None, f.get("os"), entry["source"])
                   for f in entry["files"]]
        catalog.file_changes[next_id] = changes
        patch.file_change_ids.append(next_id)
        next_id -= 1
        applied += 1
    return applied
