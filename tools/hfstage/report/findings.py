"""A scan's findings as text (HFNetChk's layout), tab, CSV, JSON or a static HTML page."""

from __future__ import annotations

import csv
import io
import json
import re

from hfstage.assess.model import HFNETCHK_LABEL, INSTALLED, Assessment, Finding

TAB_COLUMNS = ("machine", "product", "bulletin", "title", "qnumber", "url", "reason", "description", "status")
CSV_COLUMNS = ("machine", "product", "bulletin", "patch", "qnumber", "title", "status", "severity", "reason",
               "superseded_by", "baseline", "testing", "url")


def _visible(a: Assessment, show_superseded: bool, baseline: bool, verbose: bool) -> list[Finding]:
    return [f for f in a.shown(show_superseded, baseline) if verbose or f.status != INSTALLED]


def render_text(assessments: list[Assessment], verbose: bool = False, show_superseded: bool = False,
                baseline: bool = False) -> str:
    """One block per machine, one line per finding, as `mbsacli /hf` printed them."""
    out: list[str] = []
    for a in assessments:
        header = f"{a.machine} ({a.os or 'unknown OS'}" + (f" SP{a.service_pack}" if a.service_pack not in
                                                              (None, "0") else "") + ")"
        out += ["-" * 28, header, "-" * 28, ""]
        if a.error:
            out += [f"ERROR: {a.error}", ""]
            continue
        out += [f"  ({w})" for w in a.warnings if verbose or w.startswith("install:")]
        shown = _visible(a, show_superseded, baseline, verbose)
        products = list(dict.fromkeys(f.product for f in shown))
        if not shown:
            out += ["Information", "All necessary hotfixes have been applied.", ""]
        for product in products:
            name, sp = re.match(r"^(.*?)((?: SP\w+)?)$", product).groups()
            out += [f"* {name.upper()}{sp}", ""]
            for f in (f for f in shown if f.product == product):
                out.append(f"{HFNETCHK_LABEL[f.status]:<20}{f.bulletin:<16}{f.qnumber or '':<12}{f.severity}")
                if verbose:
                    out.append(f"    {f.reason}")
            out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def render_tab(assessments: list[Assessment], show_superseded: bool = False, baseline: bool = False) -> str:
    """HFNetChk's tab-separated columns, with a header line."""
    lines = ["\t".join(TAB_COLUMNS)]
    for a in assessments:
        if a.error:
            lines.append("\t".join([a.machine, "", "", "", "", "", a.error, "", "Error"]))
            continue
        for f in _visible(a, show_superseded, baseline, verbose=False):
            cells = [f.machine, f.product, f.bulletin, f.title, f.qnumber or "", f.url or "", f.reason,
                     "; ".join(f.evidence), HFNETCHK_LABEL[f.status]]
            lines.append("\t".join(c.replace("\t", " ").replace("\n", " ") for c in cells))
    return "\n".join(lines) + "\n"


def render_csv(assessments: list[Assessment], show_superseded: bool = False, baseline: bool = False) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for a in assessments:
        if a.error:
            writer.writerow([a.machine, "", "", "", "", "", "error", "", a.error, "", "", "", ""])
            continue
        for f in a.shown(show_superseded, baseline):
            writer.writerow([f.machine, f.product, f.bulletin, f.patch, f.qnumber or "", f.title, f.status,
                             f.severity, f.reason, "; ".join(f.superseded_by), "yes" if f.baseline else "",
                             "; ".join(f.testing), f.url or ""])
    return buf.getvalue()


def summary(assessments: list[Assessment]) -> dict:
    scanned = [a for a in assessments if not a.error]
    missing = [f for a in scanned for f in a.findings if f.status == "missing"]
    by_severity: dict[str, int] = {}
    for f in missing:
        by_severity[f.severity] = by_severity.get(f.severity, 0) + 1
    return {
        "machines": len(assessments), "errors": len(assessments) - len(scanned),
        "fully_patched": sum(1 for a in scanned if not any(f.status == "missing" for f in a.findings)),
        "missing": len(missing), "missing_by_severity": by_severity,
    }


def render_json(assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> str:
    return json.dumps(_json_document(assessments, catalog_version, scan_id), indent=1, sort_keys=True) + "\n"


def write_json(path, assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> None:
    """The JSON report streamed to PATH (compact: a 5,000-machine site is large)."""
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(_json_document(assessments, catalog_version, scan_id), fh, sort_keys=True)
        fh.write("\n")


def _json_document(assessments: list[Assessment], catalog_version: str, scan_id: int | None) -> dict:
    return {"scan_id": scan_id, "catalog_version": catalog_version, "summary": summary(assessments),
            "machines": [a.to_dict() for a in assessments]}


def render_html(assessments: list[Assessment], catalog_version: str, show_superseded: bool = False,
                baseline: bool = False) -> str:
    from hfstage.report.html import scan_page

    return scan_page(assessments, catalog_version, summary(assessments), show_superseded, baseline)
