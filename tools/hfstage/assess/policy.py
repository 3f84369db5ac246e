"""Site policy from site.ini: products not run here, suppressed patches, baseline, severities.

    [not_applicable]          product name = reason      (never reported, whatever its severity)
    [suppress]                MSxx-yyy | Qnnnnnn | PatchName = reason   (HFNetChk's -fq list)
    [baseline]                patches = MS03-026, MS03-039, Q326830     (the -b list)
    [severity]                MSxx-yyy | Qnnnnnn | PatchName = Critical|Important|Moderate|Low
    [detection]               checksum = none | pe-header

Every name is checked against the catalog before a month starts (`policy_problems`): a
typo would otherwise silently suppress nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from hfstage import resources
from hfstage.assess.model import SEVERITIES
from hfstage.catalog import Catalog, Patch
from hfstage.errors import InputError
from hfstage.share import SiteConfig, did_you_mean

TESTING_NAME = "testing.json"


@dataclass
class SitePolicy:
    not_applicable: dict[str, str] = field(default_factory=dict)  # product name (lower) -> reason
    suppress: dict[str, str] = field(default_factory=dict)  # id (upper) -> reason
    baseline: set[str] = field(default_factory=set)
    severity: dict[str, str] = field(default_factory=dict)
    checksum: str = "none"
    testing: dict = field(default_factory=lambda: load_testing(None))

    @staticmethod
    def ids(patch: Patch) -> list[str]:
        """The names a site.ini line may give PATCH by: its bulletin, its Q number, its file name."""
        return [i.upper() for i in (patch.bulletin_id, patch.sq_number or "", patch.name) if i]

    def suppressed(self, patch: Patch) -> str | None:
        return next((self.suppress[i] for i in self.ids(patch) if i in self.suppress), None)

    def in_baseline(self, patch: Patch) -> bool:
        return any(i in self.baseline for i in self.ids(patch))

    def product_reason(self, name: str) -> str | None:
        return self.not_applicable.get(name.strip().lower())

    def rate(self, patch: Patch, catalog: Catalog) -> str:
        """Site override first, then the catalog's MSSeverityID (Microsoft's rating), else Unrated."""
        for i in self.ids(patch):
            if i in self.severity:
                return self.severity[i]
        name = catalog.ms_severities.get(patch.ms_severity_id) if patch.ms_severity_id else None
        return name.strip().title() if name and name.strip().title() in SEVERITIES else "Unrated"

    def phases(self, severity: str) -> list[str]:
        return list(self.testing["phases"].get(severity, self.testing["phases"]["Unrated"]))

    def fingerprint(self) -> str:
        """What changes an assessment: every rule above, as stable text."""
        return json.dumps([sorted(self.not_applicable.items()), sorted(self.suppress.items()), sorted(self.baseline),
                           sorted(self.severity.items()), self.checksum, self.testing], sort_keys=True)


def load_testing(path: Path | None) -> dict:
    """The testing table (Table 6.2): a site's copy in state\\testing.json, else hfstage's."""
    site = path is not None and path.is_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8")) if site else resources.data_json(TESTING_NAME)
        if not isinstance(data["phases"]["Unrated"], list):
            raise TypeError("phases.Unrated is not a list")
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise InputError(f"{path if site else TESTING_NAME}: cannot read the testing table: {e}") from e
    return data


def load_policy(config: SiteConfig, testing_path: Path | None = None) -> SitePolicy:
    """The policy sections of a parsed site.ini (all optional)."""
    return SitePolicy(
        not_applicable={e.key.strip().lower(): str(e.value) or "site policy" for e in config.section("not_applicable")},
        suppress={e.key.strip().upper(): str(e.value) or "suppressed by site policy"
                  for e in config.section("suppress")},
        baseline={p.upper() for p in config.get("baseline", "patches")},
        severity={e.key.strip().upper(): str(e.value) for e in config.section("severity")},
        checksum=config.get("detection", "checksum"),
        testing=load_testing(testing_path),
    )


def policy_problems(config: SiteConfig, catalog: Catalog) -> list[str]:
    """Names in the policy sections that match nothing in CATALOG, each with file:line and a near miss."""
    ids = {i for p in catalog.patches() for i in SitePolicy.ids(p)}
    known_ids = sorted({p.bulletin_id for p in catalog.patches()} | {p.sq_number for p in catalog.patches()
                                                                       if p.sq_number})
    products = sorted({p.name.strip() for p in catalog.products.values()})
    problems = []
    for section in ("suppress", "severity"):
        for e in config.section(section):
            if e.key.strip().upper() not in ids:
                problems.append(f"{e.where}: [{section}] {e.key}: no bulletin, Q number or patch of that name in "
                                f"catalog {catalog.data_version}" + did_you_mean(e.key, known_ids))
    for name in config.get("baseline", "patches"):
        if name.upper() not in ids:
            problems.append(f"{config.where('baseline', 'patches')}: [baseline] {name}: no bulletin, Q number or "
                            f"patch of that name in catalog {catalog.data_version}" + did_you_mean(name, known_ids))
    lowered = {p.lower() for p in products}
    for e in config.section("not_applicable"):
        if e.key.strip().lower() not in lowered:
            problems.append(f"{e.where}: [not_applicable] {e.key}: the catalog names no such product"
                            + did_you_mean(e.key, products))
    return problems
