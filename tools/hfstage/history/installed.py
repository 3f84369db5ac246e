"""What hfstage's scripts installed on each machine: the rollback history (state\\history.sqlite).

`scripted` keeps every package a machine's install script was made to run, as hfstage decided it
(kind, package, identity): the server's word, never the client's. `installed` keeps each one the
client reported installed and a full scan confirmed, in install order, until the rollback removed it
or a service pack made its removal meaningless. Rows are never deleted: an ended one says why.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Iterable
from dataclasses import dataclass

from hfstage.history.db import connect
from hfstage.share import Share

INSTALLED, REMOVED, CONTAINED = "installed", "removed", "contained"


@dataclass(frozen=True)
class ScriptedStep:
    """One package an install script was made to run on one machine."""

    machine: str
    bulletin: str
    patch: str
    qnumber: str
    product: str
    family: str  # NT or 9x
    kind: str  # the installer kind hfstage decided (installers.json): it decides the uninstall command
    package: str  # its path below hotfixes\\ then
    identity: str  # what the client's marker holds for it: file name and size
    catalog_version: str


@dataclass(frozen=True)
class InstalledPatch:
    """A patch hfstage's script installed on a machine, as the client reported and a scan confirmed."""

    machine: str
    bulletin: str
    patch: str
    qnumber: str
    product: str
    family: str
    kind: str
    package: str
    identity: str
    service_pack: str | None  # the machine's service pack label when the scan confirmed it
    seq: int  # install order: the rollback removes the highest first
    confirmed_at: str
    confirmed_scan: int
    catalog_version: str
    state: str = INSTALLED  # installed, removed or contained
    ended_at: str | None = None
    reason: str | None = None


_SCRIPTED = ", ".join(f.name for f in dataclasses.fields(ScriptedStep))
# a step's fields in order, as astuple gives them (all text: nothing to copy deeply), at a tenth of its cost
_SCRIPTED_ROW = operator.attrgetter(*(f.name for f in dataclasses.fields(ScriptedStep)))
_INSTALLED = ", ".join(f.name for f in dataclasses.fields(InstalledPatch))


class InstallLedger:
    """Typed access to the scripted and installed tables."""

    def __init__(self, share: Share) -> None:
        self.share = share

    def record_scripted(self, steps: Iterable[ScriptedStep], when: str) -> None:
        """Remember what the scripts just written run (a package already known for a machine keeps its first date)."""
        rows = [(*_SCRIPTED_ROW(s), when) for s in steps]
        if not rows:
            return
        with connect(self.share) as conn, conn:
            conn.executemany(f"INSERT OR IGNORE INTO scripted ({_SCRIPTED}, first_at) VALUES "
                             f"({','.join('?' * len(rows[0]))})", rows)

    def scripted(self) -> dict[str, list[ScriptedStep]]:
        """Per machine (casefolded), what its scripts were made to run, oldest first."""
        with connect(self.share) as conn:
            rows = conn.execute(f"SELECT {_SCRIPTED} FROM scripted ORDER BY rowid").fetchall()
        out: dict[str, list[ScriptedStep]] = {}
        for row in rows:
            step = ScriptedStep(*row)
            out.setdefault(step.machine.casefold(), []).append(step)
        return out

    def next_seq(self) -> int:
        """The place in the install order of the next patch confirmed."""
        with connect(self.share) as conn:
            return conn.execute("SELECT COALESCE(MAX(seq), 0) FROM installed").fetchone()[0] + 1

    def installed(self) -> dict[str, list[InstalledPatch]]:
        """Per machine (casefolded), what hfstage installed there, newest first (ended ones too)."""
        with connect(self.share) as conn:
            rows = conn.execute(f"SELECT {_INSTALLED} FROM installed ORDER BY seq DESC").fetchall()
        out: dict[str, list[InstalledPatch]] = {}
        for row in rows:
            entry = InstalledPatch(*row)
            out.setdefault(entry.machine.casefold(), []).append(entry)
        return out

    def legacy_missing(self) -> dict[str, list[tuple[str, str, str, str]]]:
        """Per machine (casefolded), the patches (bulletin, patch, qnumber, product) a full scan recorded
        missing before the rollback history began: what the scripts of those months were made to install."""
        with connect(self.share) as conn:
            rows = conn.execute(
                "SELECT DISTINCT m.machine, f.bulletin, f.patch, COALESCE(f.qnumber, '-'), f.product FROM machines m "
                "JOIN scans s ON s.id = m.scan_id JOIN assessments a ON a.key = m.assessment_key "
                "JOIN assessment_findings f ON f.assessment = a.id "
                "WHERE s.kind = 'full' AND f.status = 'missing' AND f.kind = 'patch' "
                "AND m.scan_id <= (SELECT MAX(last_legacy_scan) FROM rollback_origin) ORDER BY m.scan_id, f.rowid"
            ).fetchall()
        out: dict[str, list[tuple[str, str, str, str]]] = {}
        for machine, *patch in rows:
            out.setdefault(machine.casefold(), []).append(tuple(patch))
        return out

    def apply(self, confirmed: list[InstalledPatch], ended: list[InstalledPatch]) -> None:
        """In one transaction: CONFIRMED become (again) installed, with their place in the install order (seq,
        from `next_seq`); ENDED are kept with their state and reason."""
        with connect(self.share) as conn, conn:
            rows = [dataclasses.astuple(e) for e in confirmed]
            conn.executemany(f"INSERT OR REPLACE INTO installed ({_INSTALLED}) VALUES "
                             f"({','.join('?' * len(dataclasses.fields(InstalledPatch)))})", rows)
            conn.executemany("UPDATE installed SET state = ?, ended_at = ?, reason = ? WHERE machine = ? AND "
                             "bulletin = ? AND patch = ?",
                             [(e.state, e.ended_at, e.reason, e.machine, e.bulletin, e.patch) for e in ended])
