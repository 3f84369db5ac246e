"""What a bulletin page says about the bulletin itself, from the catalog and the site's policy: the
catalog's summary, its Knowledge Base articles with support links, Microsoft's severity where the
catalog carries one, and the site's override, marked as the site's.

KB links are built in the form Microsoft's own bulletins of 2003 used for an article number,
http://support.microsoft.com/?kbid=NNNNNN (MS03-039 links KB 824146 that way); the pages say so, since
an air-gapped site cannot follow them and the address may no longer answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.assess import SitePolicy
from hfstage.catalog import Bulletin, Catalog
from hfstage.report.ranking import most_severe
from hfstage.report.safe import safe_url

KB_URL = "http://support.microsoft.com/?kbid={number}"
_KB = re.compile(r"^(?:Q|KB)?(\d{5,7})$", re.IGNORECASE)


@dataclass(frozen=True)
class KbArticle:
    name: str  # as the catalog writes it: Q329115, KB824146
    number: str
    url: str


@dataclass
class BulletinInfo:
    id: str
    title: str
    summary: str  # the catalog's Summary, else its Issue text (the 2001 catalog fills one or the other)
    summary_from: str  # which of the two: Summary or Issue
    kb: list[KbArticle] = field(default_factory=list)
    microsoft: str | None = None  # Microsoft's severity (MSSeverityID), when the catalog carries one
    override: str | None = None  # site.ini [severity]: the site's own rating
    url: str | None = None
    faq_url: str | None = None
    date_posted: str = ""
    date_revised: str = ""


def kb_articles(names: list[str]) -> list[KbArticle]:
    """Each Q/KB number once, in the catalog's order, with its support link; anything else is left out."""
    out, seen = [], set()
    for name in names:
        match = _KB.match((name or "").strip())
        if match and match.group(1) not in seen:
            seen.add(match.group(1))
            out.append(KbArticle(name.strip(), match.group(1), KB_URL.format(number=match.group(1))))
    return out


def bulletin_info(catalog: Catalog, policy: SitePolicy, ids: list[str]) -> dict[str, BulletinInfo]:
    """Bulletin ID -> what its page says, for each of IDS the catalog has."""
    out = {}
    for bid in ids:
        bulletin = catalog.bulletins.get(bid)
        if bulletin is not None:
            out[bid] = _info(catalog, policy, bulletin)
    return out


def _info(catalog: Catalog, policy: SitePolicy, b: Bulletin) -> BulletinInfo:
    ratings = [catalog.ms_severities.get(p.ms_severity_id) for p in b.patches if p.ms_severity_id]
    ratings = [r.strip().title() for r in ratings if r and r.strip()]
    overrides = [policy.severity[i] for p in b.patches for i in policy.ids(p) if i in policy.severity]
    summary = (b.summary or "").strip()
    return BulletinInfo(
        b.id, (b.title or "").strip(), summary or (b.issue or "").strip(), "Summary" if summary else "Issue",
        kb_articles(b.qnumbers + [p.sq_number or "" for p in b.patches]),
        most_severe(ratings) if ratings else None, most_severe(overrides) if overrides else None,
        safe_url(b.url), safe_url(b.faq_url), b.date_posted.isoformat() if b.date_posted else "",
        b.date_revised.isoformat() if b.date_revised else "")
