"""Which patch entries of the catalog are one file, and which are different builds sharing a name.

The catalog names packages by file name, but Microsoft shipped different builds under names
that differ only in case (MS00-047: q269239i.exe for NT 4.0, Q269239i.exe for its Terminal
Server Edition), and one Windows folder cannot hold both. Entries whose names fold equal are
one file when they come from the same download (the URL their PatchLocationID resolves to,
compared without case: IIS paths are case-blind) and cover a product at a service pack in
common (msjavx86.exe, reused by six bulletins); otherwise they are different builds, even
from one download page (MS01-017's Crlupd.exe for Windows 9x and crlupd.exe for NT 4.0 and
2000). That is the cautious side: two builds taken for one put the wrong
program on a machine, one file taken for two only asks the admin to copy it twice.

A name that is one build in the catalog may lie anywhere under hotfixes\\ (as it always
could); each build of a name several builds share has its own place,
hotfixes\\<BulletinID>\\<tag>\\<file>, the bulletin being the first that offered the build.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

from hfstage import resources
from hfstage.catalog import Catalog, Patch
from hfstage.share import fingerprint

TAGS_NAME = "product_tags.json"


@dataclass(frozen=True)
class Build:
    """One file the catalog offers: its entries (BulletinID, PatchName), download and products."""

    name: str  # as its first bulletin spells it
    entries: tuple[tuple[str, str], ...]
    url: str | None
    products: tuple[str, ...]
    tag: str = ""
    place: str | None = None  # below hotfixes\ when several builds share the name; None: any folder

    @property
    def key(self) -> str:
        """The build's identity on the share (pins and verdicts): its place, or its name when it has none."""
        return (self.place or self.name).casefold()

    @property
    def bulletins(self) -> list[str]:
        return list(dict.fromkeys(b for b, _ in self.entries))

    def label(self) -> str:
        return f"{self.bulletins[0]} {self.name} for {self.tag or ', '.join(self.products)}"


@dataclass
class BuildTable:
    """Every build of a catalog, found by catalog entry or by file name (without case)."""

    builds: list[Build] = field(default_factory=list)
    by_entry: dict[tuple[str, str], Build] = field(default_factory=dict)
    by_name: dict[str, list[Build]] = field(default_factory=dict)

    def of(self, bulletin: str, patch_name: str) -> Build | None:
        return self.by_entry.get((bulletin, patch_name))

    def named(self, name: str) -> list[Build]:
        return self.by_name.get(name.strip().casefold(), [])

    def shared_names(self) -> dict[str, list[Build]]:
        """Folded file names that more than one patch entry uses: one build (a file reused) or several."""
        return {n: bs for n, bs in self.by_name.items() if sum(len(b.entries) for b in bs) > 1}

    def fingerprint(self) -> str:
        places = sorted(b.key for b in self.builds if b.place)
        return fingerprint(places)


@functools.cache
def load_tags() -> dict[str, str]:
    return resources.data_json(TAGS_NAME)["products"]


def catalog_builds(catalog: Catalog) -> BuildTable:
    """The builds of CATALOG, with a place below hotfixes\\ for each build of a shared name."""
    groups: dict[str, list[Patch]] = {}
    for patch in catalog.patches():
        groups.setdefault(patch.name.strip().casefold(), []).append(patch)
    table = BuildTable()
    for folded, patches in groups.items():
        builds = [_build(catalog, [patches[i] for i in members]) for members in _clusters(patches)]
        if len(builds) > 1:
            builds = _placed(catalog, builds)
        table.by_name[folded] = builds
        table.builds += builds
        for b in builds:
            table.by_entry.update({entry: b for entry in b.entries})
    return table


def _download(patch: Patch) -> str | None:
    return (patch.url or "").strip().casefold() or None


def _targets(patch: Patch) -> set[tuple[int, int | None]]:
    """(ProductID, ServicePackID) pairs the entry is for; None: any service pack of that product."""
    return {(a.product_id, sp) for a in patch.affected for sp in (a.service_pack_ids or [None])}


def _one_file(a: Patch, b: Patch) -> bool:
    if _download(a) != _download(b):
        return False
    theirs = _targets(b)
    return any((p, s) in theirs or (p, None) in theirs or (s is None and any(q == p for q, _ in theirs))
               for p, s in _targets(a))


def _clusters(patches: list[Patch]) -> list[list[int]]:
    """Indexes of PATCHES grouped by _one_file, joined transitively (union-find), in catalog order."""
    parent = list(range(len(patches)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(patches)):
        for j in range(i):
            if _one_file(patches[i], patches[j]):
                parent[root(i)] = root(j)
    out: dict[int, list[int]] = {}
    for i in range(len(patches)):
        out.setdefault(root(i), []).append(i)
    return list(out.values())


def _build(catalog: Catalog, patches: list[Patch]) -> Build:
    """PATCHES, one file: named and ordered by the bulletin that offered it first."""
    def posted(p: Patch) -> tuple[dt.date, str]:
        date = catalog.bulletins[p.bulletin_id].date_posted if p.bulletin_id in catalog.bulletins else None
        return date or dt.date.max, p.bulletin_id

    ordered = sorted(patches, key=posted)
    products = dict.fromkeys(catalog.products[a.product_id].name.strip() for p in ordered for a in p.affected
                             if a.product_id in catalog.products)
    first = ordered[0]
    return Build(first.name.strip(), tuple((p.bulletin_id, p.name) for p in ordered),
                 (first.url or "").strip() or None, tuple(products))


def _placed(catalog: Catalog, builds: list[Build]) -> list[Build]:
    """BUILDS of one name, each with a tag and its place. Builds for the same products add their service
    packs where those tell them apart (IE501-GOLD, IE501-SP1); a folder still shared gets a number."""
    tags = [_product_tags(b) for b in builds]
    for same in _clashes(tags, [""] * len(builds)):
        sps = {i: _sp_tags(catalog, builds[i]) for i in same}
        if len(set(sps.values())) > 1:
            tags = [f"{t}-{sps[i]}" if i in sps else t for i, t in enumerate(tags)]
    for same in _clashes(tags, [b.bulletins[0] for b in builds]):
        tags = [f"{t}-{same.index(i) + 1}" if i in same else t for i, t in enumerate(tags)]
    return [Build(b.name, b.entries, b.url, b.products, t, f"{b.bulletins[0]}\\{t}\\{b.name}")
            for b, t in zip(builds, tags, strict=True)]


def _clashes(tags: list[str], folders: list[str]) -> list[list[int]]:
    """Groups of indexes (two or more) whose folder and tag are the same, without case."""
    groups: dict[tuple[str, str], list[int]] = {}
    for i, key in enumerate(zip(folders, tags, strict=True)):
        groups.setdefault((key[0].casefold(), key[1].casefold()), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def _product_tags(build: Build) -> str:
    table = load_tags()
    return "_".join(sorted({table.get(p) or derived_tag(p) for p in build.products})) or "ANY"


def derived_tag(product: str) -> str:
    """A short tag from a product name the table lacks: initials, acronyms and numbers (Win2K -> W2K)."""
    words = re.findall(r"[A-Z]{2,}(?![a-z])|[A-Za-z]+|\d+(?:\.\d+)*", product)
    tag = "".join(w.replace(".", "") if w[0].isdigit() else w if w.isupper() else w[0].upper() for w in words)
    return tag[:12] or "PRODUCT"


def _sp_tags(catalog: Catalog, build: Build) -> str:
    entries = set(build.entries)
    ids = sorted({sp for p in catalog.patches() if (p.bulletin_id, p.name) in entries for sp in
                  (s for a in p.affected for s in a.service_pack_ids)})
    return "_".join(dict.fromkeys(sp_tag(catalog.service_packs[i].name if i in catalog.service_packs else "", i)
                                  for i in ids)) or "ANY"


def sp_tag(name: str, sp_id: int) -> str:
    """SP1, SR2, SP6A, GOLD from a catalog service pack name; else the catalog's ID."""
    m = re.search(r"\b(service pack|sp|sr)\s*-?\s*(\d+[a-z]?)\b", name, re.I)
    if m:
        return ("SR" if m.group(1).casefold() == "sr" else "SP") + m.group(2).upper()
    return "GOLD" if re.search(r"\bgold\b", name, re.I) else f"SP{sp_id}"
