"""What changed between two catalogs: bulletins, patches, and supersedence."""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.catalog.model import Catalog, Patch

# (BulletinID, PatchName casefolded, occurrence): real bulletins hold two patches whose
# names differ only in case (MS99-046: q243835i.exe and Q243835i.EXE).
PatchKey = tuple[str, str, int]


@dataclass
class CatalogDiff:
    old_version: str
    new_version: str
    new_bulletins: list[str] = field(default_factory=list)
    revised_bulletins: list[dict] = field(default_factory=list)
    removed_bulletins: list[str] = field(default_factory=list)
    new_patches: list[dict] = field(default_factory=list)
    removed_patches: list[dict] = field(default_factory=list)
    changed_patches: list[dict] = field(default_factory=list)
    supersedence_changes: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not any((self.new_bulletins, self.revised_bulletins, self.removed_bulletins,
                        self.new_patches, self.removed_patches, self.changed_patches,
                        self.supersedence_changes))

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


def _patches(catalog: Catalog) -> dict[PatchKey, Patch]:
    keyed: dict[PatchKey, Patch] = {}
    for p in catalog.patches():
        n = 0
        while (p.bulletin_id, p.name.casefold(), n) in keyed:
            n += 1
        keyed[(p.bulletin_id, p.name.casefold(), n)] = p
    return keyed


def superseding(catalog: Catalog, patch: Patch) -> list[str]:
    """'MSxx-yyy patchname' entries that contain PATCH's fix, per its SBID."""
    entry = catalog.superseded_by.get(patch.sbid) if patch.sbid else None
    if entry is None:
        return []
    return sorted(f"{bid} {name}".strip() for bid, names in entry.bulletins for name in (names or [""]))


def _evidence(catalog: Catalog, patch: Patch) -> dict:
    """What detection would check for PATCH; a difference means a re-released package."""
    files = sorted(
        f"{fc.location or ''}\\{fc.file_name} {fc.version_text} {fc.checksum or ''}".strip()
        for i in patch.file_change_ids for fc in catalog.file_changes.get(i, [])
    )
    regs = sorted(
        f"{rc.key}\\{rc.value_name}={rc.value}"
        for i in patch.reg_change_ids if (rc := catalog.reg_changes.get(i))
    )
    products = sorted((a.product_id, a.fixed_in_sp or 0, tuple(sorted(a.service_pack_ids))) for a in patch.affected)
    return {"files": files, "registry": regs, "products": products}


def diff_catalogs(old: Catalog, new: Catalog) -> CatalogDiff:
    """Bulletins and patches added, revised, removed; supersedence that moved."""
    d = CatalogDiff(old.data_version, new.data_version)
    d.new_bulletins = sorted(set(new.bulletins) - set(old.bulletins))
    d.removed_bulletins = sorted(set(old.bulletins) - set(new.bulletins))
    for bid in sorted(set(new.bulletins) & set(old.bulletins)):
        a, b = old.bulletins[bid], new.bulletins[bid]
        if a.date_revised != b.date_revised:
            d.revised_bulletins.append({
                "bulletin": bid, "title": b.title,
                "old_revised": a.date_revised.isoformat() if a.date_revised else None,
                "new_revised": b.date_revised.isoformat() if b.date_revised else None,
            })
    old_p, new_p = _patches(old), _patches(new)
    for key in sorted(set(new_p) - set(old_p)):
        d.new_patches.append({"bulletin": key[0], "patch": new_p[key].name})
    for key in sorted(set(old_p) - set(new_p)):
        d.removed_patches.append({"bulletin": key[0], "patch": old_p[key].name})
    for key in sorted(set(old_p) & set(new_p)):
        a, b = old_p[key], new_p[key]
        ea, eb = _evidence(old, a), _evidence(new, b)
        changed = sorted(k for k in ea if ea[k] != eb[k])
        if changed:
            d.changed_patches.append({"bulletin": key[0], "patch": b.name, "changed": changed})
        sa, sb = superseding(old, a), superseding(new, b)
        if sa != sb:
            d.supersedence_changes.append({"bulletin": key[0], "patch": b.name,
                                           "old_superseded_by": sa, "new_superseded_by": sb})
    return d
