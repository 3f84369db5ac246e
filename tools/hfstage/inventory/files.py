"""File evidence: find the files the catalog names among collected copies or on a drive."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.errors import InputError, shown
from hfstage.inventory.capture import NotCaptured
from hfstage.inventory.facts import FileFact, MachineFacts
from hfstage.inventory.families import family_folder
from hfstage.inventory.pe import PeVersion, read_pe_version
from hfstage.share import entries, walk_entries, walk_files
from hfstage.versions import version_text

_VAR = re.compile(r"%([A-Za-z]+)%")


SNAPSHOT_NAMES = 20_000  # names below files\ a snapshot keeps (a collector copies a catalog's few hundred files)


class CaseInsensitiveTree:
    """Look up Windows paths below ROOT on a case-sensitive filesystem, listing each folder once.

    A share written by several tools can hold both 'system32' and 'System32': every
    spelling is tried. Links are never followed: a client may plant one to a server file.
    Each file's version facts are remembered (`read_files`), for a later catalog to ask again.
    """

    def __init__(self, root: Path, listing: list | None = None) -> None:
        """LISTING: ROOT's entries (share.entries) when the caller has listed it already."""
        self.root = Path(root)
        self._listing: dict[Path, dict[str, list[str]]] = {} if listing is None else {self.root: _names(listing)}
        self._spelled: dict[tuple[str, ...], list[Path]] = {}  # folder path without case -> its real spellings
        self.read_files: dict[str, dict] = {}  # path below ROOT -> its FileFact fields, or {"error": ...}

    def _entries(self, folder: Path) -> dict[str, list[str]]:
        if folder not in self._listing:
            try:
                self._listing[folder] = _names(entries(folder))
            except InputError:
                self._listing[folder] = {}
        return self._listing[folder]

    def find(self, relative: str) -> Path | None:
        """The real path of RELATIVE ('WINNT\\system32\\x.dll'), or None: the first spelling found, trying
        each folder's spellings in listing order."""
        lowered = _lowered(relative)
        if not lowered:
            return self.root if lowered == () else None
        folders, name = lowered
        for folder in self._spellings(folders):
            found = self._entries(folder).get(name)
            if found:
                return folder / found[0]
        return None

    def _spellings(self, folders: tuple[str, ...]) -> list[Path]:
        """Every real path below ROOT spelled FOLDERS without case, in the order a lookup tries them; worked
        out once per tree (a catalog's few hundred files lie in a few dozen folders)."""
        if folders not in self._spelled:
            self._spelled[folders] = [self.root] if not folders else [
                parent / actual for parent in self._spellings(folders[:-1])
                for actual in self._entries(parent).get(folders[-1], [])]
        return self._spelled[folders]

    def variants(self, relative: str) -> list[Path]:
        """Every spelling of RELATIVE's last name in the folder where it is found: more than one is one
        file on Windows written twice (a copy a user added beside the collector's), never one to choose."""
        found = self.find(relative)
        if found is None:
            return []
        return [found.parent / n for n in self._entries(found.parent).get(found.name.lower(), [])]

    def is_folder(self, found: Path) -> bool:
        return found.is_dir()

    def file_fields(self, found: Path, inputs, limits) -> dict:
        """FileFact fields of FOUND (a file below ROOT), read through the client-file reader; InputError
        when it cannot be read or is not a PE file."""
        name = found.relative_to(self.root).as_posix()
        try:
            fields = SEEN.fields(found, inputs.read(found, limits.file_bytes, "collected system file"))
        except InputError as e:
            self.read_files[name] = {"error": str(e)}
            raise
        self.read_files[name] = fields
        return fields

    def snapshot(self, limits) -> dict:
        """Every folder's names below ROOT and the files read so far; InputError for a tree of more than
        SNAPSHOT_NAMES (or [limits] tree_entries) names, which is not kept (read again for the next catalog)."""
        folders: dict[str, dict[str, list[str]]] = {".": {}}
        # sorted, as entries() lists each folder
        for entry in walk_entries(self.root, max_entries=min(limits.tree_entries, SNAPSHOT_NAMES)):
            if entry.is_folder:
                folders.setdefault(entry.path.relative_to(self.root).as_posix(), {})
            if entry.is_file or entry.is_folder:
                names = folders.setdefault(entry.path.parent.relative_to(self.root).as_posix(), {})
                names.setdefault(entry.name.lower(), []).append(entry.name)
        return {"folders": folders, "read": self.read_files}


class CapturedTree(CaseInsensitiveTree):
    """A CaseInsensitiveTree as a snapshot saw it: no folder is listed again, no file read again; a file it
    never read raises NotCaptured (the machine is read again)."""

    def __init__(self, root: Path, snapshot: dict) -> None:
        super().__init__(root)
        self._folders = snapshot["folders"]
        self.read_files = snapshot["read"]
        # every name's path without case: a catalog path not among them is not there (most of a catalog's files)
        self._known = {f"{folder}\\{name}".lower().replace("/", "\\") if folder != "." else name
                       for folder, names in self._folders.items() for name in names}

    def _entries(self, folder: Path) -> dict[str, list[str]]:
        # a name that is not a listed folder is a file (entries() of a file lists nothing)
        return self._folders.get(folder.relative_to(self.root).as_posix(), {})

    def find(self, relative: str) -> Path | None:
        plain = relative.lower().replace("/", "\\")
        if plain not in self._known and plain[:1] not in ("", ".", "\\") and "\\." not in plain \
                and "\\\\" not in plain and plain[-1] != "\\":
            return None  # the common case, cheaply: a plain path no spelling of which is there
        parts = _parts(relative)
        if not parts or "\\".join(parts).lower() not in self._known:
            return None if parts != [] else self.root
        hit = self._find_below(".", parts)
        return None if hit is None else self.root / hit if hit != "." else self.root

    def _find_below(self, current: str, parts: list[str]) -> str | None:
        """_find on the snapshot's names (a catalog's few hundred files a machine, without a Path each)."""
        if not parts:
            return current
        for actual in self._folders.get(current, {}).get(parts[0].lower(), []):
            hit = self._find_below(actual if current == "." else f"{current}/{actual}", parts[1:])
            if hit is not None:
                return hit
        return None

    def is_folder(self, found: Path) -> bool:
        return found.relative_to(self.root).as_posix() in self._folders

    def file_fields(self, found: Path, inputs, limits) -> dict:
        fields = self.read_files.get(found.relative_to(self.root).as_posix())
        if fields is None:
            raise NotCaptured(str(found))
        if "error" in fields:
            raise InputError(fields["error"])
        return fields


class VersionsSeen:
    """A collected file's FileFact fields by its bytes, for the life of the process: a site's machines carry the
    same builds of the same files (one kernel32.dll of a service pack on every machine that runs it), and pefile
    takes 1-3 ms a file to read headers and resources where hashing the bytes takes a fraction of that. The bytes
    are the key, compared whole on a hit (never a digest of them); at most MAX_BYTES are held (a 32nd of a
    worker's address space, `fit`), and a file that is not a readable PE file is not remembered (its error
    names its own path)."""

    MAX_BYTES = 64 * 1024 * 1024
    MAX_FILE = 8 * 1024 * 1024

    def __init__(self) -> None:
        self._known: dict[bytes, dict] = {}
        self._held = 0

    def fit(self, memory_mib: int) -> None:
        """Hold at most a 32nd of an address space of MEMORY_MIB ([limits] worker_memory_mib), 64 MiB at most."""
        self.MAX_BYTES = min(VersionsSeen.MAX_BYTES, memory_mib * 1024 * 1024 // 32)
        self.MAX_FILE = min(VersionsSeen.MAX_FILE, self.MAX_BYTES // 8)
        self._known.clear()
        self._held = 0

    def fields(self, path: Path, data: bytes) -> dict:
        """The FileFact fields of DATA, read from PATH; InputError when it is not a readable PE file."""
        if len(data) > self.MAX_FILE:
            return version_fields(read_pe_version(path, data))
        known = self._known.get(data)
        if known is None:
            known = version_fields(read_pe_version(path, data))
            if self._held + len(data) > self.MAX_BYTES:
                self._known.clear()
                self._held = 0
            self._known[data] = known
            self._held += len(data)
        return dict(known)


SEEN = VersionsSeen()


def version_fields(pe: PeVersion) -> dict:
    """The FileFact fields of PE's versions."""
    return {"size": pe.size, "file_version": version_text(pe.file_version),
            "product_version": version_text(pe.product_version),
            "file_version_string": pe.file_version_string, "checksum": pe.checksum,
            "machine_type": pe.machine, "problem": None if pe.file_version else "no version resource"}


@functools.lru_cache(maxsize=8192)
def _lowered(relative: str) -> tuple | None:
    """(its folders' names, its own name) of RELATIVE without case, () for the root, None for a path that climbs
    out of it: a catalog's few hundred paths, split once for every machine."""
    parts = _parts(relative)
    if not parts:
        return None if parts is None else ()
    return tuple(p.lower() for p in parts[:-1]), parts[-1].lower()


def _parts(relative: str) -> list[str] | None:
    """The names of a Windows path below a tree's root; None for one that climbs out of it."""
    parts = [p for p in re.split(r"[\\/]", relative) if p]
    return None if any(p in (".", "..") for p in parts) else parts


def _names(found) -> dict[str, list[str]]:
    """A folder's files and folders (links and special files are not there for a lookup), by lower name."""
    names: dict[str, list[str]] = {}
    for entry in found:
        if entry.is_file or entry.is_folder:
            names.setdefault(entry.name.lower(), []).append(entry.name)
    return names


def expand_location(location: str, facts: MachineFacts) -> str | None:
    """'%windir%\\system32' -> 'C:\\WINNT\\system32' from the machine's registry, or None.

    On Windows 95/98/Me the catalog's %windir%\\system32 is their system folder, %windir%\\SYSTEM."""
    key = (location, facts.os_family, facts.system_root, facts.program_files, len(facts.paths))
    if key not in facts.expanded:  # an assessment asks for the same few folders thousands of times
        facts.expanded[key] = _expand(location, facts)
    return facts.expanded[key]


def _expand(location: str, facts: MachineFacts) -> str | None:
    location = family_folder(location, facts.os_family)
    values = {**facts.paths, "windir": facts.system_root, "systemroot": facts.system_root,
              "programfiles": facts.program_files}
    unknown = False

    def sub(m: re.Match) -> str:
        nonlocal unknown
        value = values.get(m.group(1).lower())
        if value is None:
            unknown = True
            return ""
        return value

    expanded = _VAR.sub(sub, location)
    if unknown or not re.match(r"^[A-Za-z]:\\", expanded):
        return None
    return expanded.rstrip("\\")


def catalog_file_paths(catalog: Catalog, facts: MachineFacts) -> tuple[list[str], list[str]]:
    """Full Windows paths of every file the catalog's file changes name (and the unresolvable)."""
    paths: dict[str, str] = {}
    unresolved: set[str] = set()
    for changes in catalog.file_changes.values():
        for fc in changes:
            if not fc.location or not fc.file_name:
                continue
            folder = expand_location(fc.location, facts)
            if folder is None:
                if "%" in fc.location:
                    unresolved.add(fc.location)
                continue
            full = f"{folder}\\{fc.file_name}"
            paths.setdefault(full.lower(), full)
    return sorted(paths.values(), key=str.lower), sorted(unresolved)


WINDIR_FOLDER = "_windir"  # the 9x collector's copy of %windir% (command.com cannot strip the drive)


def file_fact(tree: CaseInsensitiveTree, full: str, system_drive: str, absent: str, inputs, limits,
              windir: str | None = None) -> FileFact:
    """Evidence for Windows path FULL, looked up in TREE (the system drive's root); WINDIR: %windir%
    below the drive, for files the 9x collector put under files\\_windir\\."""
    drive, _, relative = full.partition("\\")
    if drive.upper() != system_drive.upper():
        return FileFact(full, False, problem=f"on drive {drive}, only {system_drive} is collected")
    found = tree.find(relative)
    if found is None and windir and relative.lower().startswith(windir.lower() + "\\"):
        found = tree.find(f"{WINDIR_FOLDER}\\{relative[len(windir) + 1:]}")
    if found is None or tree.is_folder(found):
        return FileFact(full, False, problem=absent)
    copies = tree.variants(str(found.relative_to(tree.root)))
    if len(copies) > 1:
        return FileFact(full, True, problem=f"refused: {len(copies)} files for one name ("
                        f"{', '.join(shown(c) for c in sorted(copies))}): which is the collector's cannot be told")
    try:
        return FileFact(full, True, **tree.file_fields(found, inputs, limits))
    except InputError as e:
        return FileFact(full, True, problem=str(e))


def paths_for(catalog: Catalog, facts: MachineFacts, known: dict | None = None) -> tuple[list[str], list[str]]:
    """catalog_file_paths, remembered in KNOWN (one catalog's) for every machine whose folders expand alike."""
    if known is None:
        return catalog_file_paths(catalog, facts)
    shape = (facts.os_family, facts.system_root, facts.program_files, tuple(sorted(facts.paths.items())))
    if shape not in known:
        known[shape] = catalog_file_paths(catalog, facts)
    return known[shape]


def collect_file_facts(facts: MachineFacts, tree: CaseInsensitiveTree | None, catalog: Catalog | None,
                       absent: str, inputs, limits, known_paths: dict | None = None) -> None:
    """Add a FileFact for each catalog file (or each collected file when there is no catalog); KNOWN_PATHS: see
    paths_for."""
    if tree is None:
        if catalog is None:
            facts.missing.append("file versions (no files/ folder was collected)")
        else:  # a patch that needs file evidence says so (an inventory gap); one that does not is unaffected
            facts.files_absent = "not collected (no files\\ folder)"
        return
    if not facts.system_root:
        facts.missing.append("file versions (system root unknown: %windir% cannot be resolved)")
        return
    drive = facts.system_root[:2]
    if catalog is None:
        for found in walk_files(tree.root, tree.root, max_entries=limits.tree_entries):
            rel = "\\".join(found.path.relative_to(tree.root).parts)
            facts.files.append(file_fact(tree, f"{drive}\\{rel}", drive, absent, inputs, limits))
        return
    paths, unresolved = paths_for(catalog, facts, known_paths)
    # Only files found (or with a problem of their own) are kept; every other catalog file
    # is ABSENT, said once: a machine's facts stay small with a 400-file catalog.
    facts.files_absent = absent
    windir = facts.system_root[3:] if tree.find(WINDIR_FOLDER) is not None else None
    for full in paths:
        fact = file_fact(tree, full, drive, absent, inputs, limits, windir)
        if fact.found or fact.problem != absent:
            facts.files.append(fact)
    if unresolved:
        found = {v.lower(): v for loc in unresolved for v in _VAR.findall(loc)}
        variables = sorted(found.values(), key=str.lower) or unresolved
        facts.missing.append(f"files in {len(unresolved)} catalog locations using "
                             f"{', '.join('%' + v + '%' for v in variables)} (not known from the registry)")
