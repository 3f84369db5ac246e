"""Which machines the share has: the folders under inventory\\, judged before anything is read.

Every folder is a client's: its name becomes scripts\\<NAME>.bat and reports\\machines\\
<NAME>.html, so a name that is not a NetBIOS name, or that collides (without case) with a
file hfstage writes itself, is skipped with a warning row and never written. A link or a
special file in place of a folder is refused the same way. One bad client is one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hfstage.errors import HfstageError, LimitError, UsageError, shown
from hfstage.inventory.limits import Limits
from hfstage.inventory.outputs import output_of
from hfstage.inventory.regfile import RegExport, parse_reg_text
from hfstage.inventory.regtree import walk
from hfstage.notices import SPOOL_FILED, SPOOL_LEFT, Notice
from hfstage.share import Share, entries, machine_name_problem, make_client_folder, move_client_file

UNNAMED = "_unnamed"
MANIFEST = "manifest.txt"
COMPUTER_NAME_KEY = "HKEY_LOCAL_MACHINE\\System\\CurrentControlSet\\control\\ComputerName\\ComputerName"


@dataclass(frozen=True)
class Skipped:
    """A name under inventory\\ that is not a machine hfstage can serve, and why."""

    name: str  # printable form of the name as found
    reason: str

    def __str__(self) -> str:
        return f"inventory\\{self.name}: skipped: {self.reason}"


def printable(name: str) -> str:
    return "".join(c if c.isprintable() and c not in "\\/" else "?" for c in name)[:40]


def machine_folders(share: Share, only: list[str] | None = None) -> tuple[list[Path], list[Skipped]]:
    """(machine folders to read, names skipped with the reason), sorted by name without case."""
    folders, skipped, seen = [], [], {}
    for entry in entries(share.folder("inventory")):
        if entry.name.startswith(".") or entry.name.casefold() == UNNAMED or entry.name == "README.txt":
            continue
        if not entry.is_folder:
            if entry.kind != "file":
                skipped.append(Skipped(printable(entry.name), f"it is {entry.described}, not a folder"))
            continue
        problem = machine_name_problem(entry.name)
        if problem is None and entry.name.casefold() in seen:
            problem = f"the same name as {seen[entry.name.casefold()]} on Windows (names are compared without case)"
        if problem:
            skipped.append(Skipped(printable(entry.name), problem))
            continue
        seen[entry.name.casefold()] = entry.name
        folders.append(entry.path)
    folders.sort(key=lambda p: p.name.lower())
    if only is not None:
        wanted = {m.casefold() for m in only}
        unknown = wanted - {p.name.casefold() for p in folders}
        if unknown:
            raise UsageError(f"{share.folder('inventory')}: no inventory folder for machine "
                             f"{', '.join(sorted(unknown))}")
        folders = [p for p in folders if p.name.casefold() in wanted]
    return folders, skipped


def adopt_unnamed(share: Share, limits: Limits) -> list[Notice]:
    """File 9x exports from inventory\\_unnamed\\<user>\\ under the ComputerName they contain.

    The spool is client-written: every read and move goes through the client-file rules
    (no links, plain files, size caps), and the name inside must be a machine name. It is read in the
    run's own process, so within the default limits whatever site.ini raises (Limits.in_this_process).
    """
    here = limits.in_this_process()
    notes: list[Notice] = []
    root = share.folder("inventory")
    spool = root / UNNAMED
    known: dict[str, str] = {}
    for user in entries(spool):
        if not user.is_folder:
            continue
        found = entries(user.path)
        exports = [e for e in found if e.is_file and _is_export(e.name)]
        manifest = [e for e in found if e.is_file and e.name.lower() == MANIFEST]  # which keys they hold
        if not exports or any(e.name.lower().endswith(".tmp") for e in found):
            continue  # nothing yet, or a collector is still writing
        try:
            name = _computer_name(root, exports, here)
            target = root / name
            known = known or {e.name.casefold(): e.name for e in entries(root)}
            if name.casefold() in known:
                raise UsageError(f"the exports claim to be {name}, which has its own inventory\\"
                                 f"{known[name.casefold()]}; "
                                 "anyone can write to _unnamed, so a known machine's inventory is never replaced "
                                 "from it (move the files by hand if they are right)")
            make_client_folder(root, target)
            for export in exports + manifest:
                move_client_file(root, export.path, target, export.name)
            known[name.casefold()] = name
        except HfstageError as e:
            clamped = (here.export_bytes, here.reg_entries) != (limits.export_bytes, limits.reg_entries)
            raised = "; the spool is read within the default [limits], whatever site.ini raises: move such exports " \
                "into inventory\\<MACHINE> by hand" if isinstance(e, LimitError) and clamped else ""
            notes.append(Notice(SPOOL_LEFT, shown(user.path), f"left in place: {e}{raised}"))
            continue
        except Exception as e:  # noqa: BLE001 - one user's spool is one note, whatever is in it
            notes.append(Notice(SPOOL_LEFT, shown(user.path), f"left in place: unexpected {type(e).__name__}: {e}"))
            continue
        notes.append(Notice(SPOOL_FILED, shown(user.path), f"exports filed under inventory\\{name}"))
    return notes


def _is_export(name: str) -> bool:
    """A regedit export as the 9x collector names it (data/collector_outputs.json): nothing else is filed."""
    output = output_of(name)
    return output is not None and output.role == "reg"


def _computer_name(root: Path, exports, limits: Limits) -> str:
    from hfstage.share import read_client_file

    export = RegExport(max_entries=limits.reg_entries)
    for e in exports:
        export = parse_reg_text(read_client_file(root, e.path, limits.export_bytes, "registry export"),
                                str(e.path), export)
    key = walk(export.root, COMPUTER_NAME_KEY)
    name = str(key.value("ComputerName") if key else "").strip().upper()
    problem = machine_name_problem(name) if name else "the exports name no computer"
    if problem:
        raise UsageError(f"computer name '{printable(name)}' in the exports: {problem}")
    return name
