"""Catalog checks that belong to the other OS family than the machine's.

The 2001 catalog lists Windows 98 for an NT 4.0 Hotfix.exe package checked by its
Hotfix key (MS00-091), and NT products for files in the 9x system folder. Such a check
can never pass: applied, it reports the patch missing for ever and a script retries it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.catalog import Catalog, Patch
from hfstage.inventory import foreign_key, foreign_location, load_families

ONLY_IF_PRESENT = {"e", "d", "u"}  # file checks that never demand the file: absent is not missing


@dataclass
class ForeignChecks:
    """A patch's checks of the other family: those it demands (REQUIRED) and those only if present."""

    required: list[str] = field(default_factory=list)
    optional: list[str] = field(default_factory=list)


def family_name(family: str | None) -> str:
    return load_families()["families"].get(family or "", {}).get("name", "this Windows")


def foreign_checks(patch: Patch, catalog: Catalog, family: str | None, os_name: str | None = None) -> ForeignChecks:
    """PATCH's registry and file checks that belong to another family than FAMILY (NT or 9x)."""
    found = ForeignChecks()
    for rc in (catalog.reg_changes.get(i) for i in patch.reg_change_ids):
        mark = foreign_key(rc.key, family) if rc is not None and rc.key else None
        if mark is not None:
            found.required.append(f"registry {rc.key} is {mark.what}, of {mark.family}")
    for fc in (fc for i in patch.file_change_ids for fc in catalog.file_changes.get(i, [])):
        if fc.os and os_name and fc.os != os_name:
            continue  # a supplement's check for another OS
        mark = foreign_location(fc.location or "", family)
        if mark is not None:
            where = f"file {fc.location}\\{fc.file_name} is in {mark.what}, of {mark.family}"
            (found.optional if fc.command in ONLY_IF_PRESENT else found.required).append(where)
    return found


def foreign_reason(found: ForeignChecks, family: str | None, os_name: str | None) -> str:
    """The Note for a patch the catalog gives this machine but checks as the other family's."""
    return (f"the catalog's inconsistency: it lists {os_name or family_name(family)} for this patch, but "
            f"{'; '.join(found.required)}: that can never be found on {family_name(family)}, so it is not "
            "checked and nothing is scripted for it; confirm by hand whether the machine needs it")
