"""The packages under hotfixes\\: found by file name, without case, anywhere below the folder."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import KIND_SERVICE_PACK
from hfstage.share import Share


@dataclass
class PackageIndex:
    """casefolded file name -> path below hotfixes\\ (backslashes); the first one found wins."""

    root: Path
    paths: dict[str, str] = field(default_factory=dict)
    stats: list[tuple[str, int, int]] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)  # casefolded file name -> bytes

    def find(self, name: str) -> str | None:
        return self.paths.get(name.strip().casefold())

    def identity(self, name: str) -> str | None:
        """What the client's markers record for package NAME: its file name and size, so a revised
        package under the same name is a different package."""
        size = self.sizes.get(name.strip().casefold())
        return None if size is None else f"{name.strip()} {size}"

    def fingerprint(self) -> str:
        return hashlib.sha256(repr(sorted(self.stats)).encode()).hexdigest()


def package_index(share: Share) -> PackageIndex:
    root = share.folder("hotfixes")
    index = PackageIndex(root)
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder) / name
            if path.is_symlink() or not path.is_file():
                continue
            rel = "\\".join(path.relative_to(root).parts)
            st = path.stat()
            index.stats.append((rel, st.st_size, st.st_mtime_ns))
            if name.strip().casefold() not in index.paths:
                index.paths[name.strip().casefold()] = rel
                index.sizes[name.strip().casefold()] = st.st_size
    return index


@dataclass(frozen=True)
class MissingPackage:
    """A package the scripts need that is not under hotfixes\\, and where the catalog says to get it."""

    bulletin: str
    qnumber: str
    file: str
    location: str
    machines: int

    def line(self) -> str:
        return "\t".join((self.bulletin, self.qnumber, self.file, self.location, str(self.machines)))


FETCH_HEADER = "bulletin\tq/kb\tfile\twhere the catalog says to get it\tmachines that need it"


def fetch_list(missing: list, catalog, packages: PackageIndex,
               service_packs: dict[str, str] | None = None) -> list[MissingPackage]:
    """Every package missing findings need that hotfixes\\ lacks (MISSING: the scan's missing findings,
    patches and service packs; SERVICE_PACKS: site.ini's package per OS product, casefolded)."""
    patches = {(p.bulletin_id, p.name): p for p in catalog.patches()}
    needed: dict[str, tuple] = {}
    counts: dict[str, int] = {}
    for f in missing:
        if f.kind == KIND_SERVICE_PACK:
            product = re.sub(r" SP\w+$", "", f.product)  # the finding names the product at its level
            package = (service_packs or {}).get(product.casefold())
            if package is not None and packages.find(package) is not None:
                continue
            key = (package or f"{f.patch} for {product}").casefold()
            needed.setdefault(key, ("SP", "-", package or f"({f.patch} for {product})",
                                    "your service pack media" if package else
                                    f"site.ini [service_packs] names no package for {product}"))
        else:
            patch = patches.get((f.bulletin, f.patch))
            if patch is None or packages.find(patch.name) is not None:
                continue
            key = patch.name.strip().casefold()
            needed.setdefault(key, (f.bulletin, patch.sq_number or "-", patch.name.strip(), patch.url or "-"))
        counts[key] = counts.get(key, 0) + 1
    return [MissingPackage(*needed[k], counts[k]) for k in sorted(needed, key=lambda k: (needed[k][0], k))]
