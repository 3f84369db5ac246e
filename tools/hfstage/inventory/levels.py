"""A product's service pack level as the catalog's ServicePackID.

The catalog's lists are incomplete: Windows 98 SE and Me have no AvailableSPs (their
patches name "Windows 98se Gold" and "Windows Me Gold" through Minimum/Current), NT 4.0
lists SP6a but not SP6 (ID 6, "Windows NT4 Service Pack 6"), and the Microsoft VM's list
holds Windows 2000 levels while its patches name "Microsoft Virtual Machine (VM) Gold".
"""

from __future__ import annotations

import re

from hfstage.catalog import Catalog, Product, ServicePack

# "Windows NT4 Service Pack 6a" -> stem "windows nt4", level "6a"; "Windows 95 SR 2.5" -> "windows 95"
_LEVEL = re.compile(r"^(?P<stem>.*?)\s*\b(?:service pack|sp|o?sr|gold|rtm)\b", re.I)
_GOLD = re.compile(r"\b(gold|rtm)\b", re.I)


def _stem(name: str) -> str | None:
    m = _LEVEL.match(name.strip())
    return m.group("stem").strip().lower() if m and m.group("stem").strip() else None


def _pool(catalog: Catalog, product: Product) -> list[ServicePack]:
    """The product's listed levels (AvailableSPs, then Minimum and Current), then their unlisted siblings:
    service packs whose names share a listed one's stem ("Windows NT4 " for SP6 beside SP6a)."""
    listed = [*product.available_service_pack_ids, product.minimum_service_pack_id, product.current_service_pack_id]
    pool = [catalog.service_packs[i] for i in dict.fromkeys(listed) if i in catalog.service_packs]
    stems = {s for s in (_stem(sp.name) for sp in pool) if s}
    siblings = [sp for sp in catalog.service_packs.values() if sp not in pool and _stem(sp.name) in stems]
    return pool + sorted(siblings, key=lambda sp: sp.id)


def service_pack_id(catalog: Catalog, product: Product | None, label: str | None) -> int | None:
    """The ServicePackID of PRODUCT at level LABEL ('6a', '2', 'OSR2.5'; '0' = Gold), or None."""
    if product is None or label is None:
        return None
    if label == "0":
        own = f"{product.name.strip()} gold".lower()  # "Microsoft Virtual Machine (VM) Gold"
        exact = [sp for sp in catalog.service_packs.values() if sp.name.strip().lower() == own]
        pool = _pool(catalog, product)
        gold = exact or [sp for sp in pool if _GOLD.search(sp.name)]
        if gold:
            return gold[0].id
        listed = product.available_service_pack_ids
        return listed[0] if len(listed) == 1 and listed[0] in catalog.service_packs else None
    number = re.sub(r"^[A-Za-z]+\s*", "", label)  # "OSR2.5" -> "2.5": the catalog says "SR 2.5"
    pattern = re.compile(rf"\b(service pack|sp|o?sr)\s*{re.escape(number)}(?![0-9a-z])", re.I)
    return next((sp.id for sp in _pool(catalog, product) if pattern.search(sp.name)), None)
