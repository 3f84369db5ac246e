"""What a machine page shows of the catalog, as part of its memo key: not the catalog's version (a new catalog
would make all 5,000 pages be looked at again, each decoded and planned, for the ~9% whose assessment it
changed) but the catalog entries its script's plan reads, keyed as the scripts memo keys them
(scripts.catalog_reads). The rest of the page is its assessment, whose key is the SHA-256 of its content, and
what the pipeline gathers beside it (SiteExtras.page_keys), so a page whose assessment and read entries are as
they were shows what it showed.

Which entries a plan reads follows from the assessment alone (plan_reads): the page memo keeps them beside the
key of what the page showed, and the next report keys the page on them as the next catalog holds them; when the
assessment changed, so does its key, whatever was read.
"""

from __future__ import annotations

from hfstage.scripts import CatalogReads
from hfstage.share import fingerprint

PLAN_INPUTS = ("catalog", "settings", "book", "rules")  # what the report's page maker plans a machine from
NO_PLAN = "no plan"  # the page's maker plans nothing (no scripts for the share): it reads nothing of the catalog


class PageCatalog:
    """The read entries' keys for one report; PAGE: the page maker (SiteExtras.page), whose catalog, script
    settings, package book and OS rules a plan is made from. A maker that names none of them (a caller's own)
    may read anything of the catalog: its pages stay keyed on the catalog's version."""

    def __init__(self, page: object) -> None:
        self.known = page is None or all(hasattr(page, name) for name in PLAN_INPUTS)
        catalog, settings, book, rules = (getattr(page, name, None) for name in PLAN_INPUTS)
        self.entries = CatalogReads(catalog, settings, book.index) \
            if catalog is not None and settings is not None and book is not None else None
        self.rules = fingerprint(rules)  # which plan an OS name gets (machine_plans.os_key)

    def key(self, value: object) -> list | None:
        """The key part of the catalog the page with memo VALUE ([shown, reads]) read; None: not known (a memo
        of an earlier format, a page maker of unknown inputs), so the page is keyed on the catalog's version."""
        if not (self.known and isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)):
            return None
        if self.entries is None:
            return [NO_PLAN, self.rules]
        part = self.entries.key(value[1])
        return None if part is None else [part, self.rules]


def memo_value(shows: str | None, reads: str | None) -> list:
    """What the page memo keeps of a drawn page: the key of what it shows, and the entries its plan reads
    (plan_reads' text, made where the page was drawn)."""
    return [shows, reads]


def shown(value: object) -> object:
    """The key of what a page showed, from its memo VALUE (an earlier format's value is that key alone)."""
    return value[0] if isinstance(value, list) and len(value) == 2 else value
