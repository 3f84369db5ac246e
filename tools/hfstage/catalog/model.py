"""The catalog model: mssecure.xml (BulletinDatastore) with every ID reference resolved.

Names follow the schema (FixedInSP, SQNumber, SBID ...). Values the catalog leaves
blank or garbled are None here, and each is counted as an Anomaly.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections import Counter
from dataclasses import dataclass, field

from hfstage.share import batch_file_name_problem, batch_id_problem
from hfstage.versions import Version


@dataclass(frozen=True)
class Anomaly:
    """A dirty value the parser worked around: what kind, where, and what it saw."""

    kind: str
    where: str
    detail: str


@dataclass
class ServicePack:
    id: int
    name: str
    url: str | None
    release_date: dt.date | None


@dataclass
class ProductFamily:
    id: int
    name: str


@dataclass
class Product:
    id: int
    name: str
    minimum_service_pack_id: int | None
    current_service_pack_id: int | None
    current_version: Version | None
    family_ids: list[int] = field(default_factory=list)
    available_service_pack_ids: list[int] = field(default_factory=list)


@dataclass
class FileChange:
    """One expected file state: FILE (name + folder) at VERSION, with CHECKSUM."""

    id: int
    file_name: str
    location: str | None
    date: dt.date | None
    version: Version | None
    version_text: str
    size: int | None
    command: str
    checksum: str | None
    os: str | None = None  # a detection supplement's check for one OS only
    source: str | None = None  # where a supplement's check comes from (a KB article)


@dataclass
class RegChange:
    """One expected registry value: KEY\\VALUE_NAME == VALUE."""

    id: int
    key: str | None
    value_name: str
    value_type: str | None
    value: str
    command: str


@dataclass
class AffectedProduct:
    product_id: int
    fixed_in_sp: int | None  # a ServicePackID; None when 0: no service pack contains the fix
    service_pack_ids: list[int] = field(default_factory=list)


@dataclass
class Patch:
    name: str
    bulletin_id: str
    sq_number: str | None
    sbid: int | None
    no_reboot: bool
    url: str | None
    comments: list[str] = field(default_factory=list)
    affected: list[AffectedProduct] = field(default_factory=list)
    file_change_ids: list[int] = field(default_factory=list)
    reg_change_ids: list[int] = field(default_factory=list)
    ms_severity_id: int | None = None
    cve_ids: list[str] = field(default_factory=list)
    bugtraq_ids: list[str] = field(default_factory=list)

    @property
    def batch_problem(self) -> str | None:
        """Why no script may run this patch (the batch files' rule), or None: such a patch is assessed and
        reported, and costs its own script line only, never another machine's script."""
        found = self.unscriptable_value
        return found[1] if found else None

    @property
    def unscriptable_value(self) -> tuple[str, str] | None:
        """(which value, why) for the first value of this patch a batch line cannot hold: its package's name, and
        the IDs its rem, echo and results lines and its markers' names hold."""
        if not self.name.strip():
            return "file name", "the catalog gives no file name"
        ids = [("SQNumber", self.sq_number.strip())] if self.sq_number else []
        for what, value in [*ids, ("BulletinID", self.bulletin_id)]:
            if batch_id_problem(value):
                return what, f"{what} {value!a}: {batch_id_problem(value)}"
        problem = batch_file_name_problem(self.name.strip())
        return ("file name", problem) if problem else None


@dataclass
class Bulletin:
    id: str
    title: str
    date_posted: dt.date | None
    date_revised: dt.date | None
    supported: bool
    summary: str
    issue: str
    url: str | None
    faq_url: str | None
    qnumbers: list[str] = field(default_factory=list)
    patches: list[Patch] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    severity_ids: dict[str, int] = field(default_factory=dict)
    ms_severity_id: int | None = None


@dataclass
class SupersededBy:
    """A SupercededBy entry: the newer bulletins and patches that contain the fix."""

    sbid: int
    description: str
    bulletins: list[tuple[str, list[str]]] = field(default_factory=list)


@dataclass
class Catalog:
    data_version: str
    last_data_update: dt.date | None
    schema_version: str
    tool_version: str
    bulletins: dict[str, Bulletin] = field(default_factory=dict)
    products: dict[int, Product] = field(default_factory=dict)
    product_families: dict[int, ProductFamily] = field(default_factory=dict)
    service_packs: dict[int, ServicePack] = field(default_factory=dict)
    file_changes: dict[int, list[FileChange]] = field(default_factory=dict)
    reg_changes: dict[int, RegChange] = field(default_factory=dict)
    locations: dict[int, str] = field(default_factory=dict)
    comments: dict[int, str] = field(default_factory=dict)
    severities: dict[int, str] = field(default_factory=dict)
    ms_severities: dict[int, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    well_known_urls: dict[str, str] = field(default_factory=dict)
    superseded_by: dict[int, SupersededBy] = field(default_factory=dict)
    file_count: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)

    def patches(self) -> list[Patch]:
        return [p for b in self.bulletins.values() for p in b.patches]

    def patch(self, bulletin_id: str, name: str) -> Patch | None:
        """Bulletin BULLETIN_ID's patch NAME, by the exact strings a finding carries (of two alike, the later):
        from a table made once per catalog, not once per machine planned."""
        return self._patch_table.get((bulletin_id, name))

    @functools.cached_property
    def _patch_table(self) -> dict[tuple[str, str], Patch]:
        return {(p.bulletin_id, p.name): p for p in self.patches()}

    def anomaly_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(a.kind for a in self.anomalies).items()))

    def counts(self) -> dict[str, object]:
        return {
            "bulletins": len(self.bulletins),
            "patches": sum(len(b.patches) for b in self.bulletins.values()),
            "products": len(self.products),
            "service_packs": len(self.service_packs),
            "files": self.file_count,
            "file_changes": sum(len(v) for v in self.file_changes.values()),
            "reg_changes": len(self.reg_changes),
            "anomalies": self.anomaly_counts(),
        }
