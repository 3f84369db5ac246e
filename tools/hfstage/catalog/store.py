"""Stored catalogs on the share: catalogs/<DataVersion>/, written once, never overwritten.

Which catalog is current is explicit (catalogs/current.json), not "the highest number":
an import makes its catalog current only when it is newer than the current one, and
`hfstage catalog use` changes it by hand. A catalog with DataVersion 99.0 imported by
mistake can then never hide every later real one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import re
from dataclasses import dataclass
from pathlib import Path

from hfstage.catalog.model import Catalog
from hfstage.catalog.parser import parse_catalog_file
from hfstage.errors import StateError, UsageError
from hfstage.share import Share, atomic_write_text, did_you_mean

XML_NAME = "mssecure.xml"
CAB_NAME = "mssecure.cab"
JSON_NAME = "catalog.json"
RECORD_NAME = "import.json"
CURRENT_NAME = "current.json"


@dataclass(frozen=True)
class StoredCatalog:
    """A catalog folder on the share and its import record."""

    data_version: str
    folder: Path
    record: dict

    @property
    def xml(self) -> Path:
        return self.folder / XML_NAME

    @property
    def imported_at(self) -> str:
        return str(self.record.get("imported_at", ""))

    def load(self) -> Catalog:
        return parse_catalog_file(self.xml)


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return ".".join(str(v) for v in value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def catalog_json(catalog: Catalog) -> str:
    """The normalized catalog as stable, sorted JSON (for people and other tools)."""
    data = dataclasses.asdict(catalog)
    data["counts"] = catalog.counts()
    return json.dumps(data, default=_jsonable, indent=1, sort_keys=True) + "\n"


def version_key(text: str) -> tuple:
    """DataVersion '1.0.1.148' as a sortable tuple (non-numbers sort lowest)."""
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-_]", text))


def list_catalogs(share: Share) -> list[StoredCatalog]:
    """Stored catalogs in the order they were imported."""
    stored = []
    root = share.folder("catalogs")
    for folder in root.iterdir() if root.is_dir() else []:
        record_path = folder / RECORD_NAME
        if folder.name.startswith(".") or not folder.is_dir() or not record_path.is_file():
            continue
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise StateError(f"{record_path}: unreadable import record ({e}); the catalog folder is damaged: "
                             "move it away and import the cabinet again") from e
        stored.append(StoredCatalog(folder.name, folder, record))
    stored.sort(key=lambda s: (s.imported_at, version_key(s.data_version)))
    return stored


def _pointer(share: Share) -> dict:
    path = share.folder("catalogs") / CURRENT_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as e:
        raise StateError(f"{path}: unreadable ({e}); choose the current catalog again with "
                         "`hfstage catalog use SHARE VERSION`") from e
    return data if isinstance(data, dict) else {}


def current_version(share: Share) -> str | None:
    """The DataVersion of the current catalog, or None when none is stored."""
    pointer = _pointer(share).get("current")
    if pointer:
        return pointer
    stored = list_catalogs(share)  # a share from before current.json: its highest version
    return max(stored, key=lambda s: version_key(s.data_version)).data_version if stored else None


def previous_version(share: Share) -> str | None:
    """The catalog that was current before the current one (what `month` diffs against)."""
    return _pointer(share).get("previous")


def set_current(share: Share, data_version: str, how: str) -> dict:
    """Make DATA_VERSION current (it must be stored); returns the pointer written."""
    find_catalog(share, data_version)
    before = current_version(share)
    pointer = {"current": data_version, "previous": before if before != data_version else
               _pointer(share).get("previous"), "since": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
               "by": getpass.getuser(), "how": how}
    atomic_write_text(share.folder("catalogs") / CURRENT_NAME, json.dumps(pointer, indent=1, sort_keys=True) + "\n")
    return pointer


def find_catalog(share: Share, data_version: str | None = None) -> StoredCatalog:
    """The stored catalog DATA_VERSION, or the current one."""
    stored = list_catalogs(share)
    if not stored:
        raise UsageError(f"{share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    wanted = data_version or current_version(share)
    for s in stored:
        if s.data_version == wanted:
            return s
    known = [s.data_version for s in stored]
    if data_version is None:
        raise StateError(f"{share.folder('catalogs') / CURRENT_NAME}: names catalog {wanted}, which is not stored; "
                         f"choose one with `hfstage catalog use SHARE VERSION` (stored: {', '.join(known)})")
    raise UsageError(f"no stored catalog {data_version} (stored: {', '.join(known)})"
                     + did_you_mean(data_version, known))


def is_newer(candidate: StoredCatalog | Catalog, current: StoredCatalog | Catalog) -> bool:
    return version_key(candidate.data_version) > version_key(current.data_version)


def use_catalog(share: Share, data_version: str) -> dict:
    """`catalog use`: make a stored catalog current by hand (going back is allowed, and logged)."""
    share.check()
    with share.lock():
        before = current_version(share)
        pointer = set_current(share, data_version, "catalog use")
        share.audit(f"current catalog set to {data_version} (was {before}) with `catalog use`")
    return pointer


def diff_pair(share: Share, old: str | None = None, new: str | None = None) -> tuple[StoredCatalog, StoredCatalog]:
    """OLD and NEW stored catalogs; by default the previous current one and the current one."""
    if bool(old) != bool(new):
        raise UsageError("give both OLD and NEW DataVersions, or neither for the previous and the current catalog")
    if old and new:
        return find_catalog(share, old), find_catalog(share, new)
    stored = list_catalogs(share)
    before = previous_version(share)
    if before is None and len(stored) >= 2:
        before = stored[-2].data_version if stored[-1].data_version == current_version(share) else None
    if before is None:
        raise UsageError(f"{share.folder('catalogs')}: {len(stored)} catalog(s) stored and no earlier current one; "
                         "a diff needs two (name them: catalog diff SHARE OLD NEW)")
    return find_catalog(share, before), find_catalog(share)


def load_catalog_arg(path: Path) -> Catalog:
    """A share (its current catalog), a folder holding mssecure.xml, or the file itself."""
    path = Path(path)
    if path.is_dir() and (path / "catalogs").is_dir():
        return find_catalog(Share(path)).load()
    if path.is_dir():
        return parse_catalog_file(path / XML_NAME)
    return parse_catalog_file(path)
