"""The packages under hotfixes\\: found by file name, without case, anywhere below the folder."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.share import Share


@dataclass
class PackageIndex:
    """casefolded file name -> path below hotfixes\\ (backslashes); the first one found wins."""

    root: Path
    paths: dict[str, str] = field(default_factory=dict)
    stats: list[tuple[str, int, int]] = field(default_factory=list)

    def find(self, name: str) -> str | None:
        return self.paths.get(name.strip().casefold())

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
            index.paths.setdefault(name.strip().casefold(), rel)
    return index
