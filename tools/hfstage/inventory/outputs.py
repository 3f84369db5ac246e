"""What the collectors write in a machine's folder (data/collector_outputs.json), and what else is there.

One table names every file a collector writes; the inventory reads those names and nothing else.
A machine folder is judged here, before anything in it is read: names no collector writes are
refused by name, two names that are one on Windows (SOFTWARE and software) are both refused by
name (never one chosen: which one the last writer meant cannot be known), files whose owner is not
the one the folder is given to are refused by name (inventory.binding), and a collection that
could not replace its own files is named as stale.
"""

from __future__ import annotations

import fnmatch
import functools
from dataclasses import dataclass, field

from hfstage import resources
from hfstage.errors import shown
from hfstage.share import Entry, Owners, account_name

OUTPUTS_NAME = "collector_outputs.json"
TEMP_SUFFIX = ".tmp"


@dataclass(frozen=True)
class Output:
    """One name (or numbered family of names) a collector writes."""

    role: str
    name: str  # the name, or a pattern such as hf[0-9][0-9].reg
    evidence: bool = False  # the machine's facts are read from it
    temp: bool = True  # written under stem + .tmp first, then renamed
    folder: bool = False

    def matches(self, name: str) -> bool:
        return fnmatch.fnmatchcase(name.casefold(), self.name.casefold())


@functools.cache
def outputs() -> tuple[Output, ...]:
    table = resources.data_json(OUTPUTS_NAME)
    files = [Output(e["role"], e.get("name") or e["pattern"], bool(e.get("evidence")), e.get("temp", True))
             for e in table["files"]]
    return (*files, *(Output(e["role"], e["name"], folder=True, temp=False) for e in table["folders"]))


@functools.lru_cache(maxsize=4096)
def output_of(name: str) -> Output | None:
    """The output NAME is (any case), or None when no collector writes it; remembered by name (5,000 folders
    hold the same dozen names)."""
    return next((o for o in outputs() if o.matches(name)), None)


def temp_of(name: str) -> str:
    """The temporary name a collector writes NAME under first (SOFTWARE.tmp, hf01.tmp, done.tmp)."""
    return (name.rsplit(".", 1)[0] if "." in name else name) + TEMP_SUFFIX


@functools.lru_cache(maxsize=4096)
def _temp_output(name: str) -> Output | None:
    """The output whose temporary file NAME is, or None."""
    if not name.casefold().endswith(TEMP_SUFFIX):
        return None
    return next((o for o in outputs() if o.temp and not o.folder and
                 fnmatch.fnmatchcase(name.casefold(), temp_of(o.name).casefold())), None)


@dataclass
class Judged:
    """A machine folder's names, judged: what may be read, and what was refused or found stale, each named."""

    files: dict[str, Entry] = field(default_factory=dict)  # casefolded name -> the one file of that name
    folders: dict[str, Entry] = field(default_factory=dict)  # role -> folder (files)
    fatal: list[str] = field(default_factory=list)  # an evidence file refused: nothing of the machine is believed
    refused: list[str] = field(default_factory=list)  # refused and named; the rest of the folder is read
    stale: list[str] = field(default_factory=list)  # files a newer collection could not replace

    def role(self, role: str) -> list[Entry]:
        return [e for e in self.files.values() if (o := output_of(e.name)) is not None and o.role == role]


def judge_folder(found: list[Entry], owners: Owners | None) -> Judged:
    """Every name in a machine folder (FOUND), judged against the collectors' table and OWNERS (None: any)."""
    out = Judged()
    groups: dict[str, list[Entry]] = {}
    temps: list[Entry] = []
    for entry in found:
        output = output_of(entry.name)
        if output is None:
            if _temp_output(entry.name) is not None:
                temps.append(entry)
            else:
                out.refused.append(f"{shown(entry.path)}: refused: no collector writes this name "
                                   "(data/collector_outputs.json); it is not read")
            continue
        if not _kind_ok(entry, output, out):
            continue
        if owners is not None and entry.uid >= 0 and entry.uid not in owners.uids:
            out.refused.append(str(owners.refusal(entry.path, entry.uid)))
            continue
        groups.setdefault(entry.name.casefold(), []).append(entry)
    for variants in groups.values():
        _choose(variants, out)
    out.stale = [_stale(t, out.files.get(_final_name(t.name).casefold()), owners) for t in temps]
    out.stale = [s for s in out.stale if s]
    return out


def _kind_ok(entry: Entry, output: Output, out: Judged) -> bool:
    if output.folder:
        if entry.is_folder:
            return True
        out.refused.append(f"{shown(entry.path)}: refused: it is {entry.described}, not a folder")
        return False
    if entry.is_file:
        return True
    message = f"{shown(entry.path)}: refused: it is {entry.described}, not a regular file"
    (out.fatal if output.evidence else out.refused).append(message)
    return False


def _choose(variants: list[Entry], out: Judged) -> None:
    """One name, or several that Windows holds as one: the one is used; several are all refused, by name."""
    if len(variants) == 1:
        entry = variants[0]
        output = output_of(entry.name)
        if output is not None and output.folder:
            out.folders[output.role] = entry
        else:
            out.files[entry.name.casefold()] = entry
        return
    names = ", ".join(shown(e.path) for e in sorted(variants, key=lambda e: e.name))
    output = output_of(variants[0].name)
    message = (f"{names}: refused: {len(variants)} files for one name (Windows holds one file of that name; "
               "which is the collector's cannot be told): none is read; remove the one the collector did not write")
    (out.fatal if output is not None and output.evidence else out.refused).append(message)


def _final_name(temp: str) -> str:
    """The name a temporary file becomes (SOFTWARE.tmp -> SOFTWARE; hf01.tmp -> hf01.reg)."""
    output = _temp_output(temp)
    stem = temp[:-len(TEMP_SUFFIX)]
    if output is None or "." not in output.name:
        return stem
    return stem + "." + output.name.rsplit(".", 1)[1]


def _stale(temp: Entry, final: Entry | None, owners: Owners | None) -> str | None:
    """A temporary file that its writer cannot rename over the file it replaces: another account owns that file."""
    if final is None or temp.uid < 0 or temp.uid == final.uid:
        return None
    return (f"{shown(final.path)}: stale: a newer collection by {account_name(temp.uid)} waits in {temp.name} and "
            f"cannot replace it (it belongs to {account_name(final.uid)}; in a sticky folder only a file's owner "
            "may replace it); `hfstage share provision` gives the folder to the machine's own account")
