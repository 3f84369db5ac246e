"""The month's notices about how machines' startup scripts run: XP machines that do not wait for the
network (Fast Logon Optimization, KB 305293) and machines whose MaxGPOScriptWait keeps service packs out of
their startup scripts. Read from the scan's rows of the machines concerned (2000/XP/2003), which say what their
assessments earn."""

from __future__ import annotations

from collections.abc import Callable

from hfstage.assess import Assessment
from hfstage.history import MachineRow
from hfstage.notices import FAST_LOGON, SCRIPT_WAIT

SHOWN = 10
CHUNK = 500


def startup_notices(rows: list[MachineRow], load: Callable[[list[str]], dict[str, Assessment]]) -> list[str]:
    """One line per group of machines whose startup scripts cannot be relied on, naming them. Each row says
    which notices its assessment earns; LOAD reads the assessments of rows recorded before rows said so."""
    concerned = [r for r in rows if not r.error and (r.os or "").startswith(("Windows XP", "Windows 2000",
                                                                             "Windows Server 2003"))]
    kinds = {r.machine: r.startup_kinds() for r in concerned}
    keys = [r.assessment_key for r in concerned if kinds[r.machine] is None]
    for start in range(0, len(keys), CHUNK):
        for a in load(keys[start:start + CHUNK]).values():
            kinds[a.machine] = set(a.startup_kinds())
    fast = [m for m, of in kinds.items() if of and FAST_LOGON in of]
    short = [m for m, of in kinds.items() if of and SCRIPT_WAIT in of]
    out = []
    if fast:
        out.append(f"{len(fast)} Windows XP machine(s) run startup scripts without waiting for the network (Fast "
                   f"Logon Optimization, KB 305293): their startup scripts cannot be relied on: {_names(fast)}; set "
                   "'Always wait for the network at computer startup and logon' (README)")
    if short:
        out.append(f"{len(short)} machine(s) stop startup scripts before a service pack could finish "
                   f"(MaxGPOScriptWait): service packs are not run from their startup scripts: {_names(short)}")
    return out


def _names(names: list[str]) -> str:
    names = sorted(names, key=str.casefold)
    return ", ".join(names[:SHOWN]) + (f" and {len(names) - SHOWN} more" if len(names) > SHOWN else "")
