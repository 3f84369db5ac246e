"""Per-machine install and rollback scripts and the dispatcher: rendered, linted, written.

Every script is rendered and linted before anything is written; then each file is
replaced atomically, and only when its content changed, so a client logging on reads the
old script or the new one. A machine with nothing left to install keeps a harmless
script that exits. Its rollback script comes from its rollback history (what hfstage's scripts
installed there, scripts.rollback), not from what it still misses. A machine whose assessment,
packages, settings, rollback history and the catalog entries its plan reads (scripts.catalog_reads; not
the catalog's version) did not change since the last run is not planned again (the scripts memo,
state\\scripts.json, keeps what each was made from, those entries' names and its NT 4.0 job); one planned
again whose plan, rollback and settings give the same text (a new catalog that changes nothing of
it: the scripts do not name the catalog, the generation's generation.txt does) is not rendered again
either, and its files are carried into the next generation as they are.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import Assessment
from hfstage.catalog import Catalog
from hfstage.history import InstalledPatch, ScriptedStep
from hfstage.packages import PackageBook, PackageIndex, load_installers
from hfstage.progress import Progress
from hfstage.scripts.batch import BatchText, batch_note, check_machine_name, template_env, to_crlf
from hfstage.scripts.catalog_reads import CatalogReads, plan_reads
from hfstage.scripts.commands import UNINSTALL_LADDER, install_ladder, unattended_ui
from hfstage.scripts.lint import LintProblem, spaced_variables
from hfstage.scripts.lint_shared import SharedLint
from hfstage.scripts.machine_plans import NINE_X, MachinePlan, plan_machine
from hfstage.scripts.rollback import Rollback, build_rollback, scripted_steps
from hfstage.scripts.settings import ScriptSettings
from hfstage.share import PUBLIC, SCRIPTS, Release, Share, machine_name_problem, write_many

NETBIOS_MAX = 15
GENERATION_WIDTH = len("G000000")  # %HFG%: the generation scripts\current.bat names
CHUNK = 500
ANONYMOUS = "Q$Q$Q$Q$Q$Q$Q$"  # a valid machine name, NETBIOS_MAX long, that no template or plan holds (ByPlan)
SCHEDULE = "*schedule"  # the scripts memo's item for the NT 4.0 job files (a name no machine can have)
SCHEDULE_FILES = ("schedule_nt4.bat", "hfstage_run.bat")
# a rollback entry's fields in order, as dataclasses.astuple gives them (all scalars), without its deep copies
_INSTALLED_ROW = operator.attrgetter(*(f.name for f in dataclasses.fields(InstalledPatch)))


@dataclass
class GenerateResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    unavailable: dict[str, list[str]] = field(default_factory=dict)
    problems: list[LintProblem] = field(default_factory=list)
    plans: list[MachinePlan] = field(default_factory=list)
    skipped: int = 0  # machines not rendered again: nothing they depend on changed
    carried: int = 0  # of those, machines planned again whose scripts' text would be the same (text_key)
    texts: dict[str, str] = field(default_factory=dict)  # machine -> text_key of what its scripts are made from
    dispatcher_changed: bool = False
    scheduled: dict[str, dict] = field(default_factory=dict)  # NT 4.0 machine -> what its scheduled job copies
    jobs: int = 0  # NT 4.0 machines in schedule_nt4.bat
    unconfirmed: set[str] = field(default_factory=set)  # packages held back (guessed, changed, refused)
    changed: list[str] = field(default_factory=list)  # confirmed packages whose bytes changed since
    scripted: list[ScriptedStep] = field(default_factory=list)  # what the scripts rendered now run, for the history
    tools: dict[str, list[str]] = field(default_factory=dict)  # machine -> chaining/reboot tools it lacks
    contents: dict[str, dict] = field(default_factory=dict)  # machine -> what its script installs and leaves out
    # machine -> its language (Assessment.language), from its assessment or, not planned again, the memo's: the
    # fetch list's languages then decode no assessment of a machine that did not change
    languages: dict[str, str | None] = field(default_factory=dict)
    reads: dict[str, str] = field(default_factory=dict)  # machine planned -> the catalog entries its plan read
    generation: str | None = None  # the generation this run published (None: nothing changed, or not yet)


def _widths(unc: str) -> dict[str, int]:
    """Worst-case lengths of what command.com substitutes into a 9x script's lines."""
    results = len(unc) + len("\\results\\") + NETBIOS_MAX
    return {"HFS": len(unc), "HFL": results + len(".log"), "HFR": results, "HFC": 16 + len("\\hfstage"),
            "WINDIR": 16, "HFM": NETBIOS_MAX, "HFG": GENERATION_WIDTH,
            "HFX": len(unc) + len("\\scripts\\\\.bat") + GENERATION_WIDTH + NETBIOS_MAX}


def entry_points(settings: ScriptSettings) -> dict[str, bytes]:
    """The stable entry points in netlogon\\ (their text changes only with [share] unc): logon.bat (the users'
    logon script), startup.bat (a Group Policy startup script, run as LocalSystem) and schedule_nt4.bat (an
    admin runs it). Each reads scripts\\current.bat, then calls files of that one generation only."""
    template = template_env().get_template("logon.bat.j2")
    out = {f"{context}.bat": to_crlf(template.render(unc=settings.unc, netlogon=settings.netlogon, context=context))
           for context in ("logon", "startup")}
    out["schedule_nt4.bat"] = to_crlf(template_env().get_template("schedule_entry.bat.j2").render(unc=settings.unc))
    return out


def render_machine(plan: MachinePlan, settings: ScriptSettings, rollback: Rollback | None = None) -> dict[str, bytes]:
    """<MACHINE>.bat for one plan with steps, and <MACHINE>-rollback.bat (ROLLBACK: from the machine's history)."""
    env = template_env()
    suffix = "9x" if plan.os_key in NINE_X else "nt"
    ctx = {"unc": settings.unc, "machine": plan.machine,
           "os": batch_note(plan.os) if plan.os else plan.os,  # a catalog product name, in a rem line
           "plan": plan, "ladder": install_ladder(load_installers()), "ui": unattended_ui(load_installers())}
    rollback = rollback or build_rollback(plan.machine, [], plan, PackageIndex(Path()), load_installers())
    return {f"{plan.machine}.bat": to_crlf(env.get_template(f"install_{suffix}.bat.j2").render(**ctx)),
            **render_rollback(rollback, settings)}


def render_rollback(rollback: Rollback, settings: ScriptSettings) -> dict[str, bytes]:
    """<MACHINE>-rollback.bat: what hfstage installed there, newest first, and what left the list."""
    suffix = "9x" if rollback.family == "9x" else "nt"
    text = template_env().get_template(f"rollback_{suffix}.bat.j2").render(
        unc=settings.unc, machine=check_machine_name(rollback.machine),
        rollback=rollback, ui=unattended_ui(load_installers()), uninstall_ladder=UNINSTALL_LADDER)
    return {f"{rollback.machine}-rollback.bat": to_crlf(text)}


def render_idle(machine: str, unavailable: list[str] | None = None) -> dict[str, bytes]:
    """A script that installs nothing; UNAVAILABLE: what the machine misses but cannot be scripted yet."""
    text = to_crlf(template_env().get_template("idle.bat.j2").render(
        machine=check_machine_name(machine), unavailable=unavailable or []))
    return {f"{machine}.bat": text, f"{machine}-rollback.bat": text}


class ScriptKeys:
    """What each machine's scripts are made from: its assessment key, its rollback history, the catalog
    entries its plan reads (READS, named by plan_reads), and what every machine shares (settings, packages,
    confirmations): if it is unchanged, so are they."""

    def __init__(self, machines: dict[str, str], settings: ScriptSettings, book: PackageBook, catalog: Catalog,
                 installed: dict[str, list[InstalledPatch]]) -> None:
        self.machines, self.installed = machines, installed
        self.common = [settings.fingerprint(), book.index.fingerprint(), book.fingerprint()]
        self.entries = CatalogReads(catalog, settings, book.index)

    def key(self, machine: str, reads: object) -> str | None:
        """MACHINE's key, its plan having read READS (None: not known, e.g. a damaged memo)."""
        part = self.entries.key(reads)
        if part is None:
            return None
        history = [_INSTALLED_ROW(e) for e in self.installed.get(machine.casefold(), [])]
        return SCRIPTS.key(self.machines[machine], self.common, history, part)

    def remembered(self, machine: str, value: object) -> str | None:
        """MACHINE's key from the entries its memo VALUE says its last plan read."""
        return self.key(machine, value.get("reads") if isinstance(value, dict) else None)


def text_key(machine: str, plan: MachinePlan | None, rollback: Rollback | None, settings: str,
             shown: tuple[str, str] | None = None) -> str:
    """What a machine's two script texts are made from, all of it: its plan (packages, switches, steps, what
    is held back), its rollback, SETTINGS (site.ini's: ScriptSettings.fingerprint); the templates and tables
    are in the memo's format. The dataclasses' repr shows every field, nested (asdict's copies cost 4 times
    as much); SHOWN: those two reprs, when the caller made them (ByPlan keys on them too)."""
    return SCRIPTS.key("text", machine, settings, *(shown or (repr(plan), repr(rollback))))


def generate_scripts(share: Share, settings: ScriptSettings, catalog: Catalog, machines: dict[str, str],
                     load: Callable[[list[str]], dict[str, Assessment]], book: PackageBook, rules: dict,
                     only: str | None = None, dry_run: bool = False,
                     installed: dict[str, list[InstalledPatch]] | None = None,
                     written: Callable[[GenerateResult], None] | None = None,
                     release: Release | None = None) -> GenerateResult:
    """Scripts for MACHINES (name -> assessment key of the latest scan), loading assessments with LOAD;
    INSTALLED: each machine's rollback history (casefolded name -> newest first).

    Render and lint everything that changed (nothing is written on a problem), then put it in RELEASE, the
    next generation of scripts\\ (without one: a release of its own, published here). WRITTEN, the memo and
    the netlogon entry points follow the switch: a run killed before it renders them again.
    """
    installed = installed or {}
    share.check()
    with share.lock():
        own = release is None
        if own:  # a caller with a release swept them when it took the lock (the month, pipeline.share_lock)
            share.remove_stale_temps()
        release = release or Release.start(share.folder("scripts"))
        record = share.record(SCRIPTS)
        keying = ScriptKeys(machines, settings, book, catalog, installed)
        keys = {m: keying.remembered(m, record.value(m)) for m in machines}
        todo = [m for m in machines if (only is None or m.casefold() == only.casefold())
                and (keys[m] is None or not record.known(m, keys[m]) or not release.has(f"{m}.bat"))]
        result = GenerateResult(skipped=len(machines) - len(todo) if only is None else 0)
        release.made_for(catalog.data_version, catalog.last_data_update)

        def same_text(m: str, text: str) -> bool:  # rendered before from all the same, and still in the set
            value = record.value(m)
            return isinstance(value, dict) and value.get("text") == text and all(
                release.has(n) for n in (f"{m}.bat", f"{m}-rollback.bat"))

        texts = ByPlan(settings)
        targets = _render(todo, machines, load, catalog, settings, book, rules, result, installed, same_text, texts)
        result.skipped += result.carried if only is None else 0
        result.changed = book.changed()
        planned = set(todo)  # a list's `in` made this 12.5 million comparisons at 5,000 machines, 0.4 s
        kept = {m: record.value(m) for m in machines if m not in planned and isinstance(record.value(m), dict)}
        result.languages |= {m: v["language"] for m, v in kept.items() if "language" in v and record.known(m, keys[m])}
        jobs = {m: v for m, v in kept.items() if v.get("packages") is not None} | result.scheduled
        result.tools = {m: v["tools"] for m, v in kept.items() if v.get("tools")} | result.tools
        result.jobs = len(jobs)
        schedule = SCRIPTS.key(SCHEDULE, settings.unc, {m: j["packages"] for m, j in jobs.items()},
                               catalog.data_version)  # everything scheduled_jobs renders from
        same_jobs = record.known(SCHEDULE, schedule) and all(release.has(n) for n in SCHEDULE_FILES)
        if not same_jobs:  # 5,000 machines' month with no change renders it no more
            targets.update(scheduled_jobs(settings, jobs, catalog.data_version))
        changed = {n: d for n, d in targets.items() if release.differs(n, d)}
        stale = _stale(release, machines) if only is None else []
        netlogon = share.folder("netlogon")
        entries = {netlogon / n: d for n, d in entry_points(settings).items()}
        entries_changed = {p: d for p, d in entries.items() if not p.is_file() or p.read_bytes() != d}
        result.dispatcher_changed = bool(entries_changed)
        lint = SharedLint(ANONYMOUS, _widths(settings.unc), spaced_variables(settings.unc, settings.netlogon))
        for name, data in [*changed.items(), *((p.name, d) for p, d in entries_changed.items())]:
            result.problems += lint.lint(data, name, *texts.made.get(name, (None, None)))
        carried = set(SCHEDULE_FILES) if same_jobs else set()
        result.unchanged = sorted(release.path(n) for n in (set(targets) - set(changed)) | carried)
        if result.problems or dry_run:
            result.written = sorted([*map(release.path, changed), *entries_changed]) if dry_run else []
            return result
        # a run killed mid-way leaves no key vouching for a file it had replaced
        record.begin([*todo, *([] if same_jobs else [SCHEDULE])])
        release.put(changed)
        release.drop(stale)
        result.written = sorted(release.path(n) for n in changed)

        def follow() -> None:  # once clients run the new set: the entry points, then what vouches for it
            result.written += write_many(entries, PUBLIC)
            book.save()
            if written is not None:
                written(result)
            for m in todo:  # keyed on the entries its plan read in this catalog
                record.put(m, keying.key(m, result.reads.get(m, plan_reads(None))), _kept(result, m))
            if not same_jobs:
                record.put(SCHEDULE, schedule)
            if only is None:
                record.keep_only([*machines, SCHEDULE])
            record.commit()

        release.then.append(follow)
        if own:
            result.generation = release.publish()
    return result


def _render(todo: list[str], machines: dict[str, str], load, catalog: Catalog, settings: ScriptSettings,
            book: PackageBook, rules: dict, result: GenerateResult, installed: dict[str, list[InstalledPatch]],
            same_text: Callable[[str, str], bool], texts: ByPlan) -> dict[str, bytes]:
    """The scripts of TODO whose text changed (SAME_TEXT: made before from the same, and kept as they are),
    rendered by TEXTS; every machine's plan goes into RESULT."""
    table = load_installers()
    common = settings.fingerprint()
    out: dict[str, bytes] = {}
    with Progress("scripts", len(todo), "machine") as bar:
        for start in range(0, len(todo), CHUNK):  # assessments are read a chunk at a time: 5,000 would not fit well
            chunk = todo[start:start + CHUNK]
            assessments = load([machines[m] for m in chunk])
            for machine in chunk:
                a = assessments.get(machines[machine])
                if a is not None:
                    result.languages[machine] = a.language
                result.reads[machine] = plan_reads(a)
                plan = _plan_one(machine, a, catalog, settings, book, table, rules, result)
                rollback = build_rollback(machine, installed.get(machine.casefold(), []), plan, book.index, table)
                shown = (repr(plan), repr(rollback))  # made once: the text key and ByPlan's key
                result.texts[machine] = text = text_key(machine, plan, rollback, common, shown)
                _render_one(machine, plan, rollback, texts, result, out, shown, render=not same_text(machine, text))
                bar.update(1)
    return out


def _plan_one(machine: str, a: Assessment | None, catalog: Catalog, settings: ScriptSettings, book: PackageBook,
              table: dict, rules: dict, result: GenerateResult) -> MachinePlan | None:
    plan = plan_machine(a, catalog, settings, book, table, rules) if a is not None else None
    if plan is not None:
        result.plans.append(plan)
        result.unconfirmed.update(plan.unconfirmed)
        if plan.unavailable:
            result.unavailable[machine] = plan.unavailable
        if plan.tools_missing:
            result.tools[machine] = plan.tools_missing
        result.contents[machine] = {"steps": [[s.bulletin, s.qnumber, s.patch] for s in plan.steps],
                                    "held": list(plan.unavailable), "waiting": [list(w) for w in plan.waiting]}
        products = {(f.bulletin, f.patch.strip().casefold()): f.product for f in a.findings}
        result.scripted += scripted_steps(plan, catalog.data_version, products)
    return plan


def machine_files(machine: str, plan: MachinePlan | None, rollback: Rollback | None,
                  settings: ScriptSettings) -> dict[str, bytes]:
    """<MACHINE>.bat and <MACHINE>-rollback.bat as its PLAN (None: no assessment) and ROLLBACK make them."""
    if plan is None or not plan.steps:
        out = render_idle(machine, plan.unavailable if plan is not None else None)
        if rollback is not None and (rollback.steps or rollback.notes):  # what it has installed stays removable
            out.update(render_rollback(rollback, settings))
        return out
    return render_machine(plan, settings, rollback)


class ByPlan:
    """Machine files rendered once per distinct plan: machines whose plans and rollbacks differ only in their
    names get texts that differ only there, since the templates insert the name as it is ({{ machine }});
    tests/scripts check that each equals its own rendering."""

    def __init__(self, settings: ScriptSettings) -> None:
        self.settings = settings
        self.texts: dict[str, dict[str, bytes]] = {}
        self.made: dict[str, tuple[str, bytes]] = {}  # file name -> (its machine, the placeholder text it is of)

    def files(self, machine: str, plan: MachinePlan | None, rollback: Rollback | None,
              shown: tuple[str, str] | None = None) -> dict[str, bytes]:
        """MACHINE's two files; SHOWN: repr(PLAN) and repr(ROLLBACK), when the caller made them."""
        shown = shown or (repr(plan), repr(rollback))
        key = (_unnamed(shown[0], plan), _unnamed(shown[1], rollback))
        if machine_name_problem(machine) is not None or None in key or ANONYMOUS in self.settings.unc \
                or sum(k.count(ANONYMOUS) for k in key) != sum(x is not None for x in (plan, rollback)):
            return machine_files(machine, plan, rollback, self.settings)  # its error, or a value holding ANONYMOUS
        if key not in self.texts:
            self.texts[key] = machine_files(ANONYMOUS, dataclasses.replace(plan, machine=ANONYMOUS) if plan else None,
                                            dataclasses.replace(rollback, machine=ANONYMOUS) if rollback else None,
                                            self.settings)
        out = {}
        for n, d in self.texts[key].items():
            out[n.replace(ANONYMOUS, machine)] = named(d, machine)
            self.made[n.replace(ANONYMOUS, machine)] = (machine, d)  # linted once per text (SharedLint)
        return out


def _unnamed(shown: str, value: MachinePlan | Rollback | None) -> str | None:
    """repr(dataclasses.replace(VALUE, machine=ANONYMOUS)), made from SHOWN, repr(VALUE), without the copy: the
    name is the first field of both dataclasses, and a dataclass's repr shows each field by its own repr
    (None: SHOWN is not of that form)."""
    if value is None:
        return shown
    head = f"{type(value).__qualname__}(machine="
    own = repr(value.machine)
    if not shown.startswith(f"{head}{own}, "):
        return None
    return f"{head}{ANONYMOUS!r}" + shown[len(head) + len(own):]


def named(shared: bytes, machine: str) -> bytes:
    """A text rendered with the placeholder name (ANONYMOUS), MACHINE's name put in: the templates insert the
    name as it is, so it is the text rendered for MACHINE, when nothing else in it held the placeholder."""
    return shared.replace(ANONYMOUS.encode(), machine.encode("ascii"))


def _render_one(machine: str, plan: MachinePlan | None, rollback: Rollback | None, texts: ByPlan,
                result: GenerateResult, out: dict, shown: tuple[str, str], render: bool = True) -> None:
    """Its two files into OUT (unless not RENDER: the set keeps them as they are), its NT 4.0 job into RESULT;
    SHOWN: repr(PLAN) and repr(ROLLBACK)."""
    result.carried += not render
    if render:
        out.update(texts.files(machine, plan, rollback, shown))
    if plan is None or not plan.steps:
        result.idle.append(machine)
        return
    if plan.os_key == "nt4":
        # only server-side names: the job's folder is ADMIN$ (the machine's real %SystemRoot%), never the
        # SystemRoot its own registry reports
        result.scheduled[machine] = {"packages": plan.packages}


def _kept(result: GenerateResult, machine: str) -> dict | None:
    """What the scripts memo keeps of a machine besides its key: its NT 4.0 job, the tools its script lacks,
    what it installs and leaves out (the plan lists exactly that), its language."""
    value = dict(result.scheduled.get(machine) or {}) | result.contents.get(machine, {})
    if result.tools.get(machine):
        value["tools"] = result.tools[machine]
    if machine in result.texts:
        value["text"] = result.texts[machine]
    if machine in result.languages:  # of the assessment the memo's key names
        value["language"] = result.languages[machine]
    if machine in result.reads:  # the catalog entries its plan read: the next run's key
        value["reads"] = result.reads[machine]
    return value or None


def script_contents(record_value: object) -> dict:
    """What the scripts memo says a machine's published script installs ("steps": [bulletin, Q, package]) and
    leaves out ("held": why), for the plan: the same list the script was rendered from."""
    value = record_value if isinstance(record_value, dict) else {}
    return {"steps": [tuple(s) for s in value.get("steps", [])], "held": list(value.get("held", [])),
            "waiting": [tuple(w) for w in value.get("waiting", [])]}


def _stale(release: Release, machines: dict[str, str]) -> list[str]:
    """Scripts of machines no longer on the share leave the next set (the entry points call a machine's
    script only when it exists; a client running one of the set before keeps that generation)."""
    known = {m.casefold() for m in machines}
    out = []
    for name in release.base_names():
        stem = name[:-4].removesuffix("-rollback") if name.lower().endswith(".bat") else ""
        if stem and stem.casefold() not in known and machine_name_problem(stem) is None:
            out.append(name)
    return out


def scheduled_jobs(settings: ScriptSettings, jobs: dict[str, dict], catalog_version: str) -> dict[str, bytes]:
    """netlogon\\schedule_nt4.bat (an admin runs it: copies each NT 4.0 machine's script and packages
    to its ADMIN$ and schedules them with AT) and hfstage_run.bat (the job's entry point)."""
    env = template_env()
    parts = JobParts()
    machines = [parts.text(check_machine_name(name), jobs[name]["packages"], n)
                for n, name in enumerate(sorted(jobs, key=str.casefold), 1)]
    return {"schedule_nt4.bat": to_crlf(env.get_template("schedule_nt4.bat.j2").render(
                unc=settings.unc, jobs=machines, catalog_version=catalog_version)),
            "hfstage_run.bat": to_crlf(env.get_template("run_local.bat.j2").render())}


class JobParts:
    """Each machine's part of schedule_nt4.bat (schedule_job.bat.j2's macro), rendered once per distinct list of
    packages with the placeholder name and number, each machine's put in: 1,500 NT 4.0 machines share a few
    lists. A list holding either placeholder is rendered for its machine itself."""

    NUMBER = "N$N$N$N"  # a label's number no template or package name holds

    def __init__(self) -> None:
        self.macro = template_env().get_template("schedule_job.bat.j2").module.job
        self.texts: dict[tuple[str, ...], str] = {}

    def text(self, machine: str, packages: list[str], number: int) -> BatchText:
        key = tuple(packages)
        if any(ANONYMOUS in p or self.NUMBER in p for p in key):
            return BatchText(self.macro(_job(machine, packages), number))
        if key not in self.texts:
            self.texts[key] = self.macro(_job(ANONYMOUS, packages), self.NUMBER)
        return BatchText(self.texts[key].replace(self.NUMBER, str(number)).replace(ANONYMOUS, machine))


def _job(machine: str, packages: list[str]) -> dict:
    """What the macro reads of one machine: its name, its packages and their folders, outermost first."""
    folders = sorted({"\\".join(rel.split("\\")[:i]) for rel in packages for i in range(1, rel.count("\\") + 1)},
                     key=lambda f: (f.count("\\"), f.lower()))
    return {"machine": machine, "packages": packages, "folders": folders}
