"""The share's record of its packages: what each is (facts, remembered in the package-facts memo), and
which ones an admin or the package itself confirmed, pinned by SHA-256 (state\\packages.json).

A package whose kind is only a guess, or whose bytes changed since it was confirmed, is
not scripted: a guess never reaches 2,000 clients unseen, and neither does a swapped file.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.cab import TrustStore, load_trust
from hfstage.catalog import Catalog
from hfstage.errors import InputError, StateError, os_fault
from hfstage.packages.decide import Decision, decide, load_engines, load_installers
from hfstage.packages.index import Package, PackageIndex, package_index
from hfstage.packages.inspect import PackageFacts, inspect_package
from hfstage.share import PACKAGE_FACTS, PINS, PRIVATE, Record, Share, atomic_write_text, fingerprint, read_input

MAX_PACKAGE_BYTES = 2 * 1024**3


@dataclass
class Verdict:
    """Whether a script may run the package, and if not, what the admin must do."""

    decision: Decision
    facts: PackageFacts | None
    problem: str | None = None  # None: scripted
    pinned: dict | None = None

    @property
    def scripted(self) -> bool:
        return self.problem is None


@dataclass
class PackageBook:
    share: Share
    index: PackageIndex
    site_kinds: dict[str, str] = field(default_factory=dict)
    site_switches: dict[str, str] = field(default_factory=dict)
    pins: dict[str, dict] = field(default_factory=dict)
    _facts: dict[str, PackageFacts] = field(default_factory=dict)
    _memo: Record | None = None
    _store: TrustStore | None = None
    _trust_key: str = ""
    _dirty: bool = False
    _verdicts: dict[tuple, Verdict] = field(default_factory=dict)

    def facts(self, name: str) -> PackageFacts | None:
        """The facts of the first file named NAME (a tool: qchain.exe, shutdown.exe); None: not there."""
        rel = self.index.find(name)
        return None if rel is None else self.facts_at(rel, name)

    def facts_at(self, rel: str, name: str) -> PackageFacts:
        """The facts of file REL below hotfixes\\ (package NAME), read once per content."""
        if rel.casefold() in self._facts:
            return self._facts[rel.casefold()]
        stat = self.index.stat(rel)
        key = PACKAGE_FACTS.key(rel, stat[1], stat[2], self._trust_key) if stat is not None else None
        known = self._memo.fresh(rel, key) if key is not None and self._memo is not None else None
        if isinstance(known, dict):
            facts = PackageFacts.from_dict(known)
        else:
            path = self.index.root.joinpath(*rel.split("\\"))
            try:
                data = read_input(path, MAX_PACKAGE_BYTES, "package")
            except InputError as e:
                facts = PackageFacts(name.strip(), 0, "", "other", problem=str(e))
            else:
                facts = inspect_package(name.strip(), data, self._trust())
            if key is not None and self._memo is not None:
                self._memo.put(rel, key, facts.to_dict())
        self._facts[rel.casefold()] = facts
        return facts

    def verdict(self, pkg: Package, product: str, family: str, kind: tuple[str, str] | None = None) -> Verdict:
        """How package PKG (for a patch of PRODUCT on FAMILY) installs, and whether scripts may run it.

        KIND: (kind, why) that site.ini settles otherwise (a [service_packs] entry)."""
        key = (pkg.key, pkg.rel, pkg.problem, product, family, kind)
        if key not in self._verdicts:
            self._verdicts[key] = self._verdict(pkg, product, family, kind)
        return self._verdicts[key]

    def _verdict(self, pkg: Package, product: str, family: str, kind: tuple[str, str] | None) -> Verdict:
        facts = self.facts_at(pkg.rel, pkg.name) if pkg.rel else None
        decision = Decision(kind[0], "site.ini", kind[1]) if kind else decide(
            pkg.name, product, family, facts, load_installers(), load_engines(), self.site_kinds, self.site_switches,
            pkg.place)
        pin = self.pins.get(pkg.key)
        if (not decision.confirmed or decision.kind is None) and decision.switches is None and pin is not None \
                and pin.get("by") == "admin" and pin.get("kind"):
            decision = Decision(pin["kind"], "admin", f"an admin named its kind on {pin['at'][:10]}")
        verdict = Verdict(decision, facts, pinned=pin)
        verdict.problem = self._problem(pkg, facts, decision, pin)
        return verdict

    def _problem(self, pkg: Package, facts: PackageFacts | None, decision: Decision, pin: dict | None) -> str | None:
        """Why scripts may not run the package yet (None: they may)."""
        if pkg.problem:
            return pkg.problem
        if facts is None:
            return "not under hotfixes\\" + (f" (it goes in hotfixes\\{pkg.place})" if pkg.place != pkg.name else "")
        if facts.problem:
            return f"refused: {facts.problem}"
        if facts.signed and not facts.signature_intact:
            return "refused: its signature is broken (the file was changed after it was signed)"
        if pin is not None and pin["sha256"] != facts.sha256:
            return (f"changed on the share since it was confirmed ({pin['at'][:10]}, SHA-256 "
                    f"{pin['sha256'][:16]}...): check it, then `hfstage packages confirm`")
        if decision.switches is not None:
            return None
        if not decision.confirmed:
            return guess_problem(decision, pkg, pin)
        if decision.kind is None or not (load_installers()["kinds"].get(decision.kind) or {}).get("install"):
            what = load_installers()["kinds"].get(decision.kind or "", {}).get("about") or decision.why
            return (f"no silent switches are known for it ({what}): give [switches] in site.ini, or name its kind "
                    "with `hfstage packages confirm --kind`")
        return None

    def pin(self, pkg: Package, by: str, kind: str | None = None) -> dict | None:
        """Record the SHA-256 of PKG's file as confirmed BY the package, site.ini or an admin (who names its
        KIND when the package does not show it)."""
        facts = self.facts_at(pkg.rel, pkg.name) if pkg.rel else None
        if facts is None or facts.problem:
            return None
        entry = {"file": pkg.name, "path": pkg.rel, "sha256": facts.sha256, "size": facts.size, "by": by,
                 "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        if kind is not None:
            entry["kind"] = kind
        old = self.pins.get(pkg.key)
        if old is None or old["sha256"] != facts.sha256 or (by == "admin" and (
                old.get("by") != "admin" or old.get("kind") != kind)):
            self.pins[pkg.key] = entry
            self._dirty = True
            self._verdicts.clear()
        return self.pins[pkg.key]

    def note_scripted(self, pkg: Package, verdict: Verdict) -> None:
        """A package a script now runs is pinned, so a later swap of its bytes is caught."""
        if verdict.scripted and verdict.pinned is None:
            self.pin(pkg, verdict.decision.source)

    def fingerprint(self) -> str:
        """What the scripts' verdicts rest on besides the files: the admins' confirmations (the pins a
        package or site.ini earned by itself change no verdict)."""
        admin = {k: [v["sha256"], v.get("kind")] for k, v in self.pins.items() if v.get("by") == "admin"}
        return fingerprint(admin)

    def rollback_method(self, bulletin: str, patch_name: str, product: str, qnumber: str | None) -> str:
        """How catalog entry (BULLETIN, PATCH_NAME) for PRODUCT is removed: the uninstall command of the kind the
        scripts decide for it (site.ini's [installers], the package on the share, else its name and product), as
        the plan shows it."""
        table = load_installers()
        kind = self.verdict(self.index.package(bulletin, patch_name), product, "NT").decision.kind or "hotfix"
        uninstall = table["kinds"].get(kind, {}).get("uninstall")
        if not uninstall:
            return f"manual ({kind} packages have no uninstall switch)"
        number = (qnumber or "").upper().lstrip("QKB") or "nnnnnn"
        line = f"{kind}: " + uninstall.replace('"{file}"', patch_name)
        if "%HF_UNDIR%" in line:
            line = line.replace("%HF_UNDIR%", f"%SystemRoot%\\$NtUninstallKB{number}$") + \
                f" (or $NtUninstallQ{number}$)"
        return line

    def package_date(self, pkg: Package) -> str | None:
        """When the package was made, as far as it says: its signature's time (YYYY-MM-DD)."""
        facts = self.facts_at(pkg.rel, pkg.name) if pkg.rel else None
        return facts.signed_at[:10] if facts is not None and facts.signed_at else None

    def changed(self) -> list[str]:
        """Pinned packages whose bytes on the share differ from the pin."""
        out = []
        for key, pin in sorted(self.pins.items()):
            rel = self._pinned_file(key, pin)
            facts = self.facts_at(rel, pin["file"]) if rel else None
            if facts is not None and not facts.problem and facts.sha256 != pin["sha256"]:
                shown = rel if "\\" in key else pin["file"]  # a build's place, or the name as always
                out.append(f"{shown}: changed since it was confirmed on "
                           f"{pin['at'][:10]} (SHA-256 was {pin['sha256']}, is {facts.sha256}); not scripted "
                           "until confirmed again")
        return out

    def _pinned_file(self, key: str, pin: dict) -> str | None:
        """The file a pin stands for now: a build's place (a key with a folder), or the one file of its name."""
        if "\\" in key:
            return next((r for r in self.index.files.get(key.rsplit("\\", 1)[-1], []) if r.casefold() == key), None)
        return self.index.named(str(pin.get("file", key))).rel

    def save(self) -> None:
        """Write the pins and the package facts read (caller holds the share lock)."""
        if self._memo is not None:
            self._memo.keep_only(s[0] for s in self.index.stats)  # files gone from hotfixes\ are forgotten
            self._memo.commit()  # facts, each under what it was read from: nothing else vouches by them
        if not self._dirty:
            return
        atomic_write_text(self.share.state_file(PINS), json.dumps({"pins": self.pins}, indent=1, sort_keys=True),
                          PRIVATE)
        self._dirty = False

    def _trust(self) -> TrustStore | None:
        if self._store is None:
            try:
                self._store = load_trust(self.share.folder("trust"))
            except InputError:
                return None
        return self._store


def guess_problem(decision: Decision, pkg: Package, pin: dict | None) -> str:
    """What holds back a package whose kind only a guess gives: the admin must name it."""
    named = pkg.place if pkg.place != pkg.name else pkg.name
    if decision.kind is None:
        return (f"its installer engine cannot be read from it ({decision.why}): no switches are given to a package "
                f"of unknown kind; check it, then `hfstage packages confirm SHARE {named} --kind KIND`")
    again = (" (confirmed before hfstage asked for the kind: confirm it again)"
             if pin and pin.get("by") == "admin" else "")
    return (f"its kind ({decision.kind}) is a guess from its {decision.source} ({decision.why}){again}: check it, "
            f"then `hfstage packages confirm SHARE {named} --kind {decision.kind}`")


def _trust_key(share: Share) -> str:
    """What the trust folder holds: a signature verdict cached under another trust store is not reused."""
    parts = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in share.folder("trust").iterdir()
                   if p.is_file())
    return fingerprint(parts)


def package_book(share: Share, site_kinds: dict[str, str] | None = None,
                 site_switches: dict[str, str] | None = None, index: PackageIndex | None = None,
                 catalog: Catalog | None = None) -> PackageBook:
    """The book of SHARE's packages with site.ini's kinds and switches (casefolded package name keys), each
    catalog build found by its identity in CATALOG."""
    book = PackageBook(share, index or package_index(share, catalog), dict(site_kinds or {}),
                       dict(site_switches or {}))
    book._trust_key = _trust_key(share)
    book.pins = _read_pins(share.state_file(PINS))
    book._memo = share.record(PACKAGE_FACTS)
    return book


def _read_pins(path: Path) -> dict[str, dict]:
    """The confirmed packages' pins. Missing = none yet; damaged is an error, never an empty book:
    read as empty it would let a package changed on the share through as never confirmed."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as e:
        raise os_fault(path, e, "read") from e
    try:
        pins = json.loads(text).get("pins")
        if not isinstance(pins, dict) or not all(isinstance(p, dict) and isinstance(p.get("sha256"), str)
                                                 for p in pins.values()):
            raise ValueError("no 'pins' table of packages with their SHA-256")
    except (ValueError, AttributeError) as e:
        raise StateError(f"{path}: damaged ({e}); restore it from a backup, or delete it and confirm every "
                         "package again with `hfstage packages confirm`") from e
    return pins
