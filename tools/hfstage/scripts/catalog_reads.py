"""What a machine's plan reads from the catalog, and a key of those entries as a catalog holds them.

The scripts memo keys a machine on these entries, not on the catalog's version: on Patch Tuesday a machine
whose assessment is unchanged and whose entries the new catalog holds as the old one did is neither decoded
nor planned again (its files are carried into the next generation). Every trace from a client's result to its
catalog stays: generation.txt names the catalog of each generation, HFRESULT lines name the generation, and
the install ledger keeps the catalog a package was first scripted under (a package already recorded is
never recorded again, whatever the catalog).

plan_machine reads, for one assessment: each missing patch's catalog entry (catalog.patch(bulletin, patch):
its name, IDs, NoReboot, whether a batch line can hold it), its bulletin's DatePosted (the install order,
QChain's date) and the build the package index gives that entry (which file, in which place: the index's own
key holds only the set of places); and, only when site.ini's [service_packs] names a package for the
machine's OS, the product and service-pack tables (the product named so, its levels, their siblings and
dates: the service pack step). The entries are keyed whole (a Patch's repr, every field), so a field
plan_machine starts to read is covered.
"""

from __future__ import annotations

import json

from hfstage.assess import KIND_SERVICE_PACK, MISSING, Assessment
from hfstage.catalog import Catalog
from hfstage.packages import PackageIndex
from hfstage.scripts.settings import ScriptSettings
from hfstage.share import fingerprint


def plan_reads(a: Assessment | None) -> str:
    """The catalog entries A's plan reads, named (its OS, each missing patch's bulletin and name), as compact
    JSON: what the scripts memo keeps to key the machine against the next catalog."""
    if a is None:
        return "null"
    patches = sorted({(f.bulletin, f.patch) for f in a.findings if f.status == MISSING and f.kind != KIND_SERVICE_PACK})
    return json.dumps([a.os, patches], separators=(",", ":"))


class CatalogReads:
    """Keys of named entries in one CATALOG, each entry hashed once per run (5,000 machines share a few hundred
    patches)."""

    def __init__(self, catalog: Catalog, settings: ScriptSettings, index: PackageIndex) -> None:
        self.catalog, self.builds = catalog, index.builds
        self.service_packs = settings.service_packs
        self._by_reads: dict[str, str | None] = {}
        self._patches: dict[tuple[str, str], str] = {}
        self._levels: str | None = None

    def key(self, reads: object) -> str | None:
        """The key of the entries READS (plan_reads' text) names, as this catalog holds them; None when READS is
        not such a text (a damaged memo: the machine is planned again)."""
        if not isinstance(reads, str):
            return None
        if reads not in self._by_reads:
            self._by_reads[reads] = self._key(reads)
        return self._by_reads[reads]

    def _key(self, reads: str) -> str | None:
        try:
            named = json.loads(reads)
        except ValueError:
            return None
        if named is None:
            return fingerprint(None)  # no assessment: nothing of the catalog is read
        if not (isinstance(named, list) and len(named) == 2 and isinstance(named[0], (str, type(None)))
                and isinstance(named[1], list)
                and all(isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p) for p in named[1])):
            return None
        os_name, patches = named
        return fingerprint([self._os(os_name), [self._patch(b, p) for b, p in patches]])

    def _patch(self, bulletin: str, name: str) -> str:
        if (bulletin, name) not in self._patches:
            patch = self.catalog.patch(bulletin, name)
            owner = self.catalog.bulletins.get(patch.bulletin_id) if patch is not None else None
            build = self.builds.of(bulletin, name) if self.builds else None
            self._patches[bulletin, name] = fingerprint(repr((patch, owner.date_posted if owner else None, build)))
        return self._patches[bulletin, name]

    def _os(self, os_name: str | None) -> str | None:
        """The service pack step's tables, when site.ini names a service pack package for OS_NAME (without
        one, the step reads nothing of the catalog)."""
        if (os_name or "").casefold() not in self.service_packs:
            return None
        if self._levels is None:
            c = self.catalog
            self._levels = fingerprint(repr((c.products, c.service_packs, c.product_families)))
        return self._levels
