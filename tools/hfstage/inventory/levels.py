"""A product's service pack level as the catalog's ServicePackID.

The catalog's lists are incomplete: Windows 98 SE and Me have no AvailableSPs (their
patches name "Windows 98se Gold" and "Windows Me Gold" through Minimum/Current), NT 4.0
lists SP6a but not SP6 (ID 6, "Windows NT4 Service Pack 6"), and the Microsoft VM's list
holds Windows 2000 levels while its patches name "Microsoft Virtual Machine (VM) Gold".
"""

from __future__ import annotations

import functools
import re

from hfstage.catalog import Catalog, Product, ServicePack

# "Windows NT4 Service Pack 6a" -> stem "windows nt4", level "6a"; "Windows 95 SR 2.5" -> "windows 95"
_LEVEL = re.compile(r"^(?P<stem>.*?)\s*\b(?:service pack|sp|o?sr|gold|rtm)\b", re.I)
_GOLD = re.compile(r"\b(gold|rtm)\b", re.I)


@functools.lru_cache(maxsize=4096)  # asked for every service pack of every product of every machine
def _stem(name: str) -> str | None:
    m = _LEVEL.match(name.strip())
    return m.group("stem").strip().lower() if m and m.group("stem").strip() else None


def _listed(catalog: Catalog, product: Product) -> list[int]:
    """The product's listed levels: AvailableSPs, then Minimum and Current."""
    listed = [*product.available_service_pack_ids, product.minimum_service_pack_id, product.current_service_pack_id]
    return [i for i in dict.fromkeys(listed) if i in catalog.service_packs]


def _siblings(catalog: Catalog, ids: list[int]) -> list[ServicePack]:
    """Unlisted service packs whose names share a listed one's stem ("Windows NT4" for SP6 beside SP6a)."""
    stems = {s for s in (_stem(catalog.service_packs[i].name) for i in ids) if s}
    return [sp for i, sp in sorted(catalog.service_packs.items()) if i not in ids and _stem(sp.name) in stems]


def _first(pools, test) -> int | None:
    for pool in pools:
        for sp in pool():
            if test(sp):
                return sp.id
    return None


def service_pack_id(catalog: Catalog, product: Product | None, label: str | None) -> int | None:
    """The ServicePackID of PRODUCT at level LABEL ('6a', '2', 'OSR2.5'; '0' = Gold), or None.

    The product's own listed levels first, then the siblings (looked for only when those fail)."""
    if product is None or label is None:
        return None
    ids = _listed(catalog, product)
    pools = (lambda: [catalog.service_packs[i] for i in ids], lambda: _siblings(catalog, ids))
    if label == "0":
        own = f"{product.name.strip()} gold".lower()  # "Microsoft Virtual Machine (VM) Gold"
        found = _first((lambda: catalog.service_packs.values(),), lambda sp: sp.name.strip().lower() == own)
        found = found or _first(pools, lambda sp: _GOLD.search(sp.name))
        single = product.available_service_pack_ids
        return found or (single[0] if len(single) == 1 and single[0] in catalog.service_packs else None)
    number = re.sub(r"^[A-Za-z]+\s*", "", label)  # "OSR2.5" -> "2.5": the catalog says "SR 2.5"
    pattern = re.compile(rf"\b(service pack|sp|o?sr)\s*{re.escape(number)}(?![0-9a-z])", re.I)
    return _first(pools, lambda sp: pattern.search(sp.name))
