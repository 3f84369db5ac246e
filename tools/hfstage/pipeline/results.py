"""`hfstage results`: what the clients' scripts reported, with the problems that need an admin.

The logs say what the scripts did; the latest full scan says what is true. Where they
disagree (a package the client marked installed that the scan still finds missing), both
are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.history import FULL
from hfstage.notices import INSTALL, Notice
from hfstage.pipeline.rollback import rollback_view
from hfstage.pipeline.site import Site
from hfstage.scripts import (
    UNCOUNTED,
    MachineResults,
    collect_results,
    markers_count,
    reported_still_missing,
    results_summary,
)


@dataclass
class ResultsReport:
    machines: list[MachineResults] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    still_missing: dict[str, list[str]] = field(default_factory=dict)  # machine -> "reported installed" lines
    rollback: dict[str, list[str]] = field(default_factory=dict)  # machine -> its rollback, newest first

    @property
    def problems(self) -> list[str]:
        out = [str(p) for m in self.machines for p in m.problems()]
        out += [str(Notice(INSTALL, m, f"install: {line}")) for m, lines in sorted(self.still_missing.items())
                for line in lines]
        return out + self.refused

    @property
    def summary(self) -> list[str]:
        """The groups an admin acts on, one line each."""
        lines = results_summary(self.machines)
        if self.still_missing:
            lines.append(f"{len(self.still_missing)} machine(s) with packages reported installed that the latest "
                         f"scan still finds missing: {', '.join(sorted(self.still_missing)[:20])}"
                         + (" ..." if len(self.still_missing) > 20 else ""))
        return lines


def results(site: Site) -> ResultsReport:
    machines, refused = collect_results(site.share, site.config.get("limits", "results_bytes"), site.accounts)
    return ResultsReport(machines, refused, _still_missing(site), rollback_view(site))


def _still_missing(site: Site) -> dict[str, list[str]]:
    latest = site.history.latest_scan(FULL)
    if latest is None:
        return {}
    rows = [r for r in site.history.machines(latest.id) if r.missing]
    packages = site.book.index
    out: dict[str, list[str]] = {}
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        assessments = site.history.assessments(r.assessment_key for r in chunk)
        for row in chunk:
            a = assessments.get(row.assessment_key)
            found = reported_still_missing(a, packages) if a is not None and a.done else []
            if found:
                out[row.machine] = [f"{f.bulletin} {f.patch}: reported installed, still missing "
                                    f"({times} time(s))" + ("" if markers_count(a, f) else UNCOUNTED)
                                    for f, times in found]
    return out
