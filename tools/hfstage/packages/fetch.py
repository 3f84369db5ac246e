"""The fetch list: every build the scripts need that hotfixes\\ lacks, where the catalog says to get it,
and exactly where its file goes on the share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from hfstage.assess import KIND_SERVICE_PACK
from hfstage.packages.index import PackageIndex
from hfstage.packages.target import language_name


@dataclass(frozen=True)
class MissingPackage:
    """A package the scripts need that is not under hotfixes\\, where it goes and where to get it."""

    bulletin: str
    qnumber: str
    file: str
    location: str
    machines: int
    place: str  # hotfixes\<BulletinID>\<tag>\<file> for a build of a shared name, else hotfixes\<file>
    names: tuple[str, ...] = field(default=(), compare=False)  # the machines that need it
    languages: str = field(default="", compare=False)  # what those machines run in: "English (0409) 3, ..."

    def line(self) -> str:
        return "\t".join((self.bulletin, self.qnumber, self.file, self.location, str(self.machines), self.place,
                          self.languages or "-"))


# new columns go last, so the columns of earlier versions keep their positions
FETCH_HEADER = ("bulletin\tq/kb\tfile\twhere the catalog says to get it\tmachines that need it\t"
                "put it here (a file name of one build may go in any folder below hotfixes\\)\t"
                "the machines' languages (catalogs and packages are per language: fetch the build in each)")


def with_languages(fetch: list[MissingPackage], languages: dict[str, str | None]) -> list[MissingPackage]:
    """FETCH with the languages its machines run in (LANGUAGES: machine -> language ID as four hex digits,
    from the machine's hives), most machines first; a machine whose language was not read counts as not read."""
    out = []
    for m in fetch:
        counts: dict[str, int] = {}
        for machine in m.names:
            code = languages.get(machine)
            label = language_name(int(code, 16)) if code else "not read"
            counts[label] = counts.get(label, 0) + 1
        text = ", ".join(f"{label} {n}" for label, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(replace(m, languages=text))
    return out


def fetch_list(missing: list, catalog, packages: PackageIndex,
               service_packs: dict[str, str] | None = None) -> list[MissingPackage]:
    """Every build missing findings need that hotfixes\\ lacks (MISSING: the scan's missing findings, patches
    and service packs; SERVICE_PACKS: site.ini's package per OS product, casefolded), one line per build."""
    patches = {(p.bulletin_id, p.name): p for p in catalog.patches()}
    resolved: dict[tuple[str, str], tuple] = {}  # (bulletin, patch) -> its catalog entry and package: once each
    needed: dict[str, tuple] = {}
    machines: dict[str, set[str]] = {}
    for f in missing:
        if f.kind == KIND_SERVICE_PACK:
            product = re.sub(r" SP\w+$", "", f.product)  # the finding names the product at its level
            package = (service_packs or {}).get(product.casefold())
            if package is not None and not packages.named(package).missing:
                continue
            key = (package or f"{f.patch} for {product}").casefold()
            needed.setdefault(key, ("SP", "-", package or f"({f.patch} for {product})",
                                    "your service pack media" if package else
                                    f"site.ini [service_packs] names no package for {product}",
                                    f"hotfixes\\{package}" if package else "-"))
        else:
            entry = (f.bulletin, f.patch)
            if entry not in resolved:  # 5,000 machines miss a few dozen patches between them
                patch = patches.get(entry)
                resolved[entry] = (patch, packages.package(*entry) if patch is not None else None)
            patch, pkg = resolved[entry]
            if pkg is None or not pkg.missing:
                continue
            key = pkg.key
            needed.setdefault(key, (f.bulletin, patch.sq_number or f.qnumber or "-", pkg.name,
                                    (patch.url or "").strip() or "-", f"hotfixes\\{pkg.place}"))
        machines.setdefault(key, set()).add(f.machine)
    return [MissingPackage(*needed[k][:4], len(machines[k]), needed[k][4], tuple(sorted(machines[k])))
            for k in sorted(needed, key=lambda k: (needed[k][0], k))]


def tool_list(tools: dict[str, list[str]], sources: dict[str, str]) -> list[MissingPackage]:
    """The chaining and reboot tools scripts need that hotfixes\\ lacks (TOOLS: machine -> tool names), one line
    per tool, in the fetch list's columns (SOURCES: installers.json's tool_sources)."""
    machines: dict[str, set[str]] = {}
    for machine, names in tools.items():
        for name in names:
            machines.setdefault(name.casefold(), set()).add(machine)
    return [MissingPackage("tool", "-", name, sources.get(name, "-"), len(machines[name]), f"hotfixes\\{name}")
            for name in sorted(machines)]
