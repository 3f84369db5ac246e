"""Product detection rules (data/products.json) and the probe engine that applies them."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from hfstage import resources
from hfstage.errors import InputError, q
from hfstage.inventory.regtree import Hklm
from hfstage.share import SITE_RULES, Share
from hfstage.versions import parse_version

RULES_NAME = "products.json"


@dataclass(frozen=True)
class ProbeHit:
    """A probe that matched: the value it read and where, as evidence."""

    value: object
    evidence: str


def load_rules(site_rules: Path | None = None) -> dict:
    """The package's rules, or a site's copy when SITE_RULES exists."""
    if site_rules is not None and Path(site_rules).is_file():
        path = site_rules
        try:
            rules = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise InputError(f"{path}: cannot read product rules: {e}") from e
    else:
        path, rules = f"hfstage's {RULES_NAME}", resources.data_json(RULES_NAME)
    if not isinstance(rules, dict) or not isinstance(rules.get("os"), list) \
            or not isinstance(rules.get("applications"), list):
        raise InputError(f"{path}: product rules need 'os' and 'applications' lists")
    return rules


def site_rules_path(share: Share) -> Path:
    """Where a site keeps its own copy of the product rules (it wins over hfstage's)."""
    return share.state_file(SITE_RULES)


def load_site_rules(share: Share) -> dict:
    return load_rules(site_rules_path(share))


def _compare(value: object, rule: dict) -> bool:
    if "equals" in rule and value != rule["equals"] and str(value) != str(rule["equals"]):
        return False
    if "pattern" in rule and not re.search(rule["pattern"], str(value)):
        return False
    if "min" in rule or "below" in rule:
        version = parse_version(value)
        if version is None:
            return False
        if "min" in rule and version < parse_version(rule["min"]):
            return False
        if "below" in rule and version >= parse_version(rule["below"]):
            return False
    return True


def probe(hklm: Hklm, spec: dict, tests: dict | None = None) -> ProbeHit | None:
    """Read SPEC's key (and value); a hit when it exists and passes TESTS (default: SPEC's own)."""
    key = hklm.key(spec["key"])
    if key is None:
        return None
    if "value" not in spec:
        return ProbeHit(True, f"HKLM\\{spec['key']} exists")
    value = key.value(spec["value"])
    if value is None or not _compare(value, spec if tests is None else tests):
        return None
    return ProbeHit(value, f"HKLM\\{spec['key']}\\{spec['value']} = {q(value)}")


def match_application(hklm: Hklm, rule: dict) -> ProbeHit | None:
    """The main probe's hit when RULE's product is installed (its 'also'/'unless' agree)."""
    hit = probe(hklm, rule["probe"], rule)
    if hit is None:
        return None
    if any(probe(hklm, p) is None for p in rule.get("also", [])):
        return None
    if any(probe(hklm, p) is not None for p in rule.get("unless", [])):
        return None
    return hit


def service_pack_from(hklm: Hklm, spec: dict) -> int | None:
    """A service pack number read by a rule's 'service_pack' probe."""
    key = hklm.key(spec["key"])
    value = key.value(spec["value"]) if key is not None else None
    if not isinstance(value, str):
        return 0 if key is not None else None
    if "map" in spec:
        hits = [n for prefix, n in spec["map"].items() if value.strip().startswith(prefix)]
        return hits[0] if hits else None
    m = re.search(spec.get("pattern", r"(\d+)"), value)
    return int(m.group(1)) if m and m.group(1) else 0


ROOT = "{root}"  # in a rule with "instances": the registry root of one instance of the product
_INSTANCE_NAME = re.compile(r"^[A-Za-z_&][^\\/\s\"{}]{0,15}$")  # SQL Server 2000: 16 characters, letter, & or _


def instance_roots(hklm: Hklm, spec: dict) -> list[tuple[str | None, str]]:
    """(instance name, registry root) of the default instance and of each named one the machine lists.

    A name that cannot be an instance name (one any program could have written there) is skipped."""
    roots: list[tuple[str | None, str]] = [(None, spec["default"])]
    listed = hklm.value(spec["list"]["key"], spec["list"]["value"])
    names = listed if isinstance(listed, list) else [listed] if isinstance(listed, str) else []
    for name in dict.fromkeys(n.strip() for n in names if isinstance(n, str)):
        if name.upper() not in spec.get("default_names", []) and _INSTANCE_NAME.match(name):
            roots.append((name, spec["named"].replace("{instance}", name)))
    return roots


def at_root(rule: object, root: str) -> object:
    """RULE with {root} replaced by ROOT in every key."""
    if isinstance(rule, dict):
        return {k: at_root(v, root) for k, v in rule.items()}
    if isinstance(rule, list):
        return [at_root(v, root) for v in rule]
    return rule.replace(ROOT, root) if isinstance(rule, str) else rule


def rule_keys(rule: dict, rules: dict) -> list[str]:
    """Every HKLM key RULE reads, for the collectors that export keys: an instance rule's keys at the default
    root, and the parent of the named ones."""
    specs = [rule["probe"], *rule.get("also", []), *rule.get("unless", [])]
    if isinstance(rule.get("service_pack"), dict):
        specs.append(rule["service_pack"])
    keys = [s["key"] for s in specs]
    spec = rules.get("instances", {}).get(rule.get("instances", ""))
    if spec is None:
        return keys
    named_parent = spec["named"].split("{instance}", 1)[0].rstrip("\\")
    return [k.replace(ROOT, spec["default"]) for k in keys] + [named_parent, spec["list"]["key"]]
