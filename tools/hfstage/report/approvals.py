"""The rings and approvals as every report shows them (site.ini [approval] mode and [rings], with the
approvals): each machine's ring, each missing patch's approval state, the rings in the admin's order."""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.assess import KIND_PATCH
from hfstage.history import FindingRow
from hfstage.scripts import ALL, Gate


@dataclass(frozen=True)
class Approvals:
    """The rings and approvals as the report shows them, with the share named in the commands it gives."""

    gate: Gate = field(default_factory=Gate)
    share: str = "SHARE"

    def rings(self) -> list[str]:
        """The rings in site.ini's order (pilot first, as the admin wrote them), then all."""
        return [ring for ring, _ in self.gate.rings] + [ALL]

    def of(self, f: FindingRow) -> str:
        """A missing finding's approval state on its machine (a service pack is approved as SP)."""
        if f.kind != KIND_PATCH:
            return self.gate.state(f.machine, "SP", "-", None, self.share)
        return self.gate.state(f.machine, f.bulletin, f.qnumber or "-", f.patch, self.share)
