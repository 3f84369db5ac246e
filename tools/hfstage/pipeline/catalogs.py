"""`hfstage init`, `share check` and `catalog import|list|use|show|diff`: the share and its catalogs,
through the conductor like every other command on a share (one way to pick the incoming cabinet, one
way to say there is none)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfstage import catalog as stage
from hfstage.errors import UsageError
from hfstage.pipeline.site import Site
from hfstage.share import InitReport, ShareCheck, check_share, init_share


def create_share(root: Path) -> InitReport:
    """`hfstage init`: the share's folders and skeleton, never touching a file that exists."""
    return init_share(root)


def share_check(site: Site) -> ShareCheck:
    return check_share(site.share, site.config)


def catalog_import(site: Site, cab: Path | None = None, *, xml: Path | None = None, sha256: str | None = None,
                   allow_unsigned: bool = False) -> stage.ImportResult:
    """Import CAB (default: the newest in incoming\\, as `month` picks it) or a bare XML."""
    if cab is not None and xml is not None:
        raise UsageError("give either a cabinet FILE or --xml FILE, not both")
    result = stage.import_catalog(site.share, cab, xml=xml, sha256=sha256, allow_unsigned=allow_unsigned,
                                  config=site.config)
    site.reload_catalog()
    return result


def import_text(result: stage.ImportResult) -> list[str]:
    """What `catalog import` prints: where it is stored, warnings, the summary and what changed."""
    state = "already stored, unchanged" if result.already_stored else "imported"
    lines = [f"{result.stored.folder}: {state}" + ("" if result.current else " (not current)")]
    lines += [f"  WARNING: {w}" for w in (result.override, result.warning) if w]
    lines.append(stage.summary_text(result.catalog))
    if result.current and not result.already_stored:
        lines.append(stage.diff_text(result.diff) if result.diff else
                     "  (first catalog on this share: nothing to compare)")
    return lines


def catalog_list(site: Site) -> list[dict]:
    current = stage.current_version(site.share)
    return [{"data_version": s.data_version, "imported_at": s.imported_at, "current": s.data_version == current,
             "override": s.record.get("override")} for s in stage.list_catalogs(site.share)]


def catalog_use(site: Site, version: str) -> dict:
    pointer = stage.use_catalog(site.share, version)
    site.reload_catalog()
    return pointer


@dataclass
class CatalogShow:
    """A stored catalog (or one bulletin of it), as `catalog show` prints it."""

    stored: stage.StoredCatalog
    catalog: stage.Catalog
    current: bool
    bulletin: stage.Bulletin | None = None

    def to_dict(self) -> dict:
        if self.bulletin is not None:
            return stage.bulletin_dict(self.catalog, self.bulletin)
        return stage.summary_dict(self.catalog, self.stored.folder, self.stored.record, self.current)

    def text(self) -> str:
        if self.bulletin is not None:
            return stage.bulletin_text(self.catalog, self.bulletin)
        return stage.summary_text(self.catalog) + ("" if self.current else "\n  (not the current catalog)")


def catalog_show(site: Site, version: str | None = None, bulletin: str | None = None) -> CatalogShow:
    stored = stage.find_catalog(site.share, version)
    loaded = stored.load()
    found = None
    if bulletin:
        found = loaded.bulletins.get(bulletin.strip().upper())
        if found is None:
            raise UsageError(f"bulletin {bulletin} is not in catalog {loaded.data_version}")
    return CatalogShow(stored, loaded, stored.data_version == stage.current_version(site.share), found)


def catalog_diff(site: Site, old: str | None = None, new: str | None = None) -> stage.CatalogDiff:
    before, after = stage.diff_pair(site.share, old, new)
    return stage.diff_catalogs(before.load(), after.load())


def diff_text(diff: stage.CatalogDiff) -> str:
    return stage.diff_text(diff)
