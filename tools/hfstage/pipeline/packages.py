"""`hfstage packages`: every package the current plan needs, what it is, and whether scripts run it;
`packages confirm` (an admin vouches for a package's kind and bytes) and `packages verify`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from hfstage.assess import KIND_PATCH
from hfstage.errors import UsageError
from hfstage.history import FULL
from hfstage.packages import (
    FETCH_HEADER,
    MissingPackage,
    Package,
    PackageBook,
    decide,
    fetch_list,
    load_engines,
    load_installers,
    with_languages,
)
from hfstage.pipeline.site import Site
from hfstage.scripts import os_key
from hfstage.share import PUBLIC, atomic_write_text

MISSING_PACKAGES = "missing-packages.txt"


@dataclass
class PackageRow:
    bulletin: str
    qnumber: str
    file: str
    found: str | None  # path below hotfixes\, or None
    place: str = ""  # where its file goes: its build's folder, or hotfixes\<file> (any folder)
    candidates: list[str] = field(default_factory=list)  # files that could be it (two: held back)
    size: int | None = None
    sha256: str | None = None
    signer: str = ""
    kind: str | None = None
    switches: str = ""
    source: str = ""  # site.ini, package, product, name, default
    why: str = ""
    confirmed: bool = False
    scripted: bool = False
    problem: str | None = None
    machines: int = 0


@dataclass
class PackagesReport:
    rows: list[PackageRow] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    fetch: list[MissingPackage] = field(default_factory=list)
    fetch_path: Path | None = None

    @property
    def counts(self) -> dict[str, int]:
        """detected (the package showed its engine), confirmed (site.ini, package or admin), guessed."""
        found = [r for r in self.rows if r.found]
        return {"needed": len(self.rows), "found": len(found),
                "detected": sum(r.source == "package" for r in found),
                "confirmed": sum(r.confirmed for r in found),
                "guessed": sum(r.source in ("product", "name", "default") for r in found),
                "scripted": sum(r.scripted for r in found)}

    def to_dict(self) -> dict:
        return {"packages": [asdict(r) for r in self.rows], "changed": self.changed, "counts": self.counts,
                "fetch_list": str(self.fetch_path) if self.fetch_path else None}


def packages_report(site: Site, write_fetch_list: bool = False) -> PackagesReport:
    """One row per package the latest full scan's missing patches (and site.ini's service packs) need."""
    latest = site.history.latest_scan(FULL)
    if latest is None:
        raise UsageError(f"{site.share.state}: no full scan recorded yet; run `hfstage scan {site.share.root}` first")
    book = site.book
    families = {r.machine: ("9x" if os_key(r.os, site.rules) in ("9x", "95") else "NT")
                for r in site.history.machines(latest.id)}
    missing = [f for f in site.history.findings(latest.id, "missing") if f.kind == KIND_PATCH]
    patches = {(p.bulletin_id, p.name): p for p in site.catalog.patches()}
    rows: dict[str, PackageRow] = {}  # one per build (its identity), not per file name
    for f in missing:
        patch = patches.get((f.bulletin, f.patch))
        if patch is None:
            continue
        pkg = book.index.package(f.bulletin, f.patch)
        if pkg.key not in rows:
            rows[pkg.key] = _row(book, f.bulletin, patch.sq_number or f.qnumber or "-", pkg, f.product,
                                 families.get(f.machine, "NT"))
        rows[pkg.key].machines += 1
    for product, package in sorted(_service_packs(site).items()):
        pkg = book.index.named(package)
        rows.setdefault(pkg.key, _row(book, "SP", "-", pkg, product, "NT", ("servicepack", "[service_packs] names it")))
    report = PackagesReport(sorted(rows.values(), key=lambda r: (r.bulletin, r.file.casefold(), r.place.casefold())),
                            book.changed())
    report.fetch = fetch_languages(site, site.history.machines(latest.id), fetch_list(
        site.history.findings(latest.id, "missing"), site.catalog, book.index, site.scripts.service_packs))
    if write_fetch_list:
        report.fetch_path = write_fetch(site, report.fetch)
    with site.share.lock():
        book.save()
    return report


def _service_packs(site: Site) -> dict[str, str]:
    return {e.key.strip(): str(e.value).strip() for e in site.config.section("service_packs")}


def _row(book: PackageBook, bulletin: str, qnumber: str, pkg: Package, product: str, family: str,
         kind: tuple[str, str] | None = None) -> PackageRow:
    name = pkg.name
    row = PackageRow(bulletin, qnumber, name, pkg.rel, f"hotfixes\\{pkg.place}", list(pkg.candidates))
    if row.found is None:
        row.problem = pkg.problem or "not under hotfixes\\ (see the fetch list: --missing)"
        return row
    verdict = book.verdict(pkg, product, family, kind)
    facts, decision = verdict.facts, verdict.decision
    row.size, row.sha256 = (facts.size, facts.sha256) if facts else (None, None)
    if facts is not None and facts.signed:
        row.signer = (facts.signer or "?") + ("" if facts.signature_intact else " (signature broken)") + (
            "" if facts.signature_ok or not facts.signature_intact else " (not trusted here)")
    else:
        row.signer = "unsigned"
    row.kind, row.source, row.why = decision.kind, decision.source, decision.why
    table = load_installers()
    if decision.switches is not None:
        row.switches = f"{name} {decision.switches}"
    elif decision.confirmed and (table["kinds"].get(decision.kind or "") or {}).get("install"):
        row.switches = table["kinds"][decision.kind]["install"].replace('"{file}"', name)
    elif not decision.confirmed:
        row.kind = f"{decision.kind}?" if decision.kind else None  # a guess is shown as one, with no switches
    row.confirmed = decision.confirmed or bool(verdict.pinned and verdict.pinned.get("by") == "admin"
                                               and facts is not None and verdict.pinned["sha256"] == facts.sha256)
    row.scripted, row.problem = verdict.scripted, verdict.problem
    return row


def fetch_languages(site: Site, rows: list, fetch: list[MissingPackage], fresh: dict | None = None,
                    known: dict[str, str | None] | None = None) -> list[MissingPackage]:
    """FETCH with the languages its machines run in (ROWS: the scan's machines; FRESH: assessments made in this
    run; KNOWN: languages of the scan's assessments read already, by machine), read from the assessments of
    those machines only: catalogs and packages are per language."""
    wanted = {name for m in fetch for name in m.names}
    fresh, known = fresh or {}, {m: language for m, language in (known or {}).items() if m in wanted}
    keys = {r.machine: r.assessment_key for r in rows
            if r.machine in wanted and r.machine not in fresh and r.machine not in known}
    stored = site.history.assessments(keys.values())
    found = {**{m: stored.get(k) for m, k in keys.items()}, **{m: a for m, a in fresh.items() if m in wanted}}
    return with_languages(fetch, known | {m: a.language if a is not None else None for m, a in found.items()})


def write_fetch(site: Site, fetch: list[MissingPackage]) -> Path:
    """SHARE\\reports\\missing-packages.txt: what the admin carries in next (removed when nothing is missing)."""
    path = site.share.folder("reports") / MISSING_PACKAGES
    if fetch:
        atomic_write_text(path, "\n".join([FETCH_HEADER, *(m.line() for m in fetch)]) + "\n", PUBLIC)
    else:
        path.unlink(missing_ok=True)
    return path


def packages_confirm(site: Site, files: list[str], kind: str | None = None) -> list[str]:
    """Pin each FILE as confirmed by an admin, with its SHA-256. KIND: the installer kind the admin names; required
    when neither site.ini nor the package itself shows one (a guess is never confirmed as it stands)."""
    table = load_installers()
    if kind is not None and kind not in table["kinds"]:
        raise UsageError(f"--kind {kind}: use one of {', '.join(table['kinds'])}")
    book = site.book
    out = []
    with site.share.lock():
        for given in files:
            pkg = book.index.given(given)
            if pkg is None:  # a name several builds share: which one did the admin check?
                raise UsageError(f"{given}: several builds share that name; confirm the one you checked by its "
                                 f"place: {' or '.join(book.index.places(given))}")
            if pkg.rel is None:
                raise UsageError(f"{given}: {pkg.problem}" if pkg.problem else
                                 f"{site.share.folder('hotfixes')}: no package named {given}")
            facts = book.facts_at(pkg.rel, pkg.name)
            if facts.problem:
                raise UsageError(f"{pkg.rel}: refused: {facts.problem}")
            named = _named_kind(book, pkg, given, kind)
            pin = book.pin(pkg, "admin", named)
            out.append(f"confirmed {pkg.rel}: SHA-256 {pin['sha256']} ({facts.size} bytes)"
                       + (f", installs as {named}" if named else ""))
        book.save()
    return out


def _named_kind(book: PackageBook, pkg: Package, given: str, kind: str | None) -> str | None:
    """The kind an admin's confirmation records: KIND, needed when the package itself and site.ini do not say."""
    settled = decide(pkg.name, "", "", book.facts_at(pkg.rel, pkg.name), load_installers(), load_engines(),
                     book.site_kinds, book.site_switches, pkg.place)
    if settled.confirmed and (settled.kind is not None or settled.switches is not None):
        if kind is not None and kind != settled.kind:
            raise UsageError(f"{given}: its kind is {settled.kind or 'given by [switches]'} ({settled.source}: "
                             f"{settled.why}); --kind {kind} does not change it (use site.ini [installers])")
        return None
    if kind is None:
        raise UsageError(f"{given}: hfstage cannot tell its installer kind from the package ({settled.why}); "
                         f"name it: `hfstage packages confirm SHARE {given} --kind KIND` (one of "
                         f"{', '.join(k for k, v in load_installers()['kinds'].items() if v.get('install'))})")
    return kind


def packages_verify(site: Site) -> list[str]:
    """Pinned packages whose bytes changed on the share since they were confirmed."""
    return site.book.changed()
