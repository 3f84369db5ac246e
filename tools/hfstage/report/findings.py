"""A scan's findings as text (HFNetChk's layout), tab, CSV, JSON or a static HTML page.

Every format shows each machine's status in the same words (assess.MACHINE_STATUSES).
CSV cells that a spreadsheet would run as a formula are escaped.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable

from hfstage.assess import (
    COMPLIANT,
    HFNETCHK_LABEL,
    INSTALLED,
    KIND_PATCH,
    KIND_SERVICE_PACK,
    MISSING,
    Assessment,
    Finding,
)
from hfstage.inventory import EVIDENCE_WORDS, service_pack_text
from hfstage.notices import INSTALL, REFUSED, of_kind
from hfstage.report.compliance import summary_counts
from hfstage.report.safe import csv_row, tsv_cell

TAB_COLUMNS = ("machine", "status", "product", "bulletin", "title", "qnumber", "url", "reason", "description",
               "finding")
CSV_COLUMNS = ("machine", "machine_status", "product", "bulletin", "patch", "qnumber", "title", "status", "severity",
               "reason", "superseded_by", "baseline", "testing", "cve", "bugtraq", "unverified", "url", "standing",
               "evidence")


def evidence_line(a: Assessment) -> str:
    """Who wrote the machine's evidence, and whether a newer collection is stranded: in every report."""
    words = EVIDENCE_WORDS.get(a.binding or "", "who wrote it is not known")
    return words + (f": {a.binding_owner}" if a.binding_owner else "") + (
        f"; stale since {a.stale_since}: its collector could not replace its files" if a.stale_since else "")


def standing_line(a: Assessment) -> str:
    """A machine that is not the site's yet (or any more): shown, never counted or scripted."""
    return (f"{a.standing}: shown, not counted in compliance or sent to the central office, and given no script "
            "until an administrator accepts it (hfstage machines accept)")


def _visible(a: Assessment, show_superseded: bool, baseline: bool, verbose: bool) -> list[Finding]:
    return [f for f in a.shown(show_superseded, baseline) if verbose or f.status != INSTALLED]


def render_text(assessments: Iterable[Assessment], verbose: bool = False, show_superseded: bool = False,
                baseline: bool = False) -> str:
    """One block per machine, one line per finding, as `mbsacli /hf` printed them, with the machine's status."""
    out: list[str] = []
    for a in assessments:
        out += _text_block(a, verbose, show_superseded, baseline)
    return "\n".join(out).rstrip("\n") + "\n"


def _text_block(a: Assessment, verbose: bool, show_superseded: bool, baseline: bool) -> list[str]:
    header = f"{a.machine} ({a.os or 'unknown OS'}{service_pack_text(a.service_pack, ' ')})"
    out = ["-" * 28, header, "-" * 28, "", f"Status: {a.status}" + (f" ({a.status_detail})" if a.status_detail
                                                                     and a.status != COMPLIANT else ""),
           *([f"Standing: {standing_line(a)}"] if not a.counted else []), f"Evidence: {evidence_line(a)}", ""]
    if a.error:
        return [*out, f"ERROR: {a.error}", ""]
    out += [f"  ({w.text})" for w in (a.warnings if verbose else of_kind(a.warnings, INSTALL, REFUSED))]
    shown = _visible(a, show_superseded, baseline, verbose)
    if not shown and a.status == COMPLIANT:
        out += ["Information", "All necessary hotfixes have been applied.", ""]
    for product in dict.fromkeys(f.product for f in shown):
        name, sp = re.match(r"^(.*?)((?: SP\w+)?)$", product).groups()
        out += [f"* {name.upper()}{sp}", ""]
        for f in (f for f in shown if f.product == product):
            label = "Service pack missing" if f.kind == "service pack" else HFNETCHK_LABEL[f.status]
            flag = " (unverified)" if f.unverified else ""
            out.append(f"{label:<19} {f.bulletin:<16}{f.qnumber or '':<12}{f.severity}{flag}")
            if verbose or f.kind == "service pack":
                out.append(f"    {f.reason}")
            if verbose and f.decided_by:
                out.append(f"    (decided by the catalog's {' and '.join(f.decided_by)} check)")
        out.append("")
    return out


def render_tab(assessments: Iterable[Assessment], show_superseded: bool = False, baseline: bool = False) -> str:
    """HFNetChk's tab-separated columns with the machine's status, and a header line."""
    lines = ["\t".join(TAB_COLUMNS)]
    for a in assessments:
        if a.error or not a.shown(show_superseded, baseline):
            lines.append("\t".join(_tab([a.machine, a.status, "", "", "", "", "", a.error or a.status_detail, "",
                                         "Error" if a.error else ""])))
            continue
        for f in _visible(a, show_superseded, baseline, verbose=False):
            lines.append("\t".join(_tab([f.machine, a.status, f.product, f.bulletin, f.title, f.qnumber or "",
                                         f.url or "", f.reason, "; ".join(f.evidence), HFNETCHK_LABEL[f.status]])))
    return "\n".join(lines) + "\n"


def _tab(cells: list[str]) -> list[str]:
    return [tsv_cell(c) for c in cells]


def csv_rows(a: Assessment, show_superseded: bool = False, baseline: bool = False) -> list[list[str]]:
    machine = [a.standing, evidence_line(a)]
    if a.error or not a.shown(show_superseded, baseline):
        return [[a.machine, a.status, "", "", "", "", "", "", "", a.error or a.status_detail, "", "", "", "", "",
                 "", "", *machine]]
    return [[f.machine, a.status, f.product, f.bulletin, f.patch, f.qnumber or "", f.title, f.status, f.severity,
             f.reason, "; ".join(f.superseded_by), "yes" if f.baseline else "", "; ".join(f.testing),
             " ".join(f.cve_ids), " ".join(f.bugtraq_ids), "yes" if f.unverified else "", f.url or "", *machine]
            for f in a.shown(show_superseded, baseline)]


def render_csv(assessments: Iterable[Assessment], show_superseded: bool = False, baseline: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in assessments:
        writer.writerows([csv_row(row) for row in csv_rows(a, show_superseded, baseline)])
    return buf.getvalue()


def summary(assessments: Iterable[Assessment]) -> dict:
    """The counts over the site's machines: pending ones are shown in the report, counted apart."""
    assessments = list(assessments)
    counted = [a for a in assessments if a.counted]
    missing = [f for a in counted for f in a.findings if f.status == MISSING]
    return {**summary_counts(Counter(a.status for a in counted), [f.severity for f in missing if f.kind == KIND_PATCH],
                             sum(f.kind == KIND_SERVICE_PACK for f in missing)),
            "pending": len(assessments) - len(counted)}


def render_json(assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> str:
    return json.dumps(_json_document(assessments, catalog_version, scan_id), indent=1, sort_keys=True) + "\n"


def write_json(fh, assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> None:
    """The JSON report streamed to FH (compact: a 5,000-machine site is large)."""
    json.dump(_json_document(assessments, catalog_version, scan_id), fh, sort_keys=True)
    fh.write("\n")


def _json_document(assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> dict:
    return {"scan_id": scan_id, "catalog_version": catalog_version, "summary": summary(assessments),
            "machines": [a.to_dict() for a in assessments]}


def render_html(assessments: list[Assessment], catalog_version: str, show_superseded: bool = False,
                baseline: bool = False) -> str:
    from hfstage.report.html import scan_page

    return scan_page(assessments, catalog_version, summary(assessments), show_superseded, baseline)
