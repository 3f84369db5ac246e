"""Every command: one handler that calls the library function of the same name and prints its result.

No decisions are made here; the handlers turn arguments into one library call and the
result into text and an exit code.
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from hfstage import cab, catalog, inventory, pipeline, report, scripts
from hfstage.cli.output import err, out, out_json, raw
from hfstage.cli.table import Command, arg
from hfstage.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_SIGNATURE, HfstageError, UsageError
from hfstage.share import Share, atomic_write_text, check_share, init_share

SHARE = arg("share", type=Path, metavar="SHARE", help="folder of the staging share")
JSON = arg("--json", action="store_true", help="machine-readable output")
FAIL_ON = arg("--fail-on", default="critical", metavar="LEVEL",
              choices=("none", "any", "critical", "important", "moderate", "low"),
              help="exit 1 when findings reach LEVEL: critical (the default: Critical missing patches and service "
                   "packs, unreadable or incompletely inventoried machines, failed or abandoned installs: what a "
                   "scheduled job should alarm on), important, moderate, low, any (every finding), or none")
JOBS = arg("--jobs", type=int, metavar="N", help="inventory worker processes (default: one per core)")


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


_day = _calendar("%Y-%m-%d", "date", "YYYY-MM-DD")
_month = _calendar("%Y-%m", "month", "YYYY-MM")


def _new_file(text: str) -> Path:
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


# --- init, share check, cab -----------------------------------------------------------

def cmd_init(args) -> int:
    done = init_share(args.share)
    out(f"{args.share}: share ready ({len(done.created)} files created, {len(done.kept)} kept)")
    for rel in done.differs:
        out(f"  kept your {rel} (differs from hfstage's default)")
    return EXIT_OK


def cmd_share_check(args) -> int:
    share = Share(args.share)
    found = check_share(share, share.config())
    for line in found.problems:
        out(f"problem: {line}")
    for line in found.notes:
        out(f"note:    {line}")
    out(f"{share.root}: {len(found.problems)} problem(s), {len(found.notes)} note(s); "
        f"{found.checked} client-written entries checked")
    return EXIT_FINDINGS if found.problems else EXIT_OK


def cmd_cab_list(args) -> int:
    _, layout = cab.read_cabinet(args.file)
    out_json(cab.members_json(layout)) if args.json else out(cab.members_table(layout))
    return EXIT_OK


def cmd_cab_extract(args) -> int:
    members = cab.extract_cabinet(args.file, args.dir, max_bytes=args.max_bytes)
    out(f"{args.file}: extracted {len(members)} files ({sum(m.size for m in members)} bytes) to {args.dir}")
    return EXIT_OK


def cmd_cab_verify(args) -> int:
    result = cab.verify_cabinet(args.file, cab.load_trust(args.trust))
    out_json(result.to_dict()) if args.json else out(cab.verify_text(result))
    return EXIT_OK if result.ok else EXIT_SIGNATURE


# --- catalog ---------------------------------------------------------------------------

def cmd_catalog_import(args) -> int:
    if args.file and args.xml:
        raise UsageError("give either a cabinet FILE or --xml FILE, not both")
    result = catalog.import_catalog(Share(args.share), args.file, xml=args.xml, sha256=args.sha256,
                                    allow_unsigned=args.allow_unsigned)
    if args.json:
        out_json(result.to_dict())
        return EXIT_OK
    state = "already stored, unchanged" if result.already_stored else "imported"
    out(f"{result.stored.folder}: {state}" + ("" if result.current else " (not current)"))
    for warning in (result.override, result.warning):
        if warning:
            out(f"  WARNING: {warning}")
    out(catalog.summary_text(result.catalog))
    if result.current and not result.already_stored:
        out(catalog.diff_text(result.diff) if result.diff else "  (first catalog on this share: nothing to compare)")
    return EXIT_OK


def cmd_catalog_show(args) -> int:
    share = Share(args.share)
    share.check()
    stored = catalog.find_catalog(share, args.version)
    loaded = stored.load()
    if args.bulletin:
        bulletin = loaded.bulletins.get(args.bulletin.strip().upper())
        if bulletin is None:
            raise UsageError(f"bulletin {args.bulletin} is not in catalog {loaded.data_version}")
        out_json(catalog.bulletin_dict(loaded, bulletin)) if args.json else out(catalog.bulletin_text(loaded, bulletin))
        return EXIT_OK
    current = stored.data_version == catalog.current_version(share)
    if args.json:
        out_json(catalog.summary_dict(loaded, stored.folder, stored.record, current))
        return EXIT_OK
    out(catalog.summary_text(loaded) + ("" if current else "\n  (not the current catalog)"))
    if getattr(args, "verbose", False):
        out(catalog.bulletins_table(loaded))
    return EXIT_OK


def cmd_catalog_list(args) -> int:
    share = Share(args.share)
    share.check()
    current = catalog.current_version(share)
    rows = [{"data_version": s.data_version, "imported_at": s.imported_at, "current": s.data_version == current,
             "override": s.record.get("override")} for s in catalog.list_catalogs(share)]
    if args.json:
        out_json(rows)
        return EXIT_OK
    for r in rows:
        out(f"{'*' if r['current'] else ' '} {r['data_version']:<16} imported {r['imported_at']}"
            + (f"  ({r['override']})" if r["override"] else ""))
    out("(* = current; change it with `hfstage catalog use SHARE VERSION`)")
    return EXIT_OK


def cmd_catalog_use(args) -> int:
    pointer = catalog.use_catalog(Share(args.share), args.version)
    out(f"current catalog: {pointer['current']} (was {pointer['previous'] or 'none'}); logged in state\\audit.log")
    return EXIT_OK


def cmd_catalog_diff(args) -> int:
    share = Share(args.share)
    share.check()
    old, new = catalog.diff_pair(share, args.old, args.new)
    d = catalog.diff_catalogs(old.load(), new.load())
    out_json(d.to_dict()) if args.json else out(catalog.diff_text(d))
    return EXIT_OK


# --- inventory -------------------------------------------------------------------------

def cmd_facts(args) -> int:
    loaded = catalog.load_catalog_arg(args.catalog) if args.catalog else None
    facts = inventory.gather_facts(args.path, loaded)
    out_json(facts.to_dict()) if args.json else out(inventory.facts_text(facts, getattr(args, "verbose", False)))
    if facts.error:
        err(f"Error: {facts.error}")
        return EXIT_INPUT
    return EXIT_OK


def cmd_pe_version(args) -> int:
    rows = inventory.read_pe_versions(args.files)
    out_json([r if isinstance(r, dict) else r.to_dict() for r in rows]) if args.json else out(inventory.pe_table(rows))
    return EXIT_INPUT if any(isinstance(r, dict) for r in rows) else EXIT_OK


def cmd_inventory(args) -> int:
    result = pipeline.inventory(pipeline.Site.open(args.share), args.machine, args.jobs)
    if args.json:
        out_json([f.to_dict() for f in result.facts])
    else:
        out(inventory.inventory_table(result.facts))
        out(f"{len(result.machines)} machines, {len(result.unreadable)} unreadable, {len(result.skipped)} skipped")
    for line in [str(s) for s in result.skipped] + result.notes:
        err(line)
    findings = [f"{m}: unreadable" for m in result.unreadable] + [str(s) for s in result.skipped]
    return _exit(findings if args.fail_on != "none" else [], args.fail_on)


# --- scan, report, results ---------------------------------------------------------------

def cmd_scan(args) -> int:
    site = pipeline.Site.open(args.share)
    machines = None
    if args.machines or args.machine:
        machines = (pipeline.read_machine_list(args.machines) if args.machines else []) + (args.machine or [])
    result = pipeline.scan(site, machines, record=True if args.record else None, jobs=args.jobs)
    assessments = pipeline.all_assessments(site, result)
    opts = {"show_superseded": args.show_superseded, "baseline": args.baseline}
    renderers = {
        "text": lambda: report.render_text(assessments, verbose=getattr(args, "verbose", False), **opts),
        "tab": lambda: report.render_tab(assessments, **opts),
        "csv": lambda: report.render_csv(assessments, **opts),
        "json": lambda: report.render_json(assessments, result.catalog_version, result.scan_id),
        "html": lambda: report.render_html(assessments, result.catalog_version, **opts),
    }
    text = renderers[args.format]()
    if args.output:
        atomic_write_text(args.output, text)
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
    return _exit(report.alarms(assessments, result.results, args.fail_on), args.fail_on)


def cmd_report(args) -> int:
    raw(report.render_compliance(pipeline.report(pipeline.Site.open(args.share), args.by, args.since), args.format))
    return EXIT_OK


def cmd_results(args) -> int:
    from tabulate import tabulate

    site = pipeline.Site.open(args.share)
    found = pipeline.results(site)
    if args.json:
        out_json({"machines": [m.to_dict() for m in found.machines], "refused": found.refused,
                  "reported_installed_still_missing": found.still_missing, "rollback": found.rollback,
                  "summary": found.summary})
    else:
        table = [(m.machine, p.bulletin, p.patch, p.attempts, p.last_code, p.last_meaning + (" (gave up)" if p.gave_up
                  else ""), p.last_when) for m in found.machines for p in m.patches]
        if table:
            out(tabulate(table, headers=("Machine", "Bulletin", "Patch", "Attempts", "Exit", "Result", "When")))
        else:
            out(f"no install results from clients yet in {site.share.folder('results')}")
        for problem in found.problems:
            out(problem)
        for machine, lines in sorted(found.rollback.items()):
            out(f"{machine} rollback, newest first: " + "; ".join(lines))
        for line in found.summary:
            out(line)
    alarming = found.problems if args.fail_on == "any" else report.failures(found.machines)
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
        text = report.table(args.format)
        raw(text if text.endswith("\n") else text + "\n")
    elif args.format != "html":
        out(report.table(args.format))
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
    from tabulate import tabulate

    found = pipeline.packages_report(pipeline.Site.open(args.share), write_fetch_list=args.missing)
    if args.json:
        out_json(found.to_dict())
    else:
        table = [(r.bulletin, r.qnumber, r.place.split("\\", 1)[-1] or r.file,  # a build's place names it
                  r.found or "; ".join(r.candidates) or "MISSING", r.size if r.size is not None else "",
                  (r.sha256 or "")[:16], r.signer, r.kind or "-", r.switches,
                  f"{r.source}: {r.why}" if r.source else "",
                  "yes" if r.confirmed else "NO", "yes" if r.scripted else f"no: {r.problem}")
                 for r in found.rows]
        out(tabulate(table, headers=("Bulletin", "Q/KB", "File", "Found", "Size", "SHA-256", "Signer", "Kind",
                                     "Runs as", "Decided by", "Confirmed", "Scripted")))
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
    out(f"{len(result.written)} written, {len(result.unchanged)} unchanged in {Path(args.share) / 'netlogon'}")
    return EXIT_OK


def cmd_scripts_lint(args) -> int:
    problems = []
    for path in args.files:
        try:
            problems += scripts.lint_file(path)
        except OSError as e:
            raise UsageError(f"{path}: cannot read: {e.strerror}") from e
    for problem in problems:
        out(str(problem))
    out(f"{len(args.files)} file(s), {len(problems)} problem(s)")
    return EXIT_FINDINGS if problems else EXIT_OK


def cmd_scripts_generate(args) -> int:
    result = pipeline.scripts_generate(pipeline.Site.open(args.share), machine=args.machine, dry_run=args.dry_run)
    if result.problems:
        for problem in result.problems:
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
    if result.dispatcher_changed and not args.dry_run:
        out(f"logon.bat changed: copy {Path(args.share) / 'netlogon'}\\*.bat to NETLOGON")
    return EXIT_OK


# --- month, plan, demo -------------------------------------------------------------------

def cmd_month(args) -> int:
    site = pipeline.Site.open(args.share)

    def findings(s: pipeline.Site, result: pipeline.MonthResult) -> list:
        return report.alarms(pipeline.all_assessments(s, result.scan), result.scan.results, args.fail_on) \
            if args.fail_on != "none" else []

    if args.dry_run:  # exits as the real run would, so a scheduled check can try it first
        result = pipeline.dry_run_month(site, args.cab, say=out, inspect=findings)
        out("\n".join(result.changes) or "no changes to scripts, netlogon or reports")
        return _exit(result.inspected or [], args.fail_on)
    result = pipeline.month(site, args.cab, as_of=_date(args.as_of), say=out, jobs=args.jobs)
    out(f"report: {result.report_folder / 'index.html'}")
    out(f"scripts: {site.share.folder('scripts')}")
    return _exit(findings(site, result), args.fail_on)


def cmd_plan(args) -> int:
    raw(pipeline.plan(pipeline.Site.open(args.share), args.format))
    return EXIT_OK


def cmd_demo(args) -> int:
    pipeline.demo(args.dir)
    return EXIT_OK


GROUPS = {
    "share": "check the share's folders and what clients wrote",
    "cab": "list, extract or verify a cabinet file",
    "catalog": "import, list, choose, show and compare catalogs",
    "scripts": "generate and check the scripts clients run",
    "site": "this site's identity for the central office",
    "central": "the central office: verify site bundles, report across sites",
}

COMMANDS = [
    Command(("init",), "create (or complete) a staging share",
            "Create the share layout (incoming, catalogs, trust, hotfixes, inventory, scripts, netlogon, results, "
            "reports, state, site.ini). Safe to re-run: existing files are never overwritten.", (SHARE,), cmd_init),
    Command(("share", "check"), "check modes, owners and what clients wrote",
            "From the server side: folder modes (clients read scripts, netlogon and hotfixes; only admins write "
            "templates, trust, catalogs, state and scripts), and everything under inventory and results: links, "
            "special files, names that cannot be machines or collide with hfstage's own files, files over the size "
            "caps. Exit 1 when something is wrong.", (SHARE,), cmd_share_check),
    Command(("cab", "list"), "list the members of a cabinet", "List members of FILE.",
            (arg("file", type=Path, metavar="FILE"), JSON), cmd_cab_list),
    Command(("cab", "extract"), "extract a cabinet safely",
            "Extract FILE into DIR (new or empty). Unsafe member names (.., absolute, drive, UNC, device names) "
            "refuse the whole cabinet; nothing is left behind on failure.",
            (arg("file", type=Path, metavar="FILE"), arg("dir", type=Path, metavar="DIR"),
             arg("--max-bytes", type=int, default=cab.DEFAULT_MAX_BYTES, metavar="N",
                 help="refuse cabinets that expand to more than N bytes (default 2 GiB)")), cmd_cab_extract),
    Command(("cab", "verify"), "verify a cabinet's Authenticode signature",
            "Verify FILE's Authenticode signature: content digest, signer, chain to an anchor in --trust DIR, "
            "validity at the timestamp. Exit 0 when trusted, 5 for any signature problem, 3 for an unreadable "
            "cabinet.",
            (arg("file", type=Path, metavar="FILE"),
             arg("--trust", type=Path, metavar="DIR", help="folder of trusted root certificates (PEM/DER)"), JSON),
            cmd_cab_verify),
    Command(("catalog", "import"), "verify, extract, parse and store a catalog",
            "Import FILE (default: the newest .cab in SHARE/incoming): verify its signature against SHARE/trust, "
            "extract it, parse mssecure.xml, store it under SHARE/catalogs/<DataVersion>, make it current when it "
            "is newer than the current one, and show what changed.",
            (SHARE, arg("file", type=Path, nargs="?", metavar="FILE", help="cabinet to import"),
             arg("--xml", type=Path, metavar="FILE", help="import a bare mssecure.xml instead"),
             arg("--sha256", metavar="HEX", help="expected SHA-256 of the --xml file"),
             arg("--allow-unsigned", action="store_true",
                 help="accept an unsigned or untrusted catalog (logged and recorded with it)"), JSON),
            cmd_catalog_import),
    Command(("catalog", "list"), "list the stored catalogs and which is current",
            "The catalogs stored on the share in the order they were imported; the current one is marked.",
            (SHARE, JSON), cmd_catalog_list),
    Command(("catalog", "use"), "make a stored catalog the current one",
            "Make VERSION the current catalog (for example to go back after a wrong import). Logged in "
            "SHARE/state/audit.log.", (SHARE, arg("version", metavar="VERSION")), cmd_catalog_use),
    Command(("catalog", "show"), "summarise a stored catalog or one bulletin",
            "Show counts and anomalies of a stored catalog (default: the current one), or one bulletin.",
            (SHARE, arg("--bulletin", metavar="ID", help="show one bulletin, e.g. MS01-033"),
             arg("--version", dest="version", metavar="DATAVERSION", help="default: the current catalog"), JSON),
            cmd_catalog_show),
    Command(("catalog", "diff"), "compare two stored catalogs",
            "New, revised and removed bulletins and patches, re-released patches and supersedence changes "
            "between OLD and NEW (default: the previous current catalog and the current one).",
            (SHARE, arg("old", nargs="?", metavar="OLD"), arg("new", nargs="?", metavar="NEW"), JSON),
            cmd_catalog_diff),
    Command(("facts",), "what one machine is, from its inventory folder or system drive",
            "Read one machine's facts (OS, service pack, role, products, hotfixes, file versions) from PATH: an "
            "inventory folder (SOFTWARE/SYSTEM hives or .reg exports, optional files/) or a mounted system drive.",
            (arg("path", type=Path, metavar="PATH"),
             arg("--catalog", type=Path, metavar="SHARE_OR_DIR",
                 help="a share (its current catalog), a folder with mssecure.xml, or the XML file: names products "
                      "as the catalog does and checks the files it lists"), JSON), cmd_facts),
    Command(("pe-version",), "file versions of PE files (a filever for the share)",
            "Print the fixed file and product version, the FileVersion string, the PE header CheckSum and the "
            "machine type of each FILE. Only headers and the resource directory are read.",
            (arg("files", type=Path, nargs="+", metavar="FILE"), JSON), cmd_pe_version),
    Command(("inventory",), "read every machine under SHARE/inventory",
            "Read the facts of every machine under SHARE/inventory (in parallel; unchanged machines come from the "
            "cache in SHARE/state/facts). An unreadable machine becomes an error row, a folder whose name cannot "
            "be a machine is skipped with a warning; the others carry on.",
            (SHARE, arg("--machine", metavar="M", help="only this machine"), JOBS, JSON, FAIL_ON), cmd_inventory),
    Command(("scan",), "assess every machine against the current catalog",
            "Inventory the machines whose inputs changed, assess them against the current catalog and the site "
            "policy in site.ini, print the report (HFNetChk's layout by default) and record the scan in "
            "SHARE/state/history.sqlite. A scan of some machines (--machine, --machines) is not the site's record: "
            "it is not recorded unless --record is given, and then as a partial scan.",
            (SHARE, arg("--machines", type=Path, metavar="FILE", help="only the machines listed in FILE, one per line"),
             arg("--machine", action="append", metavar="M", help="only machine M (repeatable)"),
             arg("--record", action="store_true", help="record a scan of some machines as a partial scan"),
             arg("--baseline", action="store_true", help="report only the site's baseline patches"),
             arg("--show-superseded", action="store_true", help="also list superseded patches"),
             arg("--format", choices=("text", "tab", "csv", "json", "html"), default="text",
                 help="report format (default text)"),
             arg("--output", type=_new_file, metavar="FILE", help="write the report to FILE instead of stdout"),
             FAIL_ON, JOBS), cmd_scan),
    Command(("report",), "compliance from the scan history",
            "Compliance from SHARE/state/history.sqlite: per machine (status, missing patches by severity, last "
            "scan, last change), per patch or bulletin (machines missing it), and the trend per month.",
            (SHARE, arg("--by", choices=("machine", "patch", "bulletin"), default="machine", help="grouping"),
             arg("--since", type=_day, metavar="DATE", help="only scans from DATE on (YYYY-MM-DD)"),
             arg("--format", choices=("text", "csv", "json"), default="text", help="output format")), cmd_report),
    Command(("results",), "what the clients' install scripts reported",
            "Collect SHARE/results/<MACHINE>.log: attempts, exit codes and outcomes per patch; flags failures, "
            "packages given up on, and reboot loops. `hfstage scan` shows these problems too.",
            (SHARE, JSON, FAIL_ON), cmd_results),
    Command(("site", "keygen"), "make this site's signing key (Ed25519) for its bundles",
            "Write SHARE/state/site-key.pem (private, stays on the share) and SHARE/reports/site-key.pub.pem, which "
            "the central office pins as DIR/trust/<site id>.pem. Needs [site] id in site.ini.",
            (SHARE, arg("--force", action="store_true", help="replace an existing key")), cmd_site_keygen),
    Command(("export",), "write this site's signed bundle for the central office",
            "One file for the site and month: the latest full scan's machines (status, findings, when each last "
            "reported), the month's plan, the clients' results, the catalog version, hfstage's version; a manifest "
            "with every member's SHA-256, signed with the site key. No hives and no file copies leave the site.",
            (SHARE, arg("bundle", type=_new_file, metavar="BUNDLE"),
             arg("--month", type=_month, metavar="YYYY-MM", help="the month the bundle is for (default: the scan's)")),
            cmd_export),
    Command(("central", "init"), "create a central folder (trust, reports, database)",
            "Create DIR/trust (each site's public key as <site id>.pem), DIR/reports and DIR/central.sqlite.",
            (arg("dir", type=Path, metavar="DIR"),), cmd_central_init),
    Command(("central", "import"), "verify site bundles and store them",
            "For each BUNDLE: the site's key must be pinned in DIR/trust, the signature and every member's hash must "
            "hold, it may not be dated in the future nor be older than the bundle stored for its site and month, "
            "and a known site may not change its name (unless --renamed). A refused bundle gets one line and "
            "nothing of it is stored; the others are imported. Importing the same bundle again changes nothing.",
            (arg("dir", type=Path, metavar="DIR"), arg("bundles", type=Path, nargs="+", metavar="BUNDLE"),
             arg("--renamed", action="store_true", help="accept a new name for a known site")),
            cmd_central_import),
    Command(("central", "report"), "the report across sites (HTML, and text, CSV or JSON)",
            "Write DIR/reports/index.html (a row per site: machines, % fully patched, missing Critical, unreadable, "
            "no-rights, restarts owed, catalog and how far behind the newest, last bundle; the trend per site and "
            "overall; bulletins missing across sites) and a page per site; only sites with a new bundle are "
            "rendered again. --format text|csv|json prints the site table.",
            (arg("dir", type=Path, metavar="DIR"),
             arg("--format", choices=("html", "text", "csv", "json"), default="html",
                 help="html (default: write the report) or text, csv, json (print the site table)")),
            cmd_central_report),
    Command(("packages",), "the packages the scripts need: what each is and whether scripts run it",
            "`hfstage packages SHARE`: one row per package the latest full scan's missing patches (and site.ini's "
            "[service_packs]) need: bulletin, Q/KB, file, where it is under SHARE/hotfixes, size, SHA-256, signer, "
            "installer kind, the command it runs as, where that kind came from (site.ini, the package itself, the "
            "product, the name), and whether it is confirmed and scripted. A kind only guessed from the product or "
            "name is not scripted until confirmed; a file that is not a program or Windows Installer file is "
            "refused. Exit 1 when a package is held back or changed. "
            "`hfstage packages confirm SHARE FILE... [--kind KIND]`: record that an admin checked each FILE, with "
            "its SHA-256; the scripts then run it, and hold it back again if its bytes change. A package whose "
            "installer engine cannot be read from it gets no switches until --kind names its kind (hotfix, update, "
            "iexpress, msi, ...: data/installers.json). "
            "`hfstage packages verify SHARE`: report confirmed packages whose bytes changed (exit 1).",
            (arg("words", nargs="+", metavar="[confirm|verify] SHARE [FILE...]"), JSON,
             arg("--missing", action="store_true", help="write SHARE/reports/missing-packages.txt: what to carry "
                                                        "in, and where the catalog says to get it"),
             arg("--kind", metavar="KIND", help="confirm: the installer kind of the packages named (required when "
                                                "hfstage cannot read it from the package)")),
            cmd_packages_words,
            usage="hfstage packages [-h] [-v] [--json] [--missing] SHARE\n"
                  "       hfstage packages confirm SHARE FILE... [--kind KIND]\n       hfstage packages verify SHARE"),
    Command(("scripts", "collectors"), "write the inventory collectors into SHARE/netlogon",
            "Render collect_nt.bat, collect_9x.bat, the dispatcher logon.bat and per-machine 9x stubs "
            "(<MACHINE>.bat, for Samba's `logon script = %m.bat`) into SHARE/netlogon with the share's UNC path "
            "from site.ini. Every script is linted first; on any problem nothing is written.", (SHARE,),
            cmd_scripts_collectors),
    Command(("scripts", "generate"), "write per-machine install and rollback scripts",
            "From the latest full scan and SHARE/hotfixes, write SHARE/scripts/<MACHINE>.bat (installs exactly what "
            "the machine misses, oldest bulletin first, silently, QChain where needed, one reboot at most, results "
            "to SHARE/results), <MACHINE>-rollback.bat, and the dispatcher SHARE/netlogon/logon.bat. Everything is "
            "linted first; files are replaced atomically and only when they change.",
            (SHARE, arg("--machine", metavar="M", help="only machine M"),
             arg("--dry-run", action="store_true", help="show what would change; write nothing")),
            cmd_scripts_generate),
    Command(("scripts", "lint"), "check batch files against command.com and CRLF rules",
            "Check each FILE: CRLF line ends; for scripts marked for command.com also 127-character lines, labels "
            "unique in 8 characters, no cmd extensions, errorlevel tests from high to low. Exit 1 on problems.",
            (arg("files", type=Path, nargs="+", metavar="FILE"),), cmd_scripts_lint),
    Command(("month",), "the monthly routine, from catalog to scripts and reports",
            "Check site.ini, then import the new catalog (refusing an untrusted one), show the diff, inventory the "
            "machines that changed, scan, write the patch application plan, generate the logon scripts and "
            "update the HTML report in SHARE/reports. Each step prints one line and its time; a failing step stops "
            "the routine and leaves the share as it was before that step.",
            (SHARE, arg("--cab", type=Path, metavar="FILE", help="catalog cabinet (default: newest in SHARE/incoming)"),
             arg("--dry-run", action="store_true", help="run in a temporary copy of the share and list what would "
                 "change"),
             arg("--as-of", type=_day, metavar="DATE",
                 help="record the scan under DATE (YYYY-MM-DD), to back-fill a month"),
             FAIL_ON, JOBS), cmd_month),
    Command(("plan",), "the monthly patch application plan",
            "New and revised bulletins since the previous catalog: severity, applicability here, machines missing "
            "them, reboot, minimum testing (Table 6.2), rollback, owner and approver, deployment order. The "
            "templates are SHARE/templates/plan.*.j2.",
            (SHARE, arg("--format", choices=tuple(report.PLAN_FORMATS), default="text", help="output format")),
            cmd_plan),
    Command(("demo",), "build the example share and run on it",
            "Build an example share from hfstage's examples in DIR (default: ./hfstage-demo) and run two months on it.",
            (arg("dir", type=Path, nargs="?", default=Path("hfstage-demo"), metavar="DIR"),), cmd_demo),
]

