"""Stored catalogs on the share: catalogs/<DataVersion>/, written once, never overwritten."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from hfstage.catalog.model import Catalog
from hfstage.catalog.parser import parse_catalog_file
from hfstage.errors import InputError, UsageError
from hfstage.share import Share

XML_NAME = "mssecure.xml"
CAB_NAME = "mssecure.cab"
JSON_NAME = "catalog.json"
RECORD_NAME = "import.json"


@dataclass(frozen=True)
class StoredCatalog:
    """A catalog folder on the share and its import record."""

    data_version: str
    folder: Path
    record: dict

    @property
    def xml(self) -> Path:
        return self.folder / XML_NAME

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


def _version_key(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else -1 for p in re.split(r"[.\-_]", text))


def list_catalogs(share: Share) -> list[StoredCatalog]:
    """Stored catalogs, oldest first (by DataVersion, then import time)."""
    stored = []
    root = share.folder("catalogs")
    for folder in root.iterdir() if root.is_dir() else []:
        record_path = folder / RECORD_NAME
        if folder.name.startswith(".") or not record_path.is_file():
            continue
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{record_path}: unreadable import record: {e}") from e
        stored.append(StoredCatalog(folder.name, folder, record))
    stored.sort(key=lambda s: (_version_key(s.data_version), s.record.get("imported_at", "")))
    return stored


def find_catalog(share: Share, data_version: str | None = None) -> StoredCatalog:
    """The stored catalog DATA_VERSION, or the newest one."""
    stored = list_catalogs(share)
    if not stored:
        raise UsageError(f"{share.folder('catalogs')}: no catalog imported yet; run `hfstage catalog import`")
    if data_version is None:
        return stored[-1]
    for s in stored:
        if s.data_version == data_version:
            return s
    known = ", ".join(s.data_version for s in stored)
    raise UsageError(f"no stored catalog {data_version!r} (stored: {known})")


def previous_catalog(share: Share, data_version: str) -> StoredCatalog | None:
    """The catalog stored just before DATA_VERSION, if any."""
    stored = list_catalogs(share)
    names = [s.data_version for s in stored]
    if data_version not in names:
        return stored[-1] if stored else None
    index = names.index(data_version)
    return stored[index - 1] if index > 0 else None
