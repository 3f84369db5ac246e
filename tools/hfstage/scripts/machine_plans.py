"""What each machine's install script must do: its missing patches, in order, with packages.

Built from the machine's assessment, the catalog it used, the packages under hotfixes\\
and the site's script settings; nothing is read from the history here.

A package is known to the client by its identity (file name and size): the client's
markers record it, so a revised package under an old name, or a retry of a package that
said it installed but did not, is a different package to the script.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hfstage.assess import KIND_SERVICE_PACK, MISSING, Assessment, Finding, service_pack_position
from hfstage.catalog import Catalog, Patch
from hfstage.inventory import MACHINE_ACCOUNT, foreign_engine, hotfix_aliases, load_settings, service_pack_id
from hfstage.packages import PackageBook, PackageIndex, uninstall_folder
from hfstage.scripts.batch import BatchText, batch_note, check_batch_value, check_command, check_file_name
from hfstage.scripts.commands import install_line, uninstall_line
from hfstage.scripts.hold import alone_after, held_back, qchain_problem
from hfstage.scripts.lint import separator_in
from hfstage.scripts.settings import ScriptSettings
from hfstage.scripts.window import Window

QCHAIN = "qchain.exe"
HOTFIX_KEY = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\"
NINE_X = ("9x", "95")
UNCHAINED = ("iexpress",)  # KB 815062: QChain cannot chain IExpress (IE, 9x) packages


@dataclass
class Step:
    """One package to install: where it is, how to run it, how to undo it, how the client knows it."""

    label: str
    bulletin: str
    qnumber: str
    patch: str
    marker: str  # the file name of the client's markers for this patch
    identity: str  # what the markers hold: file name and size, plus " rN" for the Nth retry
    kind: str
    install: BatchText
    uninstall: BatchText | None
    needs_reboot: bool
    date_posted: str
    package: str  # path below hotfixes\
    made: str = "9999-12-31"  # the package's own date (its signature), else the bulletin's: decides QChain
    kind_source: str = ""  # where the kind came from: site.ini, package, product, name, default
    rescan_after: bool = False  # a service pack: stop after it; the next scan decides the rest
    alone: bool = False  # it ends the run with a restart: IE/OE IExpress, or any package with no QChain (KB 296861)
    startup_skip: bool = False  # too long for this machine's startup-script limit: never run from a startup script
    check_existing: bool = True  # skip when the client already has the patch's Hotfix key (HKLM: not a user's)
    hotfix_keys: list[str] = field(default_factory=list)
    uninstall_dir: str | None = None  # the package's own $NtUninstall folder (packages.uninstall_folder)


@dataclass
class MachinePlan:
    machine: str
    os: str | None
    os_key: str  # nt4, w2k, xp, 9x or 95
    steps: list[Step] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    qchain: BatchText | None = None
    reboot: BatchText = BatchText("")
    max_attempts: int = 2
    role: str = "workstation"
    reboot_mode: str = "auto"  # auto: the script reboots; never: it reports reboot-required
    window: Window | None = None  # when this machine may install (servers and domain controllers)
    pending_reboot: bool = False  # its last inventory showed pending file renames
    packages: list[str] = field(default_factory=list)  # every file below hotfixes\ the script runs
    retried: list[str] = field(default_factory=list)  # "reported installed, still missing" lines
    unconfirmed: list[str] = field(default_factory=list)  # packages held back: a guess, a change, a refusal
    installer_version: str | None = None  # Windows Installer (msi.dll) on the machine, as collected
    script_wait: int | None = None  # MaxGPOScriptWait in seconds (0: no limit), 2000/XP/2003 only
    reboot_note: str = ""  # why the script asks the user to restart instead of restarting (Windows 95)
    tools_missing: list[str] = field(default_factory=list)  # qchain.exe, shutdown.exe: needed, not under hotfixes\
    waiting: list[tuple[str, str, str]] = field(default_factory=list)  # (bulletin, Q, package) not approved


def os_key(os_name: str | None, rules: dict) -> str | None:
    """nt4, w2k, xp (XP and 2003), 9x (98, 98 SE, Me) or 95 for a catalog OS product name."""
    rule = next((r for r in rules["os"] if r["name"] == os_name), None)
    if rule is None:
        return None
    if rule["family"] == "9x":
        return "95" if rule["name"] == "Windows 95" else "9x"
    return {"4.0": "nt4", "5.0": "w2k"}.get(rule.get("version"), "xp")


def _marker(qnumber: str | None, name: str) -> str:
    """A short, safe file name for the attempt and done markers of one patch."""
    if qnumber and re.fullmatch(r"(Q|KB)\d{5,7}", qnumber.strip(), re.I):
        return qnumber.strip().upper()
    return re.sub(r"[^A-Za-z0-9]", "", name)[:8].upper() or "PATCH"


def retry_round(identity: str, done: set[str]) -> int:
    """How many times the client marked IDENTITY installed while the scan still found it missing.

    The markers hold the latest round only (`[identity rN]` replaces `[identity]`): N+1 rounds.
    """
    if identity in done:
        rounds = 1
    else:
        rounds = 0
    prefix = identity + " r"
    for marker in done:
        if marker.startswith(prefix) and marker[len(prefix):].isdigit():
            rounds = max(rounds, int(marker[len(prefix):]) + 1)
    return rounds


# done.txt is a file any user can write (its lines, a package's name and size, are public): a marker is
# the client's word that a package ran. It may hold a package back (given up after max_attempts; an NT 4.0
# hotfix never installed over itself) only when the machine itself confirms it: the folder is bound to its
# computer account, or the scan finds the patch's own Hotfix key in its registry (the package ran there).
# Otherwise a marker only moves the retry to a new identity (`[file size rN]`), so the client's own
# marker cannot make it skip the package: a forged line costs a reinstall, never the patch.
UNCOUNTED = ("; not counted toward giving up: done.txt is not bound to the machine account and the registry has "
             "no key of the patch")


def markers_count(a: Assessment, f: Finding) -> bool:
    """Whether the client's done markers may hold F's package back on A (see above)."""
    return a.binding == MACHINE_ACCOUNT or f.registered


def reported_still_missing(a: Assessment, packages: PackageIndex) -> list[tuple[Finding, int]]:
    """Missing patches the client's scripts marked installed, and how many times."""
    done = set(a.done)
    out = []
    for f in a.findings:
        identity = packages.identity(packages.package(f.bulletin, f.patch)) \
            if f.status == MISSING and f.kind != KIND_SERVICE_PACK else None
        times = retry_round(identity, done) if identity else 0
        if times:
            out.append((f, times))
    return out


def plan_machine(a: Assessment, catalog: Catalog, settings: ScriptSettings, book: PackageBook, table: dict,
                 rules: dict) -> MachinePlan | None:
    """The machine's plan, or None when it has nothing a script could do (unreadable, unknown OS)."""
    key = os_key(a.os, rules)
    if a.error or key is None:
        return None
    plan = MachinePlan(a.machine, a.os, key, max_attempts=settings.max_attempts, pending_reboot=a.pending_reboot,
                       installer_version=a.installer_version, script_wait=a.script_wait)
    if key in NINE_X:
        plan.role, plan.reboot_mode = "workstation", settings.reboot_machines.get(a.machine.casefold(), "auto")
    else:
        plan.role = a.role or "machine of unknown role"
        plan.reboot_mode = settings.reboot_mode(a.machine, a.role)
        if a.role != "workstation":
            plan.window = settings.window
    packages = book.index
    sp = _service_pack_step(a, catalog, book, table, settings, plan) if key not in NINE_X else None
    missing = [f for f in a.findings if f.status == MISSING and f.kind != KIND_SERVICE_PACK
               and _approved(plan, settings, f.bulletin, f.qnumber or "-", f.patch)]
    _add_patches(plan, missing, a, catalog, book, table, settings)
    if sp is not None:
        plan.steps.insert(0, sp)
    plan.steps = alone_after(plan.steps)  # one IE/OE IExpress package per restart, after those that chain
    plan.packages = [s.package for s in plan.steps]
    # QChain (KB 815062) by the package's own date; IExpress packages cannot be chained
    chained = [s for s in plan.steps if s.kind not in UNCHAINED]
    needs_qchain = key == "nt4" and bool(chained) or (key in ("w2k", "xp") and any(
        s.made < table["qchain"]["before"] for s in chained))
    if needs_qchain and plan.steps:
        rel = packages.find(QCHAIN)
        problem = _tool_problem(book, QCHAIN) or qchain_problem(book.facts(QCHAIN), table["qchain"])
        if rel is None or problem:  # without a QChain that works: one package per restart (KB 296861)
            plan.unavailable.append(f"{QCHAIN}: " + ("not found under hotfixes\\ (needed to chain these hotfixes)"
                                                     if rel is None else problem)
                                    + ": this script installs one package per restart instead (KB 296861)")
            plan.tools_missing += [QCHAIN] if rel is None else []
            for step in chained:
                step.alone = True
            plan.steps = alone_after(plan.steps)
        else:
            plan.packages.append(check_batch_value(rel, "qchain path"))
            plan.qchain = BatchText(f'"%HF_PKG%\\{rel}" "%HF_STATE%\\qchain.log"')
    plan.reboot = _reboot_command(key, settings, table, book, plan)
    plan.unavailable = [batch_note(note) for note in plan.unavailable]  # each names catalog values
    return plan


def _approved(plan: MachinePlan, settings: ScriptSettings, bulletin: str, qnumber: str, package: str) -> bool:
    """Whether the patch may reach this machine's script (approval and rings); if not, the plan says why."""
    why = settings.gate.why_not(plan.machine, bulletin, qnumber, package)
    if why is not None:
        plan.unavailable.append(f"{bulletin} {package.strip()}: {why}")
        plan.waiting.append((bulletin, qnumber, package.strip()))
    return why is None


def _tool_problem(book: PackageBook, name: str) -> str | None:
    """Why a tool the script runs (qchain.exe, shutdown.exe) is refused: not a program at all."""
    facts = book.facts(name)
    return f"refused: {facts.problem}" if facts is not None and facts.problem else None


def _reboot_command(key: str, settings: ScriptSettings, table: dict, book: PackageBook,
                    plan: MachinePlan) -> BatchText:
    given = settings.reboot.get(key) or table["reboot"][key]
    if not given:  # no documented command (Windows 95): the user is asked to restart
        plan.reboot_mode, plan.reboot_note = "ask", table["reboot_sources"][key]
        return BatchText("")
    command = check_command(given, f"reboot command for {key}")
    if "{packages}\\" in command:  # a tool the script takes from hotfixes\ (shutdown.exe on NT 4.0 and 2000)
        tool = command.split("{packages}\\", 1)[1].split('"', 1)[0].split(" ", 1)[0]
        rel = book.index.find(tool)
        if rel is None or _tool_problem(book, tool):  # never call a tool that is not there: an admin restarts it
            plan.unavailable.append(f"{tool}: " + ("not found under hotfixes\\ (the reboot command needs it)"
                                                   if rel is None else _tool_problem(book, tool))
                                    + ": this script does not restart the machine; it reports reboot-required")
            plan.tools_missing += [tool] if rel is None else []
            plan.reboot_mode = "never"
            return BatchText("")
        else:
            plan.packages.append(check_batch_value(rel, "reboot tool path"))
            command = command.replace(f"{{packages}}\\{tool}", f"{{packages}}\\{rel}")
    share_var = "%HFS%" if key in NINE_X else "%HF_SHARE%"  # the templates' names for the share
    return BatchText(command.replace("{share}", share_var).replace("{packages}", "%HF_PKG%")
                     .replace("{delay}", str(settings.reboot_delay)).replace("{message}", settings.reboot_message))


def _add_patches(plan: MachinePlan, missing: list[Finding], a: Assessment, catalog: Catalog, book: PackageBook,
                 table: dict, settings: ScriptSettings) -> None:
    packages = book.index
    family = "9x" if plan.os_key in NINE_X else "NT"
    folder = "%HFS%\\hotfixes" if family == "9x" else "%HF_PKG%"
    done = set(a.done)
    chosen: list[tuple[str, str, Patch, Finding, str]] = []
    for f in missing:
        patch = catalog.patch(f.bulletin, f.patch)
        if patch is None:
            continue
        if patch.batch_problem:  # found at the catalog's import; this patch alone is left out
            what = patch.unscriptable_value[0]
            plan.unavailable.append(f"{f.bulletin} {patch.name.strip()}: the catalog's {what} cannot be put into "
                                    "a batch file: not scripted")
            continue
        pkg = packages.package(f.bulletin, patch.name)  # the entry's own build, in its place
        rel = pkg.rel
        if rel is None and pkg.problem is None:
            plan.unavailable.append(f"{f.bulletin} {patch.name}: package not found under hotfixes\\"
                                    + (f" (it goes in hotfixes\\{pkg.place})" if pkg.place != pkg.name else ""))
            continue
        verdict = book.verdict(pkg, f.product, family)
        if not verdict.scripted:
            plan.unavailable.append(f"{f.bulletin} {patch.name.strip()}: {verdict.problem}")
            plan.unconfirmed.append(patch.name.strip())
            continue
        if family == "9x" and rel and separator_in(rel):
            plan.unavailable.append(f"{f.bulletin} {patch.name.strip()}: its package is hotfixes\\{rel}, a path with "
                                    f"{separator_in(rel)}, which command.com's start would split (at a space, comma, "
                                    "semicolon or =): rename it or move it to a folder without them; not scripted")
            continue
        foreign = foreign_engine(verdict.decision.kind, family)
        if foreign is not None:  # the catalog lists this OS for another family's package: it could never install
            plan.unavailable.append(f"{f.bulletin} {patch.name.strip()}: {foreign.what}, which runs only on "
                                    f"{foreign.family}, but the catalog lists it for {a.os}: not scripted")
            continue
        check_file_name(patch.name.strip(), "patch file name")
        bulletin = catalog.bulletins[patch.bulletin_id]
        posted = bulletin.date_posted.isoformat() if bulletin.date_posted else "9999-12-31"
        chosen.append((posted, patch.bulletin_id, patch, f, check_batch_value(rel, "hotfix path"), verdict, pkg))
    chosen.sort(key=lambda c: (c[0], c[1], c[2].name.lower()))  # oldest bulletin first
    seen = set()
    for posted, bulletin_id, patch, f, rel, verdict, pkg in chosen:
        if pkg.key in seen:  # one build can answer several bulletins
            continue
        seen.add(pkg.key)
        identity = packages.identity(pkg) or patch.name.strip()
        rounds = retry_round(identity, done)
        counted = rounds if markers_count(a, f) else 0
        if rounds:
            plan.retried.append(f"{bulletin_id} {patch.name.strip()}: reported installed, still missing "
                                f"({rounds} time(s))" + ("" if counted else UNCOUNTED))
        held = held_back(plan, verdict, counted, a, pkg)
        if held:
            plan.unavailable.append(f"{bulletin_id} {patch.name.strip()}: {held}")
            continue
        kind = verdict.decision.kind or "custom"
        file = f"{folder}\\{rel}"
        book.note_scripted(pkg, verdict)
        install = install_line(verdict, table, file, patch.name.strip(), settings, plan.os_key, a.installer_version)
        if family == "9x":
            # command.com does not wait for a Windows program: start /w does, and passes on its exit code
            install = BatchText("start /w " + install.replace(f'"{file}"', file))
        ids = hotfix_aliases(f.qnumber or "")
        undir = uninstall_folder(rel, f.qnumber)
        plan.steps.append(Step(
            label=f"p{len(plan.steps) + 1:02d}", bulletin=bulletin_id, qnumber=f.qnumber or "-",
            patch=patch.name.strip(), marker=_marker(f.qnumber, patch.name),
            identity=identity if rounds == 0 else f"{identity} r{rounds}", kind=kind,
            install=install,
            uninstall=uninstall_line(kind, table, file, undir is not None) if kind in table["kinds"] else None,
            needs_reboot=not patch.no_reboot, date_posted=posted, package=rel,
            made=book.package_date(pkg) or posted, kind_source=verdict.decision.source,
            # the scan saw an earlier package's key, or the client said it installed: the keys prove nothing
            check_existing=not f.rereleased and rounds == 0,
            hotfix_keys=[HOTFIX_KEY + i for i in ids], uninstall_dir=undir,
            alone=_alone(kind, f.product, table)))


def _alone(kind: str, product: str, table: dict) -> bool:
    """An Internet Explorer / Outlook Express IExpress package: one per restart (KB 296861)."""
    rule = table["one_per_restart"]
    return kind in rule["kinds"] and re.search(rule["product"], product) is not None


def _service_pack_step(a: Assessment, catalog: Catalog, book: PackageBook, table: dict,
                       settings: ScriptSettings, plan: MachinePlan) -> Step | None:
    """The site's service pack package for this OS, when the machine is below the catalog's current SP."""
    package = settings.service_packs.get((a.os or "").casefold())
    if package is None:  # most sites name none: no walk of the catalog's products per machine
        return None
    product = next((p for p in catalog.products.values() if p.name.strip() == a.os), None)
    if product is None or product.current_service_pack_id is None:
        return None
    # NT 4.0 SP6 is not in the catalog's list beside SP6a: placed by its release date, it is below it
    have = service_pack_id(catalog, product, a.service_pack)
    have_at = service_pack_position(catalog, product.id, have) if have is not None else None
    want_at = service_pack_position(catalog, product.id, product.current_service_pack_id)
    if have_at is None or want_at is None or have_at >= want_at or not _approved(plan, settings, "SP", "-", package):
        return None
    pkg = book.index.named(package)
    if pkg.rel is None and pkg.problem is None:
        plan.unavailable.append(f"SP {package}: not found under hotfixes\\")
        return None
    verdict = book.verdict(pkg, a.os or "", "NT", ("servicepack", "[service_packs] names it"))
    if not verdict.scripted:
        plan.unavailable.append(f"SP {package}: {verdict.problem}")
        return None
    book.note_scripted(pkg, verdict)
    rel = check_batch_value(pkg.rel, "service pack path")
    # one marker per service pack package: SP3 done must not stand for SP4
    marker = "SP-" + (re.sub(r"[^A-Za-z0-9]", "", package)[:24].upper() or "PACK")
    return Step(label="sp", bulletin="SP", qnumber="-", patch=package, marker=marker,
                identity=book.index.identity(pkg) or package, kind="servicepack",
                install=BatchText(table["kinds"]["servicepack"]["install"].replace("{file}", f"%HF_PKG%\\{rel}")),
                uninstall=None, needs_reboot=True, date_posted="0000-00-00", package=rel, rescan_after=True,
                check_existing=False, made="0000-00-00", kind_source="site.ini", startup_skip=short_startup(a))


def short_startup(a: Assessment) -> bool:
    """Whether the machine stops startup scripts sooner than a service pack takes (MaxGPOScriptWait; 0: no limit)."""
    return a.script_wait is not None and 0 < a.script_wait < load_settings()["script_wait"]["long_install_seconds"]
