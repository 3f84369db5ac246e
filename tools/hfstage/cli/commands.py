"""Every command on a share: one handler that calls the conductor's function of the same name and prints its
result (the file tools are in cli.files).

No decisions are made here; the handlers turn arguments into one call of the conductor (hfstage.pipeline,
the only stage this module imports) and the result into text and an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from hfstage import pipeline
from hfstage.cli.output import err, out, out_json, raw
from hfstage.cli.table import arg
from hfstage.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, HfstageError, UsageError
from hfstage.pipeline import views

SHARE = arg("share", type=Path, metavar="SHARE", help="folder of the staging share")
JSON = arg("--json", action="store_true", help="machine-readable output")
FAIL_ON = arg("--fail-on", default="critical", metavar="LEVEL",
              choices=("none", "any", "critical", "important", "moderate", "low"),
              help="exit 1 when findings reach LEVEL: critical (the default: Critical missing patches and service "
                   "packs, unreadable or incompletely inventoried machines, failed or abandoned installs: what a "
                   "scheduled job should alarm on), important, moderate, low, any (every finding), or none")
JOBS = arg("--jobs", type=int, metavar="N", help="inventory and scan worker processes (default: one per core)")


def _exit(findings: list[str], threshold: str) -> int:
    if findings:
        err(f"{len(findings)} finding(s) at or above --fail-on {threshold} (exit 1)")
        return EXIT_FINDINGS
    return EXIT_OK


def _calendar(layout: str, what: str, shown: str):
    """An argparse type: text in LAYOUT that is a real WHAT (argparse names the option when it is not)."""

    def check(text: str) -> str:
        try:
            dt.datetime.strptime(text, layout)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not a {what}: use {shown}") from None
        return text

    return check


calendar_day = _calendar("%Y-%m-%d", "date", "YYYY-MM-DD")
calendar_month = _calendar("%Y-%m", "month", "YYYY-MM")


def new_file(text: str) -> Path:
    """A file to write: its folder must exist (a typo in a path does not make folders as root)."""
    path = Path(text)
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{path.parent} is not a folder")
    return path


def _date(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").replace(hour=12, tzinfo=dt.timezone.utc)
    except ValueError as e:
        raise UsageError(f"--as-of {text}: use YYYY-MM-DD") from e


# --- init, share check ---------------------------------------------------------------

def cmd_init(args) -> int:
    done = pipeline.create_share(args.share)
    out(f"{args.share}: share ready ({len(done.created)} files created, {len(done.kept)} kept)")
    for rel in done.differs:
        out(f"  kept your {rel} (differs from hfstage's default)")
    return EXIT_OK


def cmd_share_check(args) -> int:
    site = pipeline.Site.open(args.share)
    found = pipeline.share_check(site)
    for line in found.problems:
        out(f"problem: {line}")
    for line in found.notes:
        out(f"note:    {line}")
    out(f"{site.share.root}: {len(found.problems)} problem(s), {len(found.notes)} note(s); "
        f"{found.checked} client-written entries checked")
    return EXIT_FINDINGS if found.problems else EXIT_OK


# --- catalog ---------------------------------------------------------------------------

def cmd_catalog_import(args) -> int:
    if args.file and args.xml:
        raise UsageError("give either a cabinet FILE or --xml FILE, not both")
    result = pipeline.catalog_import(pipeline.Site.open(args.share), args.file, xml=args.xml, sha256=args.sha256,
                                     allow_unsigned=args.allow_unsigned)
    if args.json:
        out_json(result.to_dict())
        return EXIT_OK
    for line in pipeline.import_text(result):
        out(line)
    return EXIT_OK


def cmd_catalog_show(args) -> int:
    shown = pipeline.catalog_show(pipeline.Site.open(args.share), args.version, args.bulletin)
    if args.json:
        out_json(shown.to_dict())
        return EXIT_OK
    out(shown.text())
    if getattr(args, "verbose", False) and shown.bulletin is None:
        out(views.catalog_bulletins(shown.catalog))
    return EXIT_OK


def cmd_catalog_list(args) -> int:
    rows = pipeline.catalog_list(pipeline.Site.open(args.share))
    if args.json:
        out_json(rows)
        return EXIT_OK
    for r in rows:
        out(f"{'*' if r['current'] else ' '} {r['data_version']:<16} imported {r['imported_at']}"
            + (f"  ({r['override']})" if r["override"] else ""))
    out("(* = current; change it with `hfstage catalog use SHARE VERSION`)")
    return EXIT_OK


def cmd_catalog_use(args) -> int:
    pointer = pipeline.catalog_use(pipeline.Site.open(args.share), args.version)
    out(f"current catalog: {pointer['current']} (was {pointer['previous'] or 'none'}); logged in state\\audit.log")
    return EXIT_OK


def cmd_catalog_diff(args) -> int:
    d = pipeline.catalog_diff(pipeline.Site.open(args.share), args.old, args.new)
    out_json(d.to_dict()) if args.json else out(pipeline.diff_text(d))
    return EXIT_OK


# --- inventory -------------------------------------------------------------------------

def cmd_inventory(args) -> int:
    result = pipeline.inventory(pipeline.Site.open(args.share), args.machine, args.jobs)
    if args.json:
        out_json([f.to_dict() for f in result.facts])
    else:
        out(views.machines(result.facts))
        out(f"{len(result.machines)} machines, {len(result.unreadable)} unreadable, {len(result.skipped)} skipped")
    for line in [str(s) for s in result.skipped] + [str(n) for n in result.notes]:
        err(line)
    findings = [f"{m}: unreadable" for m in result.unreadable] + [str(s) for s in result.skipped]
    return _exit(findings if args.fail_on != "none" else [], args.fail_on)


# --- scan, report, results ---------------------------------------------------------------

def cmd_scan(args) -> int:
    site = pipeline.Site.open(args.share)  # a full scan records: it waits for the lock (--wait) like any writer
    machines = None
    if args.machines or args.machine:
        machines = (pipeline.read_machine_list(args.machines) if args.machines else []) + (args.machine or [])
    result = pipeline.scan(site, machines, record=True if args.record else None, jobs=args.jobs)
    assessments = pipeline.all_assessments(site, result)
    text = pipeline.render_scan(assessments, result, args.format, verbose=getattr(args, "verbose", False),
                                show_superseded=args.show_superseded, baseline=args.baseline)
    if args.output:
        pipeline.write_output(args.output, text)
        err(f"wrote {args.output} ({result.kind} scan{f' {result.scan_id}' if result.scan_id else ''})")
    else:
        raw(text)
    for line in result.problems:
        err(line)
    if result.kind != "full":
        err(f"{result.kind} scan of {len(result.rows)} machine(s): the site's record is unchanged"
            + ("" if result.scan_id else " (use --record to keep it as a partial scan)"))
    elif result.scan_id:
        err(f"site report updated: {pipeline.site_report(site, result).folder / 'index.html'} (scan {result.scan_id})")
    return _exit(pipeline.alarms(assessments, result.results, args.fail_on), args.fail_on)


def cmd_report(args) -> int:
    site = pipeline.Site.open(args.share)
    with pipeline.committed_read(site, err):
        raw(views.compliance(pipeline.report(site, args.by, args.since), args.format))
    return EXIT_OK


def cmd_results(args) -> int:
    site = pipeline.Site.open(args.share)
    with pipeline.committed_read(site, err):
        found = pipeline.results(site)
    if args.json:
        out_json({"machines": [m.to_dict() for m in found.machines], "refused": found.refused,
                  "reported_installed_still_missing": found.still_missing, "rollback": found.rollback,
                  "summary": found.summary})
    else:
        out(views.client_results(found) or f"no install results from clients yet in {site.share.folder('results')}")
        for problem in found.problems:
            out(problem)
        for machine, lines in sorted(found.rollback.items()):
            out(f"{machine} rollback, newest first: " + "; ".join(lines))
        for line in found.summary:
            out(line)
    alarming = found.problems if args.fail_on == "any" else pipeline.failures(found.machines)
    return _exit(alarming if args.fail_on != "none" else [], args.fail_on)


# --- sites and the central office --------------------------------------------------------

def cmd_site_keygen(args) -> int:
    private, public, fingerprint = pipeline.site_keygen(pipeline.Site.open(args.share), force=args.force)
    out(f"site key: {private} (keep it on this share)")
    out(f"public key: {public} (fingerprint {fingerprint}): hand it to the central office once, as "
        "DIR\\trust\\<site id>.pem")
    return EXIT_OK


def cmd_export(args) -> int:
    path, info = pipeline.export_bundle(pipeline.Site.open(args.share), args.bundle, args.month)
    out(f"{path}: site {info['site_id']}, {info['month']}, catalog {info['catalog_version']}: {info['machines']} "
        f"machines, {info['missing']} missing patches, {info['bytes']} bytes, signed")
    return EXIT_OK


def cmd_central_init(args) -> int:
    made = pipeline.central_create(args.dir)
    out(f"central folder {args.dir}: " + (f"made {', '.join(made)}" if made else "already there"))
    out(f"put each site's public key in {Path(args.dir) / 'trust'}\\<site id>.pem")
    return EXIT_OK


def cmd_central_import(args) -> int:
    failed = 0
    for bundle in args.bundles:
        try:
            outcome = pipeline.central_import(args.dir, bundle, renamed=args.renamed)
        except HfstageError as e:
            err(f"Error: {e}")
            failed = max(failed, e.exit_code)
            continue
        out(outcome.line())
        for line in outcome.skipped:
            out(f"  skipped: {line}")
    return failed or EXIT_OK


def cmd_central_report(args) -> int:
    report = pipeline.central_make_report(args.dir)
    if args.format in ("csv", "json"):
        text = views.central_sites(report, args.format)
        raw(text if text.endswith("\n") else text + "\n")
    elif args.format != "html":
        out(views.central_sites(report, args.format))
    else:
        out(f"{report.folder / 'index.html'}: {len(report.sites)} site(s); {report.pages_rendered} site page(s) "
            f"rendered, {report.pages_unchanged} unchanged")
    return EXIT_OK


# --- packages ----------------------------------------------------------------------------

def cmd_packages_words(args) -> int:
    """`packages SHARE`, `packages confirm SHARE FILE...` or `packages verify SHARE`."""
    words = list(args.words)
    if len(words) > 1 and words[1] in ("confirm", "verify") and words[0] not in ("confirm", "verify"):
        words[0], words[1] = words[1], words[0]  # `packages SHARE verify` means what it says
    action = words.pop(0) if words[0] in ("confirm", "verify") and len(words) > 1 else "list"
    args.share = Path(words.pop(0))
    if action == "confirm":
        if not words:
            raise UsageError("hfstage packages confirm SHARE FILE...: name the packages to confirm")
        args.files = words
        return cmd_packages_confirm(args)
    if words or args.kind:
        raise UsageError(f"hfstage packages {action}: unexpected {' '.join(words) or '--kind'}")
    return cmd_packages_verify(args) if action == "verify" else cmd_packages(args)


def cmd_packages(args) -> int:
    site = pipeline.Site.open(args.share)
    with pipeline.committed_read(site, err):
        found = pipeline.packages_report(site, write_fetch_list=args.missing)
    if args.json:
        out_json(found.to_dict())
    else:
        out(views.packages(found))
        counts = found.counts
        out(f"{counts['needed']} package(s) needed, {counts['found']} on the share: {counts['detected']} detected from "
            f"the package itself, {counts['confirmed']} confirmed, {counts['guessed']} guessed; "
            f"{counts['scripted']} scripted")
        for line in found.changed:
            out(line)
        if found.fetch_path is not None:
            out(f"fetch list: {found.fetch_path} ({len(found.fetch)} package(s) to carry in)" if found.fetch
                else "fetch list: every package the scripts need is under hotfixes\\")
    held = [r for r in found.rows if (r.found or r.candidates) and not r.scripted]
    return EXIT_FINDINGS if held or found.changed else EXIT_OK


def cmd_packages_confirm(args) -> int:
    for line in pipeline.packages_confirm(pipeline.Site.open(args.share), args.files, args.kind):
        out(line)
    out(f"run `hfstage scripts generate {args.share}` (or `hfstage month`) so the scripts run them")
    return EXIT_OK


def cmd_packages_verify(args) -> int:
    changed = pipeline.packages_verify(pipeline.Site.open(args.share))
    for line in changed:
        out(line)
    out(f"{len(changed)} confirmed package(s) changed on the share" if changed else
        "every confirmed package is as it was confirmed")
    return EXIT_FINDINGS if changed else EXIT_OK


# --- scripts -----------------------------------------------------------------------------

def cmd_scripts_collectors(args) -> int:
    result = pipeline.scripts_collectors(pipeline.Site.open(args.share))
    if result.problems:
        for problem in result.problems:
            err(f"Error: {problem}")
        err("Error: nothing was written; fix the templates or site.ini")
        return EXIT_INPUT
    for path in result.written:
        out(f"wrote {path}")
    out(f"{len(result.written)} written, {len(result.unchanged)} unchanged (the collectors in the published set of "
        f"{Path(args.share) / 'scripts'}, the entry points and 9x stubs in {Path(args.share) / 'netlogon'})")
    return EXIT_OK


def cmd_scripts_generate(args) -> int:
    site = pipeline.Site.open(args.share)
    with pipeline.committed_read(site, err):
        if args.dry_run:
            result, collectors = pipeline.scripts_generate(site, machine=args.machine, dry_run=True), None
        else:  # the whole client-visible set, as month's scripts step publishes it: scripts and collectors
            result, collectors = pipeline.publish_set(site, machine=args.machine)
    problems = result.problems + (collectors.problems if collectors else [])
    if problems:
        for problem in problems:
            err(f"Error: {problem}")
        err("Error: nothing was written; fix the templates or site.ini")
        return EXIT_INPUT
    for machine, notes in sorted(result.unavailable.items()):
        for note in notes:
            err(f"{machine}: not scripted: {note}")
    for line in result.changed:
        err(line)
    verb = "would write" if args.dry_run else "wrote"
    for path in result.written:
        out(f"{verb} {path}")
    out(f"{len([p for p in result.plans if p.steps])} machine script(s) made, {len(result.idle)} with nothing to "
        f"install, {result.skipped} unchanged; {len(result.written)} file(s) "
        f"{'to change' if args.dry_run else 'written'}, {len(result.unchanged)} unchanged")
    if collectors is not None:
        for line in collectors.collected_changes:
            err(line)
        for path in collectors.written:
            out(f"wrote {path}")
        out(f"collectors: {len(collectors.written)} written, {len(collectors.unchanged)} unchanged")
    if result.generation:
        out(f"published as {Path(args.share) / 'scripts' / result.generation}: clients run it from their next "
            "startup or logon (scripts\\current.bat names it)")
    if result.dispatcher_changed and not args.dry_run:
        out(f"logon.bat changed: copy {Path(args.share) / 'netlogon'}\\*.bat to NETLOGON")
    return EXIT_OK


# --- month, plan, demo -------------------------------------------------------------------

def cmd_month(args) -> int:
    site = pipeline.Site.open(args.share)

    def findings(s: pipeline.Site, result: pipeline.MonthResult) -> list:
        return pipeline.scan_findings(s, result.scan, args.fail_on) \
            if args.fail_on != "none" else []

    if args.dry_run:  # exits as the real run would, so a scheduled check can try it first
        result = pipeline.dry_run_month(site, args.cab, say=out, inspect=findings)
        out("\n".join(result.changes) or "no changes to scripts, netlogon or reports")
        return _exit(result.inspected or [], args.fail_on)
    result = pipeline.month(site, args.cab, as_of=_date(args.as_of), say=out, jobs=args.jobs)
    out(f"report: {result.report_folder / 'index.html'}")
    out(f"scripts: {site.share.folder('scripts')}")
    return _exit(findings(site, result), args.fail_on)


def cmd_approve(args) -> int:
    site = pipeline.Site.open(args.share)
    if args.list or args.history:
        for line in (pipeline.approvals_text if args.list else pipeline.approval_history_text)(site):
            out(line)
        return EXIT_OK
    if not args.ids:
        raise UsageError("hfstage approve: name at least one ID (a bulletin, a Q/KB number or SP), or --list "
                         "or --history")
    change = pipeline.approve(site, args.ids, args.ring, args.note)
    for a in change.events:
        out(f"approved {a.id} for ring {a.ring} (catalog {a.catalog}: {', '.join(a.packages) or '-'}); "
            "the scripts include it from the next `hfstage scripts generate` or month")
    _say_report(change)
    return EXIT_OK


def cmd_unapprove(args) -> int:
    change = pipeline.unapprove(pipeline.Site.open(args.share), args.ids, args.ring)
    for a in change.events:
        out(f"withdrew the approval of {a.id} for ring {a.ring} ({a.by} {a.at})")
    _say_report(change)
    return EXIT_OK


def _say_report(change: pipeline.ApprovalChange) -> None:
    if change.report is not None:
        err(f"site report updated: {change.report.folder / 'index.html'} ({change.report.rendered_pages} machine "
            "pages drawn again)")
    else:
        err(f"site report not updated: {change.not_redrawn}")


def cmd_plan(args) -> int:
    site = pipeline.Site.open(args.share)
    with pipeline.committed_read(site, err):
        raw(pipeline.plan(site, args.format))
    return EXIT_OK


def cmd_demo(args) -> int:
    pipeline.demo(args.dir)
    return EXIT_OK
