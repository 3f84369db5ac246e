"""The packages under hotfixes\\: each catalog build found in its place, or by its name when the name is
one build in the catalog (any folder, as shares always had them); never a file that could be two."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.packages.builds import Build, BuildTable, catalog_builds
from hfstage.share import Share, fingerprint


@dataclass(frozen=True)
class Package:
    """A package a script may run: the file that is its build (REL), or why there is none to run."""

    name: str  # the file name the catalog (or site.ini) gives
    key: str  # its identity: pins and verdicts are keyed by it
    place: str  # where its file goes below hotfixes\: a build's own folder, or the bare name (any folder)
    rel: str | None = None  # the file below hotfixes\ (backslashes)
    candidates: tuple[str, ...] = ()  # files that could be it
    problem: str | None = None  # held back although files are there: two candidates, or one that could be two
    build: Build | None = None

    @property
    def missing(self) -> bool:
        """No file is in its place (for a build with one) or anywhere (for a name of one build): fetch it."""
        if self.build is not None and self.build.place is not None:
            return not any(c.casefold() == self.place.casefold() for c in self.candidates)
        return not self.candidates


@dataclass
class PackageIndex:
    """Every file below hotfixes\\, by file name without case; the catalog's builds when a catalog is known."""

    root: Path
    builds: BuildTable | None = None
    files: dict[str, list[str]] = field(default_factory=dict)  # casefolded name -> paths (backslashes)
    stats: list[tuple[str, int, int]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # casefolded path -> bytes
    _stats: dict[str, tuple[str, int, int]] | None = field(default=None, repr=False)
    # (bulletin, patch name) -> its package, found once (5,000 plans ask for the same few dozen); not init: an
    # index replace()d with other builds starts empty
    _packages: dict[tuple[str, str], Package] = field(default_factory=dict, init=False, repr=False, compare=False)

    def find(self, name: str) -> str | None:
        """The first file named NAME: for the tools a script takes from hotfixes\\ (qchain.exe, shutdown.exe)."""
        found = self.files.get(name.strip().casefold())
        return found[0] if found else None

    def stat(self, rel: str) -> tuple[str, int, int] | None:
        """(path, size, mtime) of file REL below hotfixes\\, as the index found it."""
        if self._stats is None:
            self._stats = {s[0]: s for s in self.stats}
        return self._stats.get(rel)

    def names(self) -> list[str]:
        return [paths[0].rsplit("\\", 1)[-1] for paths in self.files.values()]

    def package(self, bulletin: str, patch_name: str) -> Package:
        """The package of catalog entry (BULLETIN, PATCH_NAME): its build, in its place when it has one (found
        once per entry: the index is complete once made, and a Package is frozen)."""
        found = self._packages.get((bulletin, patch_name))
        if found is None:
            build = self.builds.of(bulletin, patch_name) if self.builds else None
            found = self.named(patch_name, build) if build is None or build.place is None else self._placed(build)
            self._packages[(bulletin, patch_name)] = found
        return found

    def named(self, name: str, build: Build | None = None) -> Package:
        """A package by its name alone, in any folder (site.ini's service packs; names of one build)."""
        name = name.strip()
        found = tuple(self.files.get(name.casefold(), []))
        pkg = Package(name, name.casefold(), name, candidates=found, build=build)
        if len(found) > 1:
            return replace(pkg, problem=f"two files for one package: {_both(found)} (names are compared without "
                                        "case): keep one")
        return replace(pkg, rel=found[0]) if found else pkg

    def given(self, text: str) -> Package | None:
        """The package an admin names: a build's place (MS00-047\\TSE\\Q269239i.exe) or a file name of one build
        (None: a name several builds share, given without its place)."""
        rel = text.replace("/", "\\").strip().strip("\\")
        if rel.casefold().startswith("hotfixes\\"):
            rel = rel[len("hotfixes\\"):]
        name = rel.rsplit("\\", 1)[-1]
        builds = self.builds.named(name) if self.builds else []
        if len(builds) > 1:
            build = next((b for b in builds if b.place and b.place.casefold() == rel.casefold()), None)
            return self._placed(build) if build else None
        return self.named(name, builds[0] if builds else None)

    def places(self, text: str) -> list[str]:
        """Where each build of file TEXT (a name or a path) goes, when several builds share its name."""
        builds = self.builds.named(text.replace("/", "\\").rsplit("\\", 1)[-1]) if self.builds else []
        return [f"hotfixes\\{b.place}" for b in builds if b.place] if len(builds) > 1 else []

    def identity(self, pkg: Package) -> str | None:
        """What the client's markers record for PKG: its file name and size, so a revised package under
        the same name is a different package."""
        size = self.sizes.get(pkg.rel.casefold()) if pkg.rel else None
        return None if size is None else f"{pkg.name} {size}"

    def fingerprint(self) -> str:
        places = self.builds.fingerprint() if self.builds else ""
        return fingerprint([sorted(self.stats), places])

    def _placed(self, build: Build) -> Package:
        """BUILD of a name several builds share: the file in its place, unless another file could be it."""
        place = build.place or build.name
        others = {b.place.casefold() for b in self.builds.named(build.name) if b.place} if self.builds else set()
        files = self.files.get(build.name.casefold(), [])
        mine = [r for r in files if r.casefold() == place.casefold()]
        strays = [r for r in files if r.casefold() not in others]
        pkg = Package(build.name, build.key, place, candidates=tuple(mine + strays), build=build)
        if len(pkg.candidates) > 1:
            return replace(pkg, problem=f"two files for one build: {_both(pkg.candidates)}: {build.label()} goes in "
                                        f"hotfixes\\{place} only; remove the other")
        if strays:
            builds = self.builds.named(build.name) if self.builds else [build]
            return replace(pkg, problem=f"hotfixes\\{strays[0]} could be any of the {len(builds)} builds of that name: "
                           + " or ".join(f"{b.label()} (hotfixes\\{b.place})" for b in builds)
                           + ": move it to its build's folder")
        return replace(pkg, rel=mine[0]) if mine else pkg


def _both(paths: tuple[str, ...]) -> str:
    return " and ".join(f"hotfixes\\{p}" for p in paths)


def package_index(share: Share, catalog: Catalog | None = None, files: PackageIndex | None = None) -> PackageIndex:
    """The files below SHARE's hotfixes\\ (no links, regular files only), with CATALOG's builds; FILES: an index of
    the same share made before (with another catalog, or none), whose walk is reused."""
    builds = catalog_builds(catalog) if catalog is not None else None
    if files is not None:
        return replace(files, builds=builds, _stats=None)
    root = share.folder("hotfixes")
    index = PackageIndex(root, builds)
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = "\\".join(path.relative_to(root).parts)
            st = path.stat()
            index.stats.append((rel, st.st_size, st.st_mtime_ns))
            index.files.setdefault(name.strip().casefold(), []).append(rel)
            index.sizes[rel.casefold()] = st.st_size
    return index
