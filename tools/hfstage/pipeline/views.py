"""Every text table hfstage prints, in one place: the stages hand over typed results (and rows), the
tables are made here, and nowhere else imports tabulate. CSV, JSON and HTML stay with the stage that
writes them; these are the terminal's views."""

from __future__ import annotations

from tabulate import tabulate

from hfstage.assess import MACHINE_STATUSES
from hfstage.central import CentralReport
from hfstage.inventory import ACCEPTED, MachineFacts, PeVersion
from hfstage.pipeline.machines import MachineLine
from hfstage.pipeline.packages import PackagesReport
from hfstage.pipeline.results import ResultsReport
from hfstage.report import Compliance, compliance_rows, render_compliance


def table(rows, headers) -> str:
    return tabulate(rows, headers=headers)


def _date(d) -> str:
    return d.isoformat() if d else "-"


def cab_members(layout) -> str:
    """A cabinet's members (cab.CabinetLayout): name, size, DOS date and time, folder and its compression."""
    rows = []
    for m in layout.members:
        d, t = m.date, m.time
        stamp = f"{1980 + (d >> 9):04d}-{(d >> 5) & 0xF:02d}-{d & 0x1F:02d} " \
                f"{t >> 11:02d}:{(t >> 5) & 0x3F:02d}:{(t & 0x1F) * 2:02d}"
        rows.append((m.name, m.size, stamp, m.folder, layout.folders[m.folder].compression))
    return table(rows, ("Name", "Size", "Date", "Folder", "Compression"))


def catalog_bulletins(catalog) -> str:
    """One row per bulletin of a catalog (catalog.Catalog)."""
    rows = [(b.id, _date(b.date_posted), _date(b.date_revised), len(b.patches), b.title[:60])
            for b in catalog.bulletins.values()]
    return table(rows, ("Bulletin", "Posted", "Revised", "Patches", "Title"))


def machines(facts: list[MachineFacts]) -> str:
    """`hfstage inventory`: one row per machine."""
    rows = []
    for f in facts:
        if f.error:
            rows.append((f.machine, "ERROR", "", "", f.error))
            continue
        rows.append((f.machine, f.os.name if f.os else "?", f.service_pack_label or "?",
                     len(f.hotfixes), "; ".join(f.warnings + f.missing)[:100]))
    return table(rows, ("Machine", "OS", "SP", "Hotfixes", "Notes"))


def pe_versions(found: list[PeVersion | dict]) -> str:
    """`hfstage pe-version`: one row per file, or its error."""
    rows = []
    for r in found:
        if isinstance(r, dict):
            rows.append((r["path"], "ERROR", "", "", "", r["error"]))
        else:
            fv = ".".join(map(str, r.file_version)) if r.file_version else "-"
            pv = ".".join(map(str, r.product_version)) if r.product_version else "-"
            rows.append((r.path, fv, pv, f"0x{r.checksum:08x}", r.machine, r.file_version_string or ""))
    return table(rows, ("File", "FileVersion", "ProductVersion", "CheckSum", "Machine", "String"))


def compliance(result: Compliance, fmt: str = "text") -> str:
    """`hfstage report`: the tables and the trend as text; csv and json as the report stage writes them."""
    if fmt != "text":
        return render_compliance(result, fmt)
    head, rows = compliance_rows(result)
    statuses: dict[str, int] = {}
    by_machine = result.rows if result.by == "machine" else []
    for r in by_machine:
        if r["standing"] == ACCEPTED:  # a pending machine is shown, never counted
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    pending = sum(r["standing"] != ACCEPTED for r in by_machine)
    counts = ", ".join(f"{statuses[s]} {s}" for s in MACHINE_STATUSES if s in statuses) + (
        f"; {pending} pending (not counted)" if pending else "")
    trend_head = ["month", "catalog", "machines", "compliant", "% compliant", "% installed"]
    trend_rows = [[t["month"], t["catalog_version"], t["machines"], t["compliant"], t["percent_compliant"],
                   t["percent_installed"]] for t in result.trend]
    return (f"Latest full scan {result.scan.id} at {result.scan.started_at} (catalog "
            f"{result.scan.catalog_version})" + (f": {counts}" if counts else "")
            + f"; approval mode {result.approval_mode}\n\n"
            f"{table(rows, head)}\n\nTrend by month\n{table(trend_rows, trend_head)}\n")


def central_sites(report: CentralReport, fmt: str = "text") -> str:
    """`hfstage central report --format`: the site table."""
    if fmt != "text":
        return report.table(fmt)
    headers, rows = report.rows()
    return table(rows, headers)


def client_results(found: ResultsReport) -> str:
    """`hfstage results`: one row per machine and patch the clients reported."""
    rows = [(m.machine, p.bulletin, p.patch, p.attempts, p.last_code, p.last_meaning + (" (gave up)" if p.gave_up
             else ""), p.last_when) for m in found.machines for p in m.patches]
    return table(rows, ("Machine", "Bulletin", "Patch", "Attempts", "Exit", "Result", "When")) if rows else ""


def packages(found: PackagesReport) -> str:
    """`hfstage packages`: one row per package the scripts need."""
    rows = [(r.bulletin, r.qnumber, r.place.split("\\", 1)[-1] or r.file,  # a build's place names it
             r.found or "; ".join(r.candidates) or "MISSING", r.size if r.size is not None else "",
             (r.sha256 or "")[:16], r.signer, r.kind or "-", r.switches,
             f"{r.source}: {r.why}" if r.source else "",
             "yes" if r.confirmed else "NO", "yes" if r.scripted else f"no: {r.problem}")
            for r in found.rows]
    return table(rows, ("Bulletin", "Q/KB", "File", "Found", "Size", "SHA-256", "Signer", "Kind", "Runs as",
                        "Decided by", "Confirmed", "Scripted"))


def machine_standings(lines: list[MachineLine]) -> str:
    """`hfstage machines`: one row per machine (pipeline.machines.MachineLine), then the count per standing."""
    rows = [(m.machine, m.standing, m.since, m.how, m.last_fresh or "never", m.evidence) for m in lines]
    counts = {s: sum(m.standing == s for m in lines) for s in ("accepted", "pending", "retired")}
    return (table(rows, ("Machine", "Standing", "Since", "How", "Last fresh evidence", "Evidence (who owns it)"))
            + "\n" + ", ".join(f"{n} {s}" for s, n in counts.items()))
