"""Site policy from site.ini: products not run here, suppressed patches, baseline, severities.

    [not_applicable]          product name = reason      (never reported, whatever its severity)
    [suppress]                MSxx-yyy | Qnnnnnn | PatchName = reason   (HFNetChk's -fq list)
    [baseline]                patches = MS03-026, MS03-039, Q326830     (the -b list)
    [severity]                MSxx-yyy | Qnnnnnn | PatchName = Critical|Important|Moderate|Low
    [detection]               checksum = none | pe-header
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.catalog.model import Catalog, Patch
from hfstage.errors import InputError
from hfstage.share import Share

SEVERITIES = ("Critical", "Important", "Moderate", "Low", "Unrated")
PACKAGE_TESTING = Path(__file__).resolve().parents[1] / "data" / "testing.json"
CHECKSUM_MODES = ("none", "pe-header")


@dataclass
class SitePolicy:
    not_applicable: dict[str, str] = field(default_factory=dict)  # product name (lower) -> reason
    suppress: dict[str, str] = field(default_factory=dict)  # id (upper) -> reason
    baseline: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    checksum: str = "none"
    testing: dict = field(default_factory=lambda: load_testing(None))

    @staticmethod
    def _ids(patch: Patch) -> list[str]:
        return [i.upper() for i in (patch.bulletin_id, patch.sq_number or "", patch.name) if i]

    def suppressed(self, patch: Patch) -> str | None:
        return next((self.suppress[i] for i in self._ids(patch) if i in self.suppress), None)

    def in_baseline(self, patch: Patch) -> bool:
        return any(i in self.baseline for i in self._ids(patch))

    def product_reason(self, name: str) -> str | None:
        return self.not_applicable.get(name.strip().lower())

    def rate(self, patch: Patch, catalog: Catalog) -> str:
        """Site override first, then the catalog's MSSeverityID, else Unrated."""
        for i in self._ids(patch):
            if i in self.severity:
                return self.severity[i]
        name = catalog.ms_severities.get(patch.ms_severity_id) if patch.ms_severity_id else None
        return name.strip().title() if name and name.strip().title() in SEVERITIES else "Unrated"

    def phases(self, severity: str) -> list[str]:
        return list(self.testing["phases"].get(severity, self.testing["phases"]["Unrated"]))


def load_testing(path: Path | None) -> dict:
    source = path if path is not None and path.is_file() else PACKAGE_TESTING
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        assert isinstance(data["phases"]["Unrated"], list)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as e:
        raise InputError(f"{source}: cannot read the testing table: {e}") from e
    return data


def load_policy(share: Share) -> SitePolicy:
    """The share's site.ini policy sections (all optional)."""
    ini = share.config()
    policy = SitePolicy(testing=load_testing(share.folder("state") / "testing.json"))
    if ini.has_section("not_applicable"):
        section = ini["not_applicable"]
        policy.not_applicable = {k.strip().lower(): v.strip() or "site policy" for k, v in section.items()}
    if ini.has_section("suppress"):
        section = ini["suppress"]
        policy.suppress = {k.strip().upper(): v.strip() or "suppressed by site policy" for k, v in section.items()}
    raw = ini.get("baseline", "patches", fallback="")
    policy.baseline = {p.strip().upper() for p in re.split(r"[,\s]+", raw) if p.strip()}
    if ini.has_section("severity"):
        for key, value in ini["severity"].items():
            rating = value.strip().title()
            if rating not in SEVERITIES[:-1]:
                raise InputError(f"{share.site_ini}: [severity] {key} = {value!r}: use Critical, Important, "
                                 "Moderate or Low")
            policy.severity[key.strip().upper()] = rating
    policy.checksum = ini.get("detection", "checksum", fallback="none").strip().lower()
    if policy.checksum not in CHECKSUM_MODES:
        raise InputError(f"{share.site_ini}: [detection] checksum = {policy.checksum!r}: use "
                         f"{' or '.join(CHECKSUM_MODES)}")
    return policy
