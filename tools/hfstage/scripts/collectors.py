"""`hfstage scripts collectors`: render the inventory collectors into SHARE/netlogon."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from hfstage import resources
from hfstage.catalog import Catalog
from hfstage.inventory import Need, family_folder, installer_file, needed_keys, outermost
from hfstage.scripts.batch import (
    BatchText,
    UnsafeValue,
    check_batch_value,
    check_file_name,
    check_machine_name,
    template_env,
    to_crlf,
)
from hfstage.scripts.lint import MAX_9X_LINE, LintProblem, spaced_variables
from hfstage.scripts.lint_shared import SharedLint
from hfstage.scripts.settings import ScriptSettings
from hfstage.scripts.write import ANONYMOUS, GENERATION_WIDTH, entry_points, named
from hfstage.share import COLLECTORS, PUBLIC, Record, Release, Share, fingerprint, published, write_many

_LOCATION_VARS = {"%windir%": ("%SystemRoot%", "%HF_SR%"), "%systemroot%": ("%SystemRoot%", "%HF_SR%"),
                  "%programfiles%": ("%ProgramFiles%", "%HF_PF%")}
NETBIOS_MAX = 15
IN_SET = ("collect_nt.bat", "collect_9x.bat", "hfday.pre")  # in the published generation; the rest in netlogon
# What the 9x collector joins with DATE's first line (COPY /B) and calls, to set HFDAY to that line: command.com
# cannot echo a text without a line end, so hfstage writes it.
DAY_PREFIX = b"@set HFDAY="
NETLOGON = "netlogon"  # the collectors memo's item for the site-wide files it wrote (and the entry points)
NINE_X = "collect_9x"  # and for the 9x collector, which also names the 9x machines (a month may change them alone)
STUBS = "stubs"  # and for the 9x per-machine stubs in netlogon\ (made from the machines' names alone)
COLLECTED = "collected"  # and for the files the collectors copy from clients, as the last run wrote them
# Worst-case widths of what command.com substitutes into the 9x collector's lines.
# The 9x Windows folder is an 8.3 path such as C:\\WINDOWS; 16 leaves room for C:\\WIN\\WIN98SE.
WORST_WIDTHS = {"HFM": NETBIOS_MAX, "USERNAME": 20, "WINDIR": 16, "HFT": 16 + len("\\TEMP"), "HFU": 20,
                "HFC": 16 + len("\\hfstage"), "HFDAY": 64}  # HFDAY: "[1]" and DATE's first line
# 'regedit /e %HFT%\\hf01.reg "KEY"' must fit in 127 characters with HFT at its widest.
MAX_KEY_LENGTH = 127 - len('regedit /e \\hf01.reg ""') - WORST_WIDTHS["HFT"]
MAX_EXPORTS = 99  # hf01.reg .. hf99.reg (data/collector_outputs.json)


@dataclass(frozen=True)
class RegExportKey:
    file: str
    path: str
    values_only: bool = False  # the NT collector asks reg.exe for the key's own values (regedit /e without it)

    @property
    def query_path(self) -> str:
        """The key as every reg.exe takes it (HKLM\\..., not HKEY_LOCAL_MACHINE\\...)."""
        root, _, rest = self.path.partition("\\")
        return {"HKEY_LOCAL_MACHINE": "HKLM", "HKEY_USERS": "HKU"}.get(root.upper(), root) + "\\" + rest


@dataclass
class CollectorResult:
    written: list[Path]
    unchanged: list[Path]
    problems: list[LintProblem]
    collected_changes: list[str] = field(default_factory=list)  # files the collectors now copy, or no longer


def export_keys(rules: dict, catalog: Catalog | None = None, max_length: int = MAX_KEY_LENGTH,
                max_files: int = MAX_EXPORTS) -> list[RegExportKey]:
    """Keys to export: every key the inventory needs (inventory.needed_keys), numbered hf01, hf02 ...

    A key too long for a command.com line, or one a batch file cannot carry, is replaced by its parent
    (whole); when there are more keys than export names (hf01-hf99), the deepest are folded into their parents.
    """
    needs = []
    for need in needed_keys(rules, catalog):
        while (len(need.path) > max_length or _unsafe(need.path)) and need.path.count("\\") > 1:
            need = Need(need.path.rsplit("\\", 1)[0])
        needs.append(need)
    needs = outermost(needs)
    while len(needs) > max_files:
        deepest = max(n.path.count("\\") for n in needs)
        needs = outermost([Need(n.path.rsplit("\\", 1)[0]) if n.path.count("\\") == deepest else n for n in needs])
    return [RegExportKey(f"hf{i:02d}", check_batch_value(n.path, "registry key"), n.values_only)
            for i, n in enumerate(needs, 1)]


def _unsafe(path: str) -> bool:
    try:
        check_batch_value(path, "registry key")
    except UnsafeValue:
        return True
    return False


COLLECTED_NAME = "collected_files.json"


@functools.cache
def _collect_table() -> dict:
    return resources.data_json(COLLECTED_NAME)


def collectable(folder: str, name: str) -> bool:
    """Whether a collector may copy NAME from FOLDER (below %windir% or %ProgramFiles%): program files and
    libraries only, never from the folders that hold hives, SAM or profiles (data/collected_files.json)."""
    table = _collect_table()
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    parts = {p.lower() for p in folder.split("\\") if p}
    return extension in table["extensions"] and not parts & set(table["refused_folders"])


def _catalog_files(catalog: Catalog | None):
    """(location variable, folder below it, file name) of each catalog file in a folder a collector can name,
    with values safe for a batch file; one odd file name or folder costs that file only; msi.dll too (Windows
    Installer's version decides how .msp patches run)."""
    folder, _, name = installer_file().rpartition("\\")
    yield folder.split("\\", 1)[0].lower(), folder.split("\\", 1)[1], name
    for changes in (catalog.file_changes.values() if catalog is not None else []):
        for fc in changes:
            location = (fc.location or "").strip()
            var = location.split("\\", 1)[0].lower()
            if var not in _LOCATION_VARS or not fc.file_name:
                continue
            try:
                name = check_file_name(fc.file_name, "catalog file name")
                rest = check_batch_value(location[len(var):].strip("\\"), "catalog file location")
            except UnsafeValue:
                continue
            if collectable(rest, name):
                yield var, rest, name


def collected_files(catalog: Catalog | None) -> list[dict]:
    """Source and target of each file the catalog checks, as NT batch expressions."""
    found: dict[str, dict] = {}
    for var, rest, name in _catalog_files(catalog):
        source_var, target_var = _LOCATION_VARS[var]
        sub = f"\\{rest}" if rest else ""
        source = BatchText(f"{source_var}{sub}\\{name}")
        found.setdefault(source.lower(), {"source": source, "target_dir": BatchText(f"{target_var}{sub}"),
                                          "name": BatchText(name)})
    return [found[k] for k in sorted(found)]


def collected_files_9x(catalog: Catalog | None) -> list[dict]:
    """Folder below %windir% and file name of each catalog file in %windir% (the 9x collector copies
    them under files\\_windir\\, where `facts` looks): the catalog's system32 is 9x's SYSTEM folder."""
    found: dict[str, dict] = {}
    for var, rest, name in _catalog_files(catalog):
        if var == "%programfiles%" or " " in rest or " " in name:
            continue  # not below %windir%, or a path command.com would split
        rest = family_folder(f"%windir%\\{rest}", "9x")[len("%windir%\\"):] if rest else rest
        found.setdefault(f"{rest}\\{name}".lower(), {"folder": BatchText(rest), "name": BatchText(name)})
    return [found[k] for k in sorted(found)]


def _copy_line(f: dict) -> str:
    """The 9x collector's line that copies one file (as the template writes it)."""
    source = f"%windir%\\{f['folder']}\\{f['name']}" if f["folder"] else f"%windir%\\{f['name']}"
    return f"copy {source} %HFF%" + (f"\\{f['folder']}" if f["folder"] else "") + " >nul"


def render_collectors(settings: ScriptSettings, rules: dict, catalog: Catalog | None,
                      machines: list[str], nine_x: list[str] | None = None) -> dict[str, bytes]:
    """File name -> CRLF batch bytes for netlogon\\: both collectors, the dispatcher and the 9x stubs.

    NINE_X: the Windows 9x machines the last scan knows; the 9x collector finds its own name among
    them when no per-machine stub set it."""
    return site_files(settings, rules, catalog, nine_x) | render_stubs(settings, machines)


def site_files(settings: ScriptSettings, rules: dict, catalog: Catalog | None,
               nine_x: list[str] | None = None) -> dict[str, bytes]:
    """Both collectors, the day prefix and the entry points: what netlogon\\ and the set hold besides stubs."""
    return nt_files(settings, rules, catalog) | nine_x_files(settings, rules, catalog, nine_x)


def nt_files(settings: ScriptSettings, rules: dict, catalog: Catalog | None) -> dict[str, bytes]:
    """The NT collector, the day prefix and the entry points: none of them names a machine."""
    template = template_env().get_template("collect_nt.bat.j2")
    nt = functools.partial(template.render, unc=settings.unc, reg_keys=export_keys(rules, catalog),
                           files=collected_files(catalog), catalog_version=catalog.data_version if catalog else "none",
                           mode=settings.collect_mode, interval=settings.collect_interval)
    rendered = {"collect_nt.bat": to_crlf(nt(version=collector_version(nt(version=""))))}
    rendered["hfday.pre"] = DAY_PREFIX
    rendered.update(entry_points(settings))
    return rendered


def nine_x_files(settings: ScriptSettings, rules: dict, catalog: Catalog | None,
                 nine_x: list[str] | None = None) -> dict[str, bytes]:
    """The 9x collector, which finds its own name among NINE_X (the 9x machines the last scan knows)."""
    hff = len(settings.unc) + len("\\inventory\\_unnamed\\") + WORST_WIDTHS["USERNAME"] + len("\\files\\_windir")
    # a file whose copy line would not fit command.com's 127 characters is left out (NT-only paths)
    files_9x = [f for f in collected_files_9x(catalog)
                if len(_copy_line(f)) - len("%windir%%HFF%") + WORST_WIDTHS["WINDIR"] + hff <= MAX_9X_LINE]
    nine = functools.partial(
        template_env().get_template("collect_9x.bat.j2").render, unc=settings.unc, reg_keys=export_keys(rules, catalog),
        files=files_9x, catalog_version=catalog.data_version if catalog else "none", interval=settings.collect_interval,
        folders=sorted({"\\".join(f["folder"].split("\\")[:i]) for f in files_9x if f["folder"]
                        for i in range(1, f["folder"].count("\\") + 2)}, key=lambda d: (d.count("\\"), d.lower())),
        nine_x_machines=sorted({check_machine_name(m).upper() for m in nine_x or []}))
    return {"collect_9x.bat": to_crlf(nine(version=collector_version(nine(version=""))))}


def render_stubs(settings: ScriptSettings, machines: list[str],
                 made: dict[str, tuple[str, bytes]] | None = None) -> dict[str, bytes]:
    """<MACHINE>.bat for netlogon\\: each machine's 9x stub, made from its name and [share] netlogon alone, so
    rendered once with the placeholder name and the name put in (write.ByPlan's way; MADE gets each file's
    machine and that text, for SharedLint); a netlogon holding the placeholder renders each stub itself."""
    template = template_env().get_template("machine_stub.bat.j2")
    shared = None if ANONYMOUS in settings.netlogon else to_crlf(
        template.render(machine=ANONYMOUS, netlogon=settings.netlogon))
    out = {}
    for machine in machines:
        name = check_machine_name(machine).upper()
        if shared is None:
            out[f"{name}.bat"] = to_crlf(template.render(machine=name, netlogon=settings.netlogon))
            continue
        out[f"{name}.bat"] = named(shared, name)
        if made is not None:
            made[f"{name}.bat"] = (name, shared)
    return out


def collector_version(text: str) -> str:
    """A collector's version: a digest of what it does (its text with no version in it), so any change of
    catalog, keys, files or template makes clients collect again."""
    return fingerprint(text)[:12]


def lint_collectors(rendered: dict[str, bytes], unc: str, netlogon: str | None = None,
                    shared: dict[str, tuple[str, bytes]] | None = None) -> list[LintProblem]:
    """Lint every script with the worst-case substitutions a client could make; SHARED: file -> (its machine,
    the placeholder text it was made from: render_stubs), linted once per text (SharedLint)."""
    hfd = len(unc) + len("\\inventory\\_unnamed\\") + WORST_WIDTHS["USERNAME"]
    widths = {**WORST_WIDTHS, "HFD": hfd, "HFF": hfd + len("\\files\\_windir"),
              "HFG": GENERATION_WIDTH,
              "HFX": len(unc) + len("\\scripts\\\\.bat") + GENERATION_WIDTH + NETBIOS_MAX}
    lint = SharedLint(ANONYMOUS, widths, spaced_variables(unc, netlogon))
    problems = []
    for name, data in rendered.items():
        problems += lint.lint(data, name, *(shared or {}).get(name, (None, None)))
    return problems


def write_collectors(share: Share, settings: ScriptSettings, rules: dict, catalog: Catalog | None,
                     machines: list[str], nine_x: list[str] | None = None,
                     release: Release | None = None) -> CollectorResult:
    """Render, lint (refusing to write anything on a problem), then put the collectors in RELEASE (the next
    generation of scripts\\; without one, a release of its own, published here) and, once it is published,
    write the entry points and 9x stubs into netlogon\\.

    Nothing is rendered when what the collectors are made from, and the files made last time, are as
    they were (the collectors memo): `month` calls this every month for 5,000 machines' stubs. The stubs
    have a key of their own (the machines' names and [share] netlogon), and so has the 9x collector (it names
    the 9x machines): a month that changes the catalog renders the collectors again, not 5,000 stubs; one that
    changes which machines run Windows 9x renders the 9x collector alone."""

    version = catalog.data_version if catalog else None
    keys = {NETLOGON: COLLECTORS.key(settings.fingerprint(), rules, version),
            NINE_X: COLLECTORS.key(NINE_X, settings.fingerprint(), rules, version, sorted(nine_x or [])),
            STUBS: COLLECTORS.key(STUBS, settings.netlogon, sorted(machines))}
    record = share.record(COLLECTORS)
    netlogon, scripts = share.folder("netlogon"), share.folder("scripts")

    def where(name: str) -> Path:
        return published(scripts, name) if name in IN_SET else netlogon / name

    made = {item: record.fresh(item, key) for item, key in keys.items()}
    kept = {item: files for item, files in made.items() if isinstance(files, dict) and (files or item == STUBS)
            and all(_stamp(where(name)) == stamp for name, stamp in files.items())}
    as_made = [where(n) for files in kept.values() for n in files]
    if len(kept) == len(keys):
        return CollectorResult([], as_made, [])
    shared: dict[str, tuple[str, bytes]] = {}
    parts = {NETLOGON: lambda: nt_files(settings, rules, catalog),
             NINE_X: lambda: nine_x_files(settings, rules, catalog, nine_x),
             STUBS: lambda: render_stubs(settings, machines, shared)}
    again = {item: parts[item]() for item in keys if item not in kept}
    rendered = {name: data for files in again.values() for name, data in files.items()}
    problems = lint_collectors(rendered, settings.unc, settings.netlogon, shared)
    result = CollectorResult([], [], problems)
    if problems:
        return result
    collected = collected_list(catalog)
    result.collected_changes = _collected_changes(record, collected) if NETLOGON in again else []
    with share.lock():
        own = release is None
        release = release or Release.start(scripts)
        if catalog is not None:
            release.made_for(catalog.data_version, catalog.last_data_update)
        in_set = {n: d for n, d in rendered.items() if n in IN_SET and release.differs(n, d)}
        record.begin(list(again))
        release.put(in_set)

        def follow() -> None:  # once clients run the new set
            local = {netlogon / n: d for n, d in sorted(rendered.items()) if n not in IN_SET}
            result.written = [release.path(n) for n in in_set] + write_many(local, PUBLIC)
            result.unchanged = sorted(({where(n) for n in rendered} | set(as_made)) - set(result.written))
            for item, files in again.items():
                record.put(item, keys[item], {name: _stamp(where(name)) for name in files})
            if NETLOGON in again:
                record.put(COLLECTED, fingerprint(collected), collected)
            record.commit()

        release.then.append(follow)
        if own:
            release.publish()
    return result


def collected_list(catalog: Catalog | None) -> list[str]:
    """Every file the collectors copy from clients, as the NT collector names it."""
    return sorted({str(f["source"]) for f in collected_files(catalog)}, key=str.lower)


def _collected_changes(record: Record, collected: list[str]) -> list[str]:
    """What the admin must hear: the collectors copy files from every client they did not copy before."""
    before = record.value(COLLECTED)
    if not isinstance(before, list) or before == collected:
        return []
    added = [f for f in collected if f not in before]
    removed = [f for f in before if f not in collected]
    out = []
    if added:
        out.append(f"the collectors now copy {len(added)} more file(s) from every client: {', '.join(added[:10])}"
                   + (" ..." if len(added) > 10 else ""))
    if removed:
        out.append(f"the collectors no longer copy {len(removed)} file(s): {', '.join(removed[:10])}"
                   + (" ..." if len(removed) > 10 else ""))
    return out


def _stamp(path: Path) -> list[int] | None:
    try:
        st = path.lstat()
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns]
