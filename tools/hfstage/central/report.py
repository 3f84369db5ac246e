"""`hfstage central report`: every site's last bundle in one static report (index, a page per site),
and the site table as text, CSV or JSON. A site page is rendered again only when its row changed (a new bundle,
or another site's newer catalog putting it behind), or the code that renders it (the central pages memo)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hfstage import __version__
from hfstage.central.importer import REPORTS, check_central
from hfstage.central.store import connect
from hfstage.report import csv_cell, html_env
from hfstage.share import CENTRAL_PAGES, PUBLIC, Record, atomic_write_text, write_if_changed
from hfstage.versions import parse_version

STATE = "state"  # the central folder's memo of its pages


@dataclass
class SiteRow:
    id: str
    name: str
    month: str
    created: str
    catalog: str | None
    machines: int = 0
    compliant: int = 0
    critical: int = 0
    unreadable: int = 0
    no_rights: int = 0
    reboot: int = 0
    behind: int = 0
    behind_text: str = ""
    bundle: int = 0
    key: str = ""

    @property
    def percent(self) -> float:
        return round(100 * self.compliant / self.machines, 1) if self.machines else 0.0

    @property
    def file(self) -> str:
        return f"{self.id}.html"


@dataclass
class CentralReport:
    folder: Path
    sites: list[SiteRow] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    pages_rendered: int = 0
    pages_unchanged: int = 0

    def rows(self) -> tuple[tuple[str, ...], list[tuple]]:
        """The site table's header and one row per site."""
        headers = ("site", "name", "machines", "fully_patched_percent", "missing_critical", "unreadable", "no_rights",
                   "restart_owed", "catalog", "behind", "last_bundle")
        return headers, [(s.id, s.name, s.machines, s.percent, s.critical, s.unreadable, s.no_rights, s.reboot,
                          s.catalog or "", s.behind, f"{s.month} {s.created[:10]}") for s in self.sites]

    def table(self, fmt: str) -> str:
        """The site table as csv or json (as text: pipeline.views)."""
        if fmt == "json":
            return json.dumps([{**asdict(s), "percent": s.percent} for s in self.sites], indent=1)
        headers, rows = self.rows()
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([[csv_cell(str(v)) for v in row] for row in rows])
        return out.getvalue()


def central_report(folder: Path) -> CentralReport:
    """Write DIR\\reports\\index.html and sites\\<id>.html from the last bundle of every site."""
    check_central(folder)
    out = folder / REPORTS
    (out / "sites").mkdir(parents=True, exist_ok=True)
    report = CentralReport(out)
    with connect(folder) as conn:
        report.sites = _sites(conn)
        trend = _trend(conn, report.sites)
        bulletins = _bulletins(conn, [s.bundle for s in report.sites])
        record = Record(folder / STATE, CENTRAL_PAGES)
        keys = {site.id: CENTRAL_PAGES.key(asdict(site)) for site in report.sites}  # its row names hfstage's version
        record.begin([site.id for site in report.sites if not record.known(site.id, keys[site.id])])
        env = html_env()
        for site in report.sites:
            page = out / "sites" / site.file
            if record.known(site.id, keys[site.id]) and page.is_file():
                report.pages_unchanged += 1
                continue
            text = env.get_template("central_site.html.j2").render(
                site={**asdict(site), "percent": site.percent}, machines=_machines(conn, site.bundle),
                plan=_plan(conn, site.bundle), version=__version__)
            if write_if_changed(page, text.encode(), PUBLIC):
                report.written.append(page)
            report.pages_rendered += 1
            record.put(site.id, keys[site.id])
    newest = max((s.catalog for s in report.sites if s.catalog), key=_version_key, default=None)
    overall = {"sites": len(report.sites), "machines": sum(s.machines for s in report.sites),
               "compliant": sum(s.compliant for s in report.sites), "critical": sum(s.critical for s in report.sites)}
    overall["percent"] = round(100 * overall["compliant"] / overall["machines"], 1) if overall["machines"] else 0.0
    index = html_env().get_template("central_index.html.j2").render(
        sites=[{**asdict(s), "percent": s.percent, "file": s.file} for s in report.sites], overall=overall,
        trend=trend, bulletins=bulletins, newest=newest, version=__version__,
        generated=dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    atomic_write_text(out / "index.html", index, PUBLIC)
    report.written.append(out / "index.html")
    record.keep_only(keys)
    record.commit()
    return report


def _version_key(text: str) -> tuple:
    return parse_version(text) or (0,)


def _sites(conn) -> list[SiteRow]:
    rows = conn.execute(
        "SELECT b.site_id, s.name, b.month, b.created_at, b.catalog_version, b.id, b.manifest_sha FROM bundles b "
        "JOIN sites s ON s.id = b.site_id WHERE b.month = (SELECT MAX(month) FROM bundles x WHERE x.site_id = "
        "b.site_id) ORDER BY s.name, b.site_id").fetchall()
    sites = [SiteRow(r[0], r[1], r[2], r[3], r[4], bundle=r[5], key=f"{__version__}:{r[6]}") for r in rows]
    by_bundle = {s.bundle: s for s in sites}
    for bid, n, compliant, critical, unreadable, no_rights, reboot in conn.execute(
            "SELECT bundle_id, COUNT(*), SUM(status = 'compliant'), SUM(critical), SUM(status = 'unreadable'), "
            "SUM(no_rights), SUM(reboot_required) FROM machines GROUP BY bundle_id"):
        site = by_bundle.get(bid)
        if site is not None:
            site.machines, site.compliant, site.critical = n, compliant or 0, critical or 0
            site.unreadable, site.no_rights, site.reboot = unreadable or 0, no_rights or 0, reboot or 0
    versions = sorted({s.catalog for s in sites if s.catalog}, key=_version_key)
    for site in sites:
        newer = [v for v in versions if site.catalog and _version_key(v) > _version_key(site.catalog)]
        site.behind = len(newer)
        site.behind_text = f"{len(newer)} catalog(s) behind {versions[-1]}" if newer else "newest"
    return sites


def _trend(conn, sites: list[SiteRow]) -> list[dict]:
    """% fully patched per month, overall and per site (the bundle each site sent for that month)."""
    cells: dict[str, dict[str, tuple[int, int]]] = {}
    for month, site_id, n, compliant in conn.execute(
            "SELECT b.month, b.site_id, COUNT(*), SUM(m.status = 'compliant') FROM machines m JOIN bundles b ON "
            "b.id = m.bundle_id GROUP BY b.id"):
        cells.setdefault(month, {})[site_id] = (n, compliant or 0)
    out = []
    for month in sorted(cells):
        row = cells[month]
        total, good = sum(n for n, _ in row.values()), sum(c for _, c in row.values())
        out.append({"month": month, "overall": f"{100 * good / total:.1f}" if total else "-",
                    "sites": [f"{100 * row[s.id][1] / row[s.id][0]:.1f}" if s.id in row and row[s.id][0] else "-"
                              for s in sites]})
    return out


def _bulletins(conn, bundles: list[int]) -> list[dict]:
    if not bundles:
        return []
    marks = ",".join("?" * len(bundles))
    rows = conn.execute(
        f"SELECT m.bulletin, m.patch, MIN(m.severity), COUNT(DISTINCT b.site_id), COUNT(*) FROM missing m JOIN bundles "
        f"b ON b.id = m.bundle_id WHERE m.bundle_id IN ({marks}) GROUP BY m.bulletin, m.patch "
        "ORDER BY COUNT(DISTINCT b.site_id) DESC, COUNT(*) DESC, m.bulletin", bundles).fetchall()
    return [{"bulletin": r[0], "patch": r[1], "severity": r[2], "sites": r[3], "machines": r[4]} for r in rows]


def _machines(conn, bundle: int) -> list[dict]:
    out = []
    for machine, os_, status, missing, critical, last, no_rights, reboot, failed, evidence in conn.execute(
            "SELECT machine, os, status, missing, critical, last_reported, no_rights, reboot_required, failed, "
            "evidence FROM machines WHERE bundle_id = ? ORDER BY machine", (bundle,)):
        notes = [w for w, on in (("no administrator rights", no_rights), ("restart owed", reboot),
                                 (f"{failed} failed install(s)", failed)) if on]
        out.append({"machine": machine, "os": os_, "status": status, "missing": missing, "critical": critical,
                    "last_reported": last, "results": "; ".join(notes), "evidence": evidence})
    return out


def _plan(conn, bundle: int) -> list[dict]:
    rows = conn.execute("SELECT bulletin, patch, severity, applies, machines, owner, approver FROM plan WHERE "
                        "bundle_id = ?", (bundle,)).fetchall()
    return [dict(zip(("bulletin", "patch", "severity", "applies", "machines", "owner", "approver"), r, strict=True))
            for r in rows]
