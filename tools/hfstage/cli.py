"""Command line: argument parsing only; each command calls one library function."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from hfstage import __version__
from hfstage.errors import EXIT_OK, EXIT_SIGNATURE, HfstageError

log = logging.getLogger("hfstage")


def _print_json(data) -> None:
    print(json.dumps(data, indent=1, sort_keys=True, default=str))


# --- init -------------------------------------------------------------------------------

def cmd_init(args) -> int:
    from hfstage.share import init_share

    report = init_share(args.share)
    print(f"{args.share}: share ready ({len(report.created)} files created, {len(report.kept)} kept)")
    for rel in report.differs:
        print(f"  kept your {rel} (differs from the default; see share_layout/{rel})")
    return EXIT_OK


# --- cab --------------------------------------------------------------------------------

def cmd_cab_list(args) -> int:
    from hfstage.cab.extract import read_cabinet
    from hfstage.cab.present import members_json, members_table

    _, layout = read_cabinet(args.file)
    if args.json:
        _print_json(members_json(layout))
    else:
        print(members_table(layout))
    return EXIT_OK


def cmd_cab_extract(args) -> int:
    from hfstage.cab.extract import extract_cabinet

    members = extract_cabinet(args.file, args.dir, max_bytes=args.max_bytes)
    print(f"{args.file}: extracted {len(members)} files ({sum(m.size for m in members)} bytes) to {args.dir}")
    return EXIT_OK


def cmd_cab_verify(args) -> int:
    from hfstage.cab.authenticode import verify_cabinet
    from hfstage.cab.present import verify_text
    from hfstage.cab.trust import load_trust

    result = verify_cabinet(args.file, load_trust(args.trust))
    if args.json:
        _print_json(result.to_dict())
    else:
        print(verify_text(result))
    return EXIT_OK if result.ok else EXIT_SIGNATURE


# --- catalog ----------------------------------------------------------------------------

def cmd_catalog_import(args) -> int:
    from hfstage.catalog.importer import import_catalog
    from hfstage.catalog.present import diff_text, summary_text
    from hfstage.share import Share

    if args.file and args.xml:
        raise _usage("give either a cabinet FILE or --xml FILE, not both")
    result = import_catalog(Share(args.share), args.file, xml=args.xml, sha256=args.sha256,
                            allow_unsigned=args.allow_unsigned)
    if args.json:
        _print_json({"data_version": result.catalog.data_version, "folder": str(result.stored.folder),
                     "already_stored": result.already_stored, "counts": result.catalog.counts(),
                     "verification": result.verification, "override": result.override,
                     "diff": result.diff.to_dict() if result.diff else None})
        return EXIT_OK
    state = "already stored, unchanged" if result.already_stored else "imported"
    print(f"{result.stored.folder}: {state}")
    if result.override:
        print(f"  WARNING: {result.override}")
    print(summary_text(result.catalog))
    print(diff_text(result.diff) if result.diff else "  (first catalog on this share: nothing to compare)")
    return EXIT_OK


def cmd_catalog_show(args) -> int:
    from hfstage.catalog.present import bulletin_dict, bulletin_text, bulletins_table, summary_text
    from hfstage.catalog.store import find_catalog
    from hfstage.share import Share

    share = Share(args.share)
    share.check()
    stored = find_catalog(share, args.version)
    catalog = stored.load()
    if args.bulletin:
        bulletin = catalog.bulletins.get(args.bulletin.strip().upper())
        if bulletin is None:
            raise _usage(f"bulletin {args.bulletin!r} is not in catalog {catalog.data_version}")
        _print_json(bulletin_dict(catalog, bulletin)) if args.json else print(bulletin_text(catalog, bulletin))
        return EXIT_OK
    if args.json:
        _print_json({"data_version": catalog.data_version, "schema_version": catalog.schema_version,
                     "last_data_update": catalog.last_data_update, "folder": str(stored.folder),
                     "import": stored.record, "counts": catalog.counts(),
                     "anomalies": [a.__dict__ for a in catalog.anomalies]})
    else:
        print(summary_text(catalog))
        if args.verbose:
            print(bulletins_table(catalog))
    return EXIT_OK


def cmd_catalog_diff(args) -> int:
    from hfstage.catalog.diff import diff_catalogs
    from hfstage.catalog.present import diff_text
    from hfstage.catalog.store import find_catalog, list_catalogs
    from hfstage.share import Share

    share = Share(args.share)
    share.check()
    if args.old and args.new:
        old, new = find_catalog(share, args.old), find_catalog(share, args.new)
    elif args.old or args.new:
        raise _usage("give both OLD and NEW DataVersions, or neither for the last two")
    else:
        stored = list_catalogs(share)
        if len(stored) < 2:
            raise _usage(f"{share.folder('catalogs')}: {len(stored)} catalog(s) stored; a diff needs two")
        old, new = stored[-2], stored[-1]
    d = diff_catalogs(old.load(), new.load())
    _print_json(d.to_dict()) if args.json else print(diff_text(d))
    return EXIT_OK


# --- inventory --------------------------------------------------------------------------

def _catalog_arg(path: Path | None):
    """--catalog: a share (its newest catalog), a folder holding mssecure.xml, or the file."""
    if path is None:
        return None
    from hfstage.catalog.parser import parse_catalog_file
    from hfstage.catalog.store import find_catalog
    from hfstage.share import Share

    if path.is_dir() and (path / "catalogs").is_dir():
        return find_catalog(Share(path)).load()
    if path.is_dir():
        return parse_catalog_file(path / "mssecure.xml")
    return parse_catalog_file(path)


def cmd_facts(args) -> int:
    from hfstage.errors import EXIT_INPUT
    from hfstage.inventory.gather import gather_facts
    from hfstage.inventory.present import facts_text

    facts = gather_facts(args.path, _catalog_arg(args.catalog))
    _print_json(facts.to_dict()) if args.json else print(facts_text(facts, args.verbose))
    if facts.error:
        print(f"Error: {facts.error}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_pe_version(args) -> int:
    from hfstage.errors import EXIT_INPUT
    from hfstage.inventory.pe import read_pe_version
    from hfstage.inventory.present import pe_table

    rows, failed = [], False
    for path in args.files:
        try:
            rows.append(read_pe_version(path))
        except HfstageError as e:
            rows.append((str(path), str(e)))
            failed = True
    if args.json:
        _print_json([r.to_dict() if not isinstance(r, tuple) else {"path": r[0], "error": r[1]} for r in rows])
    else:
        print(pe_table(rows))
    return EXIT_INPUT if failed else EXIT_OK


def cmd_inventory(args) -> int:
    from hfstage.inventory.present import inventory_table
    from hfstage.inventory.run import inventory_share
    from hfstage.share import Share

    rows = inventory_share(Share(args.share), args.machine, jobs=args.jobs)
    if args.json:
        _print_json([f.to_dict() for f in rows])
    else:
        print(inventory_table(rows))
        bad = [f for f in rows if f.error]
        print(f"{len(rows)} machines, {len(bad)} with errors")
    return EXIT_OK


# --- scripts ----------------------------------------------------------------------------

def cmd_scripts_collectors(args) -> int:
    from hfstage.errors import EXIT_INPUT
    from hfstage.scripts.collectors import write_collectors
    from hfstage.share import Share

    result = write_collectors(Share(args.share))
    if result.problems:
        for problem in result.problems:
            print(f"Error: {problem}", file=sys.stderr)
        print("Error: nothing was written; fix the templates or site.ini", file=sys.stderr)
        return EXIT_INPUT
    for path in result.written:
        print(f"wrote {path}")
    print(f"{len(result.written)} written, {len(result.unchanged)} unchanged in {Path(args.share) / 'netlogon'}")
    return EXIT_OK


def cmd_scripts_lint(args) -> int:
    from hfstage.errors import EXIT_FINDINGS
    from hfstage.scripts.lint import lint_file

    problems = []
    for path in args.files:
        try:
            problems += lint_file(path)
        except OSError as e:
            raise _usage(f"{path}: cannot read: {e.strerror}") from e
    for problem in problems:
        print(problem)
    print(f"{len(args.files)} file(s), {len(problems)} problem(s)")
    return EXIT_FINDINGS if problems else EXIT_OK


def cmd_scripts_generate(args) -> int:
    from hfstage.errors import EXIT_INPUT
    from hfstage.scripts.generate import generate_scripts
    from hfstage.share import Share

    result = generate_scripts(Share(args.share), args.machine, dry_run=args.dry_run)
    if result.problems:
        for problem in result.problems:
            print(f"Error: {problem}", file=sys.stderr)
        print("Error: nothing was written; fix the templates or site.ini", file=sys.stderr)
        return EXIT_INPUT
    for machine, notes in sorted(result.unavailable.items()):
        for note in notes:
            print(f"{machine}: not scripted: {note}", file=sys.stderr)
    verb = "would write" if args.dry_run else "wrote"
    for path in result.written:
        print(f"{verb} {path}")
    print(f"{len([p for p in result.plans if p.steps])} machine script(s), "
          f"{len(result.idle)} with nothing to install; {len(result.written)} file(s) "
          f"{'to change' if args.dry_run else 'written'}, {len(result.unchanged)} unchanged")
    return EXIT_OK


def cmd_results(args) -> int:
    from tabulate import tabulate

    from hfstage.scripts.results import collect_results
    from hfstage.share import Share

    share = Share(args.share)
    share.check()
    machines = collect_results(share)
    if args.json:
        _print_json([m.to_dict() for m in machines])
        return EXIT_OK
    table = [(m.machine, p.bulletin, p.patch, p.attempts, p.last_code, p.last_meaning + (" (gave up)" if p.gave_up
              else ""), p.last_when) for m in machines for p in m.patches]
    print(tabulate(table, headers=("Machine", "Bulletin", "Patch", "Attempts", "Exit", "Result", "When")))
    for m in machines:
        for problem in m.problems():
            print(f"{m.machine}: {problem}")
    return EXIT_OK


# --- scan and report --------------------------------------------------------------------

def cmd_scan(args) -> int:
    from hfstage.assess.scan import misses_at_or_above, read_machine_list, run_scan
    from hfstage.errors import EXIT_FINDINGS
    from hfstage.fsutil import atomic_write_text
    from hfstage.report import findings as fmt
    from hfstage.share import Share

    machines = None
    if args.machines or args.machine:
        machines = (read_machine_list(args.machines) if args.machines else []) + (args.machine or [])
    if args.fail_on_missing:
        misses_at_or_above([], args.fail_on_missing.title())  # reject a bad severity before scanning
    result = run_scan(Share(args.share), machines, jobs=args.jobs)
    opts = {"show_superseded": args.show_superseded, "baseline": args.baseline}
    renderers = {
        "text": lambda: fmt.render_text(result.assessments, verbose=args.verbose, **opts),
        "tab": lambda: fmt.render_tab(result.assessments, **opts),
        "csv": lambda: fmt.render_csv(result.assessments, **opts),
        "json": lambda: fmt.render_json(result.assessments, result.catalog_version, result.scan_id),
        "html": lambda: fmt.render_html(result.assessments, result.catalog_version, **opts),
    }
    text = renderers[args.format]()
    if args.output:
        atomic_write_text(args.output, text)
        print(f"wrote {args.output} (scan {result.scan_id})", file=sys.stderr)
    else:
        sys.stdout.write(text)
    if args.fail_on_missing:
        misses = misses_at_or_above(result.assessments, args.fail_on_missing.title())
        if misses:
            print(f"{len(misses)} missing patch(es) rated {args.fail_on_missing.title()} or worse", file=sys.stderr)
            return EXIT_FINDINGS
    return EXIT_OK


def cmd_report(args) -> int:
    from hfstage.report.compliance import compliance, render_compliance
    from hfstage.share import Share

    sys.stdout.write(render_compliance(compliance(Share(args.share), args.by, args.since), args.format))
    return EXIT_OK


# --- the month --------------------------------------------------------------------------

def _as_of(text: str | None):
    import datetime as dt

    if text is None:
        return None
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d").replace(hour=12, tzinfo=dt.timezone.utc)
    except ValueError as e:
        raise _usage(f"--as-of {text!r}: use YYYY-MM-DD") from e


def cmd_month(args) -> int:
    from hfstage.month import dry_run_month, run_month
    from hfstage.share import Share

    share = Share(args.share)
    if args.dry_run:
        result = dry_run_month(share, args.cab)
        print("\n".join(result.changes) or "no changes to scripts, netlogon or reports")
        return EXIT_OK
    result = run_month(share, args.cab, as_of=_as_of(args.as_of))
    print(f"report: {result.report_folder / 'index.html'}")
    print(f"scripts: {share.folder('scripts')}")
    return EXIT_OK


def cmd_plan(args) -> int:
    from hfstage.report.plan import render_plan
    from hfstage.share import Share

    sys.stdout.write(render_plan(Share(args.share), args.format))
    return EXIT_OK


# --- demo -------------------------------------------------------------------------------

def cmd_demo(args) -> int:
    from hfstage.demo import run_demo

    run_demo(args.dir)
    return EXIT_OK


# --- parser -----------------------------------------------------------------------------

def _usage(message: str) -> HfstageError:
    from hfstage.errors import UsageError

    return UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hfstage",
        description="Offline patch management for legacy Windows clients, run from a staging share: "
                    "import signed catalogs, inventory machines, assess, report, generate logon scripts.",
    )
    p.add_argument("--version", action="version", version=f"hfstage {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="more detail, and log at INFO level")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    s = sub.add_parser("init", help="create (or complete) a staging share", description=(
        "Create the share layout (incoming, catalogs, trust, hotfixes, inventory, scripts, netlogon, results, "
        "reports, state, site.ini). Safe to re-run: existing files are never overwritten."))
    s.add_argument("share", type=Path, metavar="SHARE", help="folder of the staging share")
    s.set_defaults(func=cmd_init)

    cab = sub.add_parser("cab", help="list, extract or verify a cabinet file",
                         description="Work with .cab files directly.")
    cabsub = cab.add_subparsers(dest="cab_command", metavar="ACTION", required=True)
    s = cabsub.add_parser("list", help="list the members of a cabinet", description="List members of FILE.")
    s.add_argument("file", type=Path, metavar="FILE")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_cab_list)
    s = cabsub.add_parser("extract", help="extract a cabinet safely", description=(
        "Extract FILE into DIR (new or empty). Unsafe member names (.., absolute, drive, UNC, device names) "
        "refuse the whole cabinet; nothing is left behind on failure."))
    s.add_argument("file", type=Path, metavar="FILE")
    s.add_argument("dir", type=Path, metavar="DIR")
    s.add_argument("--max-bytes", type=int, default=2 * 1024**3, metavar="N",
                   help="refuse cabinets that expand to more than N bytes (default 2 GiB)")
    s.set_defaults(func=cmd_cab_extract)
    s = cabsub.add_parser("verify", help="verify a cabinet's Authenticode signature", description=(
        "Verify FILE's Authenticode signature: content digest, signer, chain to an anchor in --trust DIR, "
        "validity at the timestamp. Exit 0 when trusted, 5 for any signature problem, 3 for an unreadable "
        "cabinet."))
    s.add_argument("file", type=Path, metavar="FILE")
    s.add_argument("--trust", type=Path, metavar="DIR", help="folder of trusted root certificates (PEM/DER)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_cab_verify)

    cat = sub.add_parser("catalog", help="import, show and compare catalogs",
                         description="Import signed mssecure.cab catalogs and inspect stored ones.")
    catsub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    s = catsub.add_parser("import", help="verify, extract, parse and store a catalog", description=(
        "Import FILE (default: the newest .cab in SHARE/incoming): verify its signature against SHARE/trust, "
        "extract it, parse mssecure.xml, store it under SHARE/catalogs/<DataVersion>, and show what changed."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("file", type=Path, nargs="?", metavar="FILE", help="cabinet to import")
    s.add_argument("--xml", type=Path, metavar="FILE", help="import a bare mssecure.xml instead")
    s.add_argument("--sha256", metavar="HEX", help="expected SHA-256 of the --xml file")
    s.add_argument("--allow-unsigned", action="store_true",
                   help="accept an unsigned or untrusted catalog (logged and recorded with it)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_catalog_import)
    s = catsub.add_parser("show", help="summarise a stored catalog or one bulletin",
                          description="Show counts and anomalies of a stored catalog, or one bulletin.")
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--bulletin", metavar="ID", help="show one bulletin, e.g. MS01-033")
    s.add_argument("--version", dest="version", metavar="DATAVERSION", help="default: the newest")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_catalog_show)
    s = catsub.add_parser("diff", help="compare two stored catalogs", description=(
        "New, revised and removed bulletins and patches, re-released patches and supersedence changes "
        "between OLD and NEW (default: the last two stored)."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("old", nargs="?", metavar="OLD")
    s.add_argument("new", nargs="?", metavar="NEW")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_catalog_diff)

    s = sub.add_parser("facts", help="what one machine is, from its inventory folder or system drive", description=(
        "Read one machine's facts (OS, service pack, products, hotfixes, file versions) from PATH: an "
        "inventory folder (SOFTWARE/SYSTEM hives or .reg exports, optional files/) or a mounted system drive."))
    s.add_argument("path", type=Path, metavar="PATH")
    s.add_argument("--catalog", type=Path, metavar="SHARE_OR_DIR",
                   help="a share (its newest catalog), a folder with mssecure.xml, or the XML file: names "
                        "products as the catalog does and checks the files it lists")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_facts)

    s = sub.add_parser("pe-version", help="file versions of PE files (a filever for the share)", description=(
        "Print the fixed file and product version, the FileVersion string, the PE header CheckSum and the "
        "machine type of each FILE. Only headers and the resource directory are read."))
    s.add_argument("files", type=Path, nargs="+", metavar="FILE")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_pe_version)

    s = sub.add_parser("inventory", help="read every machine under SHARE/inventory", description=(
        "Read the facts of every machine under SHARE/inventory (in parallel; unchanged machines come from the "
        "cache in SHARE/state/facts). An unreadable machine becomes an error row; the others carry on."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--machine", metavar="M", help="only this machine")
    s.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_inventory)

    scr = sub.add_parser("scripts", help="generate and check logon scripts",
                         description="Generate the batch files clients run, and check batch files.")
    scrsub = scr.add_subparsers(dest="scripts_command", metavar="ACTION", required=True)
    s = scrsub.add_parser("collectors", help="write the inventory collectors into SHARE/netlogon", description=(
        "Render collect_nt.bat, collect_9x.bat and per-machine 9x stubs (<MACHINE>.bat, for Samba's "
        "`logon script = %%m.bat`) into SHARE/netlogon with the share's UNC path from site.ini. Every script is "
        "linted first; on any problem nothing is written."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.set_defaults(func=cmd_scripts_collectors)
    s = scrsub.add_parser("generate", help="write per-machine install and rollback scripts", description=(
        "From the latest scan and SHARE/hotfixes, write SHARE/scripts/<MACHINE>.bat (installs exactly what the "
        "machine misses, oldest bulletin first, silently, QChain where needed, one reboot at most, results to "
        "SHARE/results), <MACHINE>-rollback.bat, and the dispatcher SHARE/netlogon/logon.bat. Everything is "
        "linted first; files are replaced atomically and only when they change."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--machine", metavar="M", help="only machine M")
    s.add_argument("--dry-run", action="store_true", help="show what would change; write nothing")
    s.set_defaults(func=cmd_scripts_generate)
    s = scrsub.add_parser("lint", help="check batch files against command.com and CRLF rules", description=(
        "Check each FILE: CRLF line ends; for scripts marked for command.com also 127-character lines, labels "
        "unique in 8 characters, no cmd extensions, errorlevel tests from high to low. Exit 1 on problems."))
    s.add_argument("files", type=Path, nargs="+", metavar="FILE")
    s.set_defaults(func=cmd_scripts_lint)

    s = sub.add_parser("scan", help="assess every machine against the newest catalog", description=(
        "Inventory the machines whose inputs changed, assess all of them against the newest stored catalog and "
        "the site policy in site.ini, print the report (HFNetChk's layout by default) and record the scan in "
        "SHARE/state/history.sqlite. Superseded patches are hidden unless --show-superseded; installed ones are "
        "listed with -v."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--machines", type=Path, metavar="FILE", help="only the machines listed in FILE, one per line")
    s.add_argument("--machine", action="append", metavar="M", help="only machine M (repeatable)")
    s.add_argument("--baseline", action="store_true", help="report only the site's baseline patches")
    s.add_argument("--show-superseded", action="store_true", help="also list superseded patches")
    s.add_argument("--format", choices=("text", "tab", "csv", "json", "html"), default="text",
                   help="report format (default text)")
    s.add_argument("--output", type=Path, metavar="FILE", help="write the report to FILE instead of stdout")
    s.add_argument("--fail-on-missing", metavar="SEVERITY",
                   help="exit 1 when a machine misses a patch rated SEVERITY or worse "
                        "(Critical, Important, Moderate, Low, Unrated)")
    s.add_argument("--jobs", type=int, metavar="N", help="inventory worker processes (default: one per core)")
    s.set_defaults(func=cmd_scan)

    s = sub.add_parser("report", help="compliance from the scan history", description=(
        "Compliance from SHARE/state/history.sqlite: per machine (missing patches by severity, last scan, last "
        "change), per patch or bulletin (machines missing it), and the trend per month."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--by", choices=("machine", "patch", "bulletin"), default="machine", help="grouping")
    s.add_argument("--since", metavar="DATE", help="only scans from DATE on (YYYY-MM-DD)")
    s.add_argument("--format", choices=("text", "csv", "json"), default="text", help="output format")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("results", help="what the clients' install scripts reported", description=(
        "Collect SHARE/results/<MACHINE>.log: attempts, exit codes and outcomes per patch; flags failures, "
        "packages given up on, and reboot loops. `hfstage scan` shows these problems too."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_results)

    s = sub.add_parser("month", help="the monthly routine, from catalog to scripts and reports", description=(
        "Import the new catalog (refusing an untrusted one), show the diff, inventory the machines that "
        "changed, scan, write the patch application plan, generate the logon scripts and write the HTML "
        "report to SHARE/reports/<run>/. Each step prints one line and its time; a failing step stops the "
        "routine and leaves the share as it was before that step."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--cab", type=Path, metavar="FILE", help="catalog cabinet (default: newest in SHARE/incoming)")
    s.add_argument("--dry-run", action="store_true",
                   help="run in a temporary copy of the share and list what would change")
    s.add_argument("--as-of", metavar="DATE", help="record the scan under DATE (YYYY-MM-DD), to back-fill a month")
    s.set_defaults(func=cmd_month)

    s = sub.add_parser("plan", help="the monthly patch application plan", description=(
        "New and revised bulletins since the previous catalog: severity, applicability here, machines missing "
        "them, reboot, minimum testing (Table 6.2), rollback, owner and approver, deployment order. The "
        "templates are SHARE/templates/plan.*.j2."))
    s.add_argument("share", type=Path, metavar="SHARE")
    s.add_argument("--format", choices=("text", "md", "html"), default="text", help="output format")
    s.set_defaults(func=cmd_plan)

    s = sub.add_parser("demo", help="build the example share and run on it", description=(
        "Build an example share from examples/ in DIR (default: ./hfstage-demo) and run hfstage on it."))
    s.add_argument("dir", type=Path, nargs="?", default=Path("hfstage-demo"), metavar="DIR")
    s.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except HfstageError as e:
        print(f"Error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error worth a traceback
        sys.stderr.close()
        return EXIT_OK
