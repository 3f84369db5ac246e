"""`hfstage scripts generate`: per-machine install and rollback scripts, and the dispatcher.

Every script is rendered and linted before anything is written; then each file is
replaced atomically, and only when its content changed, so a client logging on reads
the old script or the new one. A machine with nothing left to install keeps a harmless
script that exits.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from hfstage.errors import InputError
from hfstage.fsutil import write_if_changed
from hfstage.report.history import rows
from hfstage.scripts.batch import check_machine_name, check_unc, template_env, to_crlf
from hfstage.scripts.lint import LintProblem, lint_text
from hfstage.scripts.plan import MachinePlan, build_plans, site_settings
from hfstage.share import Share

NETBIOS_MAX = 15


@dataclass
class GenerateResult:
    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    unavailable: dict[str, list[str]] = field(default_factory=dict)
    problems: list[LintProblem] = field(default_factory=list)
    plans: list[MachinePlan] = field(default_factory=list)


def _widths(unc: str) -> dict[str, int]:
    """Worst-case lengths of what command.com substitutes into a 9x script's lines."""
    results = len(unc) + len("\\results\\") + NETBIOS_MAX
    return {"HFS": len(unc), "HFL": results + len(".log"), "HFR": results, "HFC": 16 + len("\\hfstage"),
            "WINDIR": 16, "HFM": NETBIOS_MAX, "HFX": len(unc) + len("\\scripts\\.bat") + NETBIOS_MAX}


def dispatcher(share: Share) -> bytes:
    """netlogon\\logon.bat: runs the collector, then the machine's own script."""
    unc = check_unc(share.config().get("share", "unc", fallback="\\\\SERVER\\hfstage"))
    netlogon = check_unc(share.config().get("share", "netlogon_unc", fallback=f"{unc}\\netlogon"),
                         "[share] netlogon_unc in site.ini")
    return to_crlf(template_env().get_template("logon.bat.j2").render(unc=unc, netlogon=netlogon))


def render_scripts(share: Share, machine: str | None = None) -> tuple[dict[str, bytes], GenerateResult]:
    """File name (under scripts/) -> CRLF bytes, for every machine of the latest scan."""
    settings = site_settings(share)
    plans, idle = build_plans(share, machine)
    scan = rows(share, "SELECT id, catalog_version FROM scans ORDER BY id DESC LIMIT 1")[0]
    env = template_env()
    common = {"unc": settings.unc, "scan_id": scan["id"], "catalog_version": scan["catalog_version"]}
    out: dict[str, bytes] = {}
    result = GenerateResult(idle=list(idle), plans=plans)
    for plan in plans:
        if not plan.steps:
            result.idle.append(plan.machine)
        else:
            suffix = "9x" if plan.os_key == "9x" else "nt"
            ctx = {**common, "machine": plan.machine, "os": plan.os, "plan": plan}
            out[f"{plan.machine}.bat"] = to_crlf(env.get_template(f"install_{suffix}.bat.j2").render(**ctx))
            out[f"{plan.machine}-rollback.bat"] = to_crlf(
                env.get_template(f"rollback_{suffix}.bat.j2").render(**ctx))
        if plan.unavailable:
            result.unavailable[plan.machine] = plan.unavailable
    existing = {p.name[:-4].removesuffix("-rollback") for p in share.folder("scripts").glob("*.bat")}
    stale = (set(result.idle) | existing) - {n[:-4].removesuffix("-rollback") for n in out}
    if machine is not None:
        stale = {m for m in stale if m.lower() == machine.lower()}
    for name in sorted(stale):
        check_machine_name(name)
        idle_text = to_crlf(env.get_template("idle.bat.j2").render(machine=name,
                                                                   catalog_version=scan["catalog_version"]))
        out[f"{name}.bat"] = idle_text
        out[f"{name}-rollback.bat"] = idle_text
    return out, result


def generate_scripts(share: Share, machine: str | None = None, dry_run: bool = False) -> GenerateResult:
    """Render, lint everything (nothing is written on a problem), then write what changed."""
    share.check()
    with share.lock(wait_seconds=60):
        _remove_stale_temp_files(share)
        rendered, result = render_scripts(share, machine)
        widths = _widths(site_settings(share).unc)
        targets = {share.folder("scripts") / n: data for n, data in rendered.items()}
        targets[share.folder("netlogon") / "logon.bat"] = dispatcher(share)
        # Lint what would be written; a file already on disk with these exact bytes was
        # linted when it was written.
        changed = {p: d for p, d in targets.items() if not p.is_file() or p.read_bytes() != d}
        for path, data in changed.items():
            result.problems += lint_text(data, path.name, substitutions=widths)
        if result.problems:
            return result
        if dry_run:
            result.written = sorted(changed)
            result.unchanged = sorted(set(targets) - set(changed))
            return result
        _write_all(changed, result)
        result.unchanged = sorted(set(targets) - set(changed))
    return result


def _write_all(changed: dict[Path, bytes], result: GenerateResult) -> None:
    """Write every changed file, or none: on a failure the files already replaced get their old bytes back."""
    previous: dict[Path, bytes | None] = {}
    try:
        for path, data in sorted(changed.items()):
            previous[path] = path.read_bytes() if path.is_file() else None
            if write_if_changed(path, data):
                result.written.append(path)
    except OSError as e:
        for path, old in previous.items():
            with contextlib.suppress(OSError):
                if old is None:
                    path.unlink(missing_ok=True)
                else:
                    write_if_changed(path, old)
        raise InputError(f"{e.filename or path}: cannot write ({e.strerror}); no script was changed") from e


def _remove_stale_temp_files(share: Share) -> None:
    """Temp files a killed run left behind (we hold the lock: nobody else is writing)."""
    for folder in (share.folder("scripts"), share.folder("netlogon")):
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)
