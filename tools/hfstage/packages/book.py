"""The share's record of its packages: what each is (facts, cached), and which ones an admin or the
package itself confirmed, pinned by SHA-256 (state\\packages.json).

A package whose kind is only a guess, or whose bytes changed since it was confirmed, is
not scripted: a guess never reaches 2,000 clients unseen, and neither does a swapped file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.cab import TrustStore, load_trust
from hfstage.errors import InputError, StateError, os_fault
from hfstage.packages.decide import Decision, decide, load_engines, load_installers
from hfstage.packages.index import PackageIndex, package_index
from hfstage.packages.inspect import PackageFacts, inspect_package
from hfstage.share import PRIVATE, Share, atomic_write_text, read_input

STATE_NAME = "packages.json"
FACTS_NAME = "package-facts.json"
FACTS_FORMAT = 1
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
    _cache: dict[str, list] = field(default_factory=dict)
    _store: TrustStore | None = None
    _trust_key: str = ""
    _dirty: bool = False
    _verdicts: dict[tuple, Verdict] = field(default_factory=dict)

    def facts(self, name: str) -> PackageFacts | None:
        """The facts of package NAME under hotfixes\\ (None: not there), read once per content."""
        key = name.strip().casefold()
        if key in self._facts:
            return self._facts[key]
        rel = self.index.find(name)
        if rel is None:
            return None
        stat = next((s for s in self.index.stats if s[0] == rel), None)
        cached = self._cache.get(rel)
        if stat is not None and cached and cached[:3] == [stat[1], stat[2], self._trust_key]:
            facts = PackageFacts.from_dict(cached[3])
        else:
            path = self.index.root.joinpath(*rel.split("\\"))
            try:
                data = read_input(path, MAX_PACKAGE_BYTES, "package")
            except InputError as e:
                facts = PackageFacts(name.strip(), 0, "", "other", problem=str(e))
            else:
                facts = inspect_package(name.strip(), data, self._trust())
            if stat is not None:
                self._cache[rel] = [stat[1], stat[2], self._trust_key, facts.to_dict()]
                self._dirty = True
        self._facts[key] = facts
        return facts

    def verdict(self, name: str, product: str, family: str, kind: tuple[str, str] | None = None) -> Verdict:
        """How package NAME (for a patch of PRODUCT on FAMILY) installs, and whether scripts may run it.

        KIND: (kind, why) that site.ini settles otherwise (a [service_packs] entry)."""
        key = (name.strip().casefold(), product, family, kind)
        if key not in self._verdicts:
            self._verdicts[key] = self._verdict(name, product, family, kind)
        return self._verdicts[key]

    def _verdict(self, name: str, product: str, family: str, kind: tuple[str, str] | None) -> Verdict:
        facts = self.facts(name)
        decision = Decision(kind[0], "site.ini", kind[1]) if kind else decide(
            name, product, family, facts, load_installers(), load_engines(), self.site_kinds, self.site_switches)
        pin = self.pins.get(name.strip().casefold())
        verdict = Verdict(decision, facts, pinned=pin)
        if facts is None:
            verdict.problem = "not under hotfixes\\"
        elif facts.problem:
            verdict.problem = f"refused: {facts.problem}"
        elif facts.signed and not facts.signature_intact:
            verdict.problem = "refused: its signature is broken (the file was changed after it was signed)"
        elif pin is not None and pin["sha256"] != facts.sha256:
            verdict.problem = (f"changed on the share since it was confirmed ({pin['at'][:10]}, SHA-256 "
                               f"{pin['sha256'][:16]}...): check it, then `hfstage packages confirm`")
        elif decision.kind is None and decision.switches is None:
            verdict.problem = f"no silent switches are known for it ({decision.why}): give [switches] in site.ini"
        elif not decision.confirmed and not (pin is not None and pin.get("by") == "admin"):
            verdict.problem = (f"its kind ({decision.kind}) is a guess from its {decision.source} ({decision.why}): "
                               "check it, then `hfstage packages confirm`")
        return verdict

    def pin(self, name: str, by: str) -> dict | None:
        """Record package NAME's SHA-256 as confirmed BY the package, site.ini or an admin."""
        facts = self.facts(name)
        if facts is None or facts.problem:
            return None
        entry = {"file": name.strip(), "sha256": facts.sha256, "size": facts.size, "by": by,
                 "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}
        old = self.pins.get(name.strip().casefold())
        if old is None or old["sha256"] != facts.sha256 or (by == "admin" and old.get("by") != "admin"):
            self.pins[name.strip().casefold()] = entry
            self._dirty = True
            self._verdicts.clear()
        return self.pins[name.strip().casefold()]

    def note_scripted(self, name: str, verdict: Verdict) -> None:
        """A package a script now runs is pinned, so a later swap of its bytes is caught."""
        if verdict.scripted and verdict.pinned is None:
            self.pin(name, verdict.decision.source)

    def fingerprint(self) -> str:
        """What the scripts' verdicts rest on besides the files: the admins' confirmations (the pins a
        package or site.ini earned by itself change no verdict)."""
        admin = {k: v["sha256"] for k, v in self.pins.items() if v.get("by") == "admin"}
        return hashlib.sha256(json.dumps(admin, sort_keys=True).encode()).hexdigest()

    def package_date(self, name: str) -> str | None:
        """When the package was made, as far as it says: its signature's time (YYYY-MM-DD)."""
        facts = self.facts(name)
        return facts.signed_at[:10] if facts is not None and facts.signed_at else None

    def changed(self) -> list[str]:
        """Pinned packages whose bytes on the share differ from the pin."""
        out = []
        for _, pin in sorted(self.pins.items()):
            facts = self.facts(pin["file"])
            if facts is not None and not facts.problem and facts.sha256 != pin["sha256"]:
                out.append(f"{pin['file']}: changed since it was confirmed on {pin['at'][:10]} (SHA-256 was "
                           f"{pin['sha256']}, is {facts.sha256}); not scripted until confirmed again")
        return out

    def save(self) -> None:
        """Write the pins and the facts cache (caller holds the share lock)."""
        if not self._dirty:
            return
        state = self.share.state
        atomic_write_text(state / STATE_NAME, json.dumps({"pins": self.pins}, indent=1, sort_keys=True), PRIVATE)
        atomic_write_text(state / FACTS_NAME, json.dumps({"format": FACTS_FORMAT, "facts": self._cache},
                                                         sort_keys=True), PRIVATE)
        self._dirty = False

    def _trust(self) -> TrustStore | None:
        if self._store is None:
            try:
                self._store = load_trust(self.share.folder("trust"))
            except InputError:
                return None
        return self._store


def _trust_key(share: Share) -> str:
    """What the trust folder holds: a signature verdict cached under another trust store is not reused."""
    parts = sorted((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in share.folder("trust").iterdir()
                   if p.is_file())
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def package_book(share: Share, site_kinds: dict[str, str] | None = None,
                 site_switches: dict[str, str] | None = None, index: PackageIndex | None = None) -> PackageBook:
    """The book of SHARE's packages with site.ini's kinds and switches (casefolded package name keys)."""
    book = PackageBook(share, index or package_index(share), dict(site_kinds or {}), dict(site_switches or {}))
    book._trust_key = _trust_key(share)
    book.pins = _read_pins(share.state / STATE_NAME)
    cache = _read(share, FACTS_NAME)
    book._cache = cache.get("facts", {}) if cache.get("format") == FACTS_FORMAT else {}
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


def _read(share: Share, name: str) -> dict:  # a cache: unreadable means empty
    try:
        data = json.loads((share.state / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
