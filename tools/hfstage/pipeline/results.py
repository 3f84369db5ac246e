"""`hfstage results`: what the clients' scripts reported, with the problems that need an admin."""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.pipeline.site import Site
from hfstage.scripts import MachineResults, collect_results


@dataclass
class ResultsReport:
    machines: list[MachineResults] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [f"{m.machine}: {p}" for m in self.machines for p in m.problems()] + self.refused


def results(site: Site) -> ResultsReport:
    machines, refused = collect_results(site.share, site.config.get("limits", "results_bytes"))
    return ResultsReport(machines, refused)
