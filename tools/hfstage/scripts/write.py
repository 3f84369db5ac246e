"""Per-machine install and rollback scripts and the dispatcher: rendered, linted, written.

Every script is rendered and linted before anything is written; then each file is
replaced atomically, and only when its content changed, so a client logging on reads the
old script or the new one. A machine with nothing left to install keeps a harmless
script that exits. Its rollback script comes from its rollback history (what hfstage's scripts
installed there, scripts.rollback), not from what it still misses. A machine whose assessment,
packages, settings and rollback history did not change since the last run is not rendered again
(the scripts memo, state\\scripts.json, keeps what each was made from and its NT 4.0 job).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.assess import Assessment
from hfstage.catalog import Catalog
from hfstage.errors import HfstageError
from hfstage.history import InstalledPatch, ScriptedStep
from hfstage.packages import PackageBook, PackageIndex, load_installers
from hfstage.progress import Progress
from hfstage.scripts.batch import check_machine_name, template_env, to_crlf
from hfstage.scripts.commands import UNINSTALL_LADDER, install_ladder, unattended_ui
from hfstage.scripts.lint import LintProblem, lint_text, spaced_variables
from hfstage.scripts.machine_plans import NINE_X, MachinePlan, plan_machine
from hfstage.scripts.rollback import Rollback, build_rollback, scripted_steps
from hfstage.scripts.settings import ScriptSettings
from hfstage.share import PUBLIC, SCRIPTS, Share, machine_name_problem, write_if_changed, write_many

NETBIOS_MAX = 15
CHUNK = 500


@dataclass
class GenerateResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    unavailable: dict[str, list[str]] = field(default_factory=dict)
    problems: list[LintProblem] = field(default_factory=list)
    plans: list[MachinePlan] = field(default_factory=list)
    skipped: int = 0  # machines not rendered again: nothing they depend on changed
    dispatcher_changed: bool = False
    scheduled: dict[str, dict] = field(default_factory=dict)  # NT 4.0 machine -> what its scheduled job copies
    jobs: int = 0  # NT 4.0 machines in schedule_nt4.bat
    unconfirmed: set[str] = field(default_factory=set)  # packages held back (guessed, changed, refused)
    changed: list[str] = field(default_factory=list)  # confirmed packages whose bytes changed since
    scripted: list[ScriptedStep] = field(default_factory=list)  # what the scripts rendered now run, for the history


def _widths(unc: str) -> dict[str, int]:
    """Worst-case lengths of what command.com substitutes into a 9x script's lines."""
    results = len(unc) + len("\\results\\") + NETBIOS_MAX
    return {"HFS": len(unc), "HFL": results + len(".log"), "HFR": results, "HFC": 16 + len("\\hfstage"),
            "WINDIR": 16, "HFM": NETBIOS_MAX, "HFX": len(unc) + len("\\scripts\\.bat") + NETBIOS_MAX}


def dispatchers(settings: ScriptSettings) -> dict[str, bytes]:
    """netlogon\\logon.bat (the users' logon script) and netlogon\\startup.bat (a Group Policy startup
    script, run as LocalSystem): each runs the collector, then the machine's own script."""
    template = template_env().get_template("logon.bat.j2")
    return {f"{context}.bat": to_crlf(template.render(unc=settings.unc, netlogon=settings.netlogon, context=context))
            for context in ("logon", "startup")}


def render_machine(plan: MachinePlan, settings: ScriptSettings, catalog_version: str,
                   rollback: Rollback | None = None) -> dict[str, bytes]:
    """<MACHINE>.bat for one plan with steps, and <MACHINE>-rollback.bat (ROLLBACK: from the machine's history)."""
    env = template_env()
    suffix = "9x" if plan.os_key in NINE_X else "nt"
    ctx = {"unc": settings.unc, "catalog_version": catalog_version, "machine": plan.machine, "os": plan.os,
           "plan": plan, "ladder": install_ladder(load_installers()), "ui": unattended_ui(load_installers())}
    rollback = rollback or build_rollback(plan.machine, [], plan, PackageIndex(Path()), load_installers())
    return {f"{plan.machine}.bat": to_crlf(env.get_template(f"install_{suffix}.bat.j2").render(**ctx)),
            **render_rollback(rollback, settings, catalog_version)}


def render_rollback(rollback: Rollback, settings: ScriptSettings, catalog_version: str) -> dict[str, bytes]:
    """<MACHINE>-rollback.bat: what hfstage installed there, newest first, and what left the list."""
    suffix = "9x" if rollback.family == "9x" else "nt"
    text = template_env().get_template(f"rollback_{suffix}.bat.j2").render(
        unc=settings.unc, catalog_version=catalog_version, machine=check_machine_name(rollback.machine),
        rollback=rollback, ui=unattended_ui(load_installers()), uninstall_ladder=UNINSTALL_LADDER)
    return {f"{rollback.machine}-rollback.bat": to_crlf(text)}


def render_idle(machine: str, catalog_version: str, unavailable: list[str] | None = None) -> dict[str, bytes]:
    """A script that installs nothing; UNAVAILABLE: what the machine misses but cannot be scripted yet."""
    text = to_crlf(template_env().get_template("idle.bat.j2").render(
        machine=check_machine_name(machine), catalog_version=catalog_version, unavailable=unavailable or []))
    return {f"{machine}.bat": text, f"{machine}-rollback.bat": text}


def script_keys(machines: dict[str, str], settings: ScriptSettings, book: PackageBook, catalog_version: str,
                installed: dict[str, list[InstalledPatch]]) -> dict[str, str]:
    """What each machine's scripts are made from (its assessment key and rollback history, and what every
    machine's share: settings, packages, confirmations, catalog): if it is unchanged, so are they."""
    common = [settings.fingerprint(), book.index.fingerprint(), book.fingerprint(), catalog_version]
    return {m: SCRIPTS.key(key, common, [dataclasses.astuple(e) for e in installed.get(m.casefold(), [])])
            for m, key in machines.items()}


def generate_scripts(share: Share, settings: ScriptSettings, catalog: Catalog, machines: dict[str, str],
                     load: Callable[[list[str]], dict[str, Assessment]], book: PackageBook, rules: dict,
                     only: str | None = None, dry_run: bool = False,
                     installed: dict[str, list[InstalledPatch]] | None = None,
                     written: Callable[[GenerateResult], None] | None = None) -> GenerateResult:
    """Scripts for MACHINES (name -> assessment key of the latest scan), loading assessments with LOAD;
    INSTALLED: each machine's rollback history (casefolded name -> newest first).

    Render and lint everything that changed (nothing is written on a problem), then write. WRITTEN runs once
    the scripts are written, before the memo vouches for them: a run killed before it renders them again.
    """
    installed = installed or {}
    share.check()
    with share.lock():
        share.remove_stale_temps()
        record = share.record(SCRIPTS)
        keys = script_keys(machines, settings, book, catalog.data_version, installed)
        scripts = share.folder("scripts")
        todo = [m for m in machines if (only is None or m.casefold() == only.casefold())
                and (not record.known(m, keys[m]) or not (scripts / f"{m}.bat").is_file())]
        result = GenerateResult(skipped=len(machines) - len(todo) if only is None else 0)
        targets = _render(todo, machines, load, catalog, settings, book, rules, result, installed)
        if only is None:
            targets.update(_stale(share, machines, catalog.data_version))
        targets = {scripts / name: data for name, data in targets.items()}
        result.changed = book.changed()
        jobs = {m: record.value(m) for m in machines if m not in todo and record.value(m)} | result.scheduled
        result.jobs = len(jobs)
        netlogon = share.folder("netlogon")
        targets.update({netlogon / name: data for name, data in dispatchers(settings).items()})
        targets.update({netlogon / name: data for name, data in scheduled_jobs(settings, jobs,
                                                                               catalog.data_version).items()})
        changed = {p: d for p, d in targets.items() if not p.is_file() or p.read_bytes() != d}
        result.dispatcher_changed = any(p.parent == netlogon for p in changed)
        widths = _widths(settings.unc)
        for path, data in changed.items():
            result.problems += lint_text(data, path.name, substitutions=widths,
                                         spaced=spaced_variables(settings.unc, settings.netlogon))
        result.unchanged = sorted(set(targets) - set(changed))
        if result.problems or dry_run:
            result.written = sorted(changed) if dry_run else []
            return result
        record.begin(todo)  # a run killed mid-way leaves no key vouching for a file it had replaced
        _write_all(changed, result)
        book.save()
        if written is not None:
            written(result)
        for m in todo:
            record.put(m, keys[m], result.scheduled.get(m))
        if only is None:
            record.keep_only(machines)
        record.commit()
    return result


def _render(todo: list[str], machines: dict[str, str], load, catalog: Catalog, settings: ScriptSettings,
            book: PackageBook, rules: dict, result: GenerateResult,
            installed: dict[str, list[InstalledPatch]]) -> dict[str, bytes]:
    table = load_installers()
    out: dict[str, bytes] = {}
    with Progress("scripts", len(todo), "machine") as bar:
        for start in range(0, len(todo), CHUNK):  # assessments are read a chunk at a time: 5,000 would not fit well
            chunk = todo[start:start + CHUNK]
            assessments = load([machines[m] for m in chunk])
            for machine in chunk:
                plan = _plan_one(machine, assessments.get(machines[machine]), catalog, settings, book, table, rules,
                                 result)
                rollback = build_rollback(machine, installed.get(machine.casefold(), []), plan, book.index, table)
                _render_one(machine, plan, rollback, catalog, settings, result, out)
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
        products = {(f.bulletin, f.patch.strip().casefold()): f.product for f in a.findings}
        result.scripted += scripted_steps(plan, catalog.data_version, products)
    return plan


def _render_one(machine: str, plan: MachinePlan | None, rollback: Rollback | None, catalog: Catalog,
                settings: ScriptSettings, result: GenerateResult, out: dict) -> None:
    if plan is None or not plan.steps:
        result.idle.append(machine)
        out.update(render_idle(machine, catalog.data_version, plan.unavailable if plan is not None else None))
        if rollback is not None and (rollback.steps or rollback.notes):  # what it has installed stays removable
            out.update(render_rollback(rollback, settings, catalog.data_version))
        return
    out.update(render_machine(plan, settings, catalog.data_version, rollback))
    if plan.os_key == "nt4":
        # only server-side names: the job's folder is ADMIN$ (the machine's real %SystemRoot%), never the
        # SystemRoot its own registry reports
        result.scheduled[machine] = {"packages": plan.packages}


def _stale(share: Share, machines: dict[str, str], catalog_version: str) -> dict[str, bytes]:
    """Scripts of machines no longer on the share become harmless idle scripts (a client may still call one)."""
    out: dict[str, bytes] = {}
    known = {m.casefold() for m in machines}
    for path in share.folder("scripts").glob("*.bat"):
        name = path.name[:-4].removesuffix("-rollback")
        if name.casefold() not in known and machine_name_problem(name) is None:
            out.update(render_idle(name, catalog_version))
    return out


def scheduled_jobs(settings: ScriptSettings, jobs: dict[str, dict], catalog_version: str) -> dict[str, bytes]:
    """netlogon\\schedule_nt4.bat (an admin runs it: copies each NT 4.0 machine's script and packages
    to its ADMIN$ and schedules them with AT) and hfstage_run.bat (the job's entry point)."""
    env = template_env()
    machines = []
    for name in sorted(jobs, key=str.casefold):
        job = jobs[name]
        folders = sorted({"\\".join(rel.split("\\")[:i]) for rel in job["packages"]
                          for i in range(1, rel.count("\\") + 1)}, key=lambda f: (f.count("\\"), f.lower()))
        machines.append({"machine": check_machine_name(name), "packages": job["packages"], "folders": folders})
    return {"schedule_nt4.bat": to_crlf(env.get_template("schedule_nt4.bat.j2").render(
                unc=settings.unc, machines=machines, catalog_version=catalog_version)),
            "hfstage_run.bat": to_crlf(env.get_template("run_local.bat.j2").render())}


def _write_all(changed: dict[Path, bytes], result: GenerateResult) -> None:
    """Write every changed file, or none: on a failure the files already replaced get their old bytes back."""
    previous = {path: path.read_bytes() if path.is_file() else None for path in changed}
    try:
        result.written += write_many(changed, PUBLIC)
    except (OSError, HfstageError) as e:
        for path, old in previous.items():
            with contextlib.suppress(OSError, HfstageError):
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    write_if_changed(path, old, PUBLIC)
        raise type(e)(f"{e}; no script was changed") from e
