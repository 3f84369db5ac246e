"""Command handlers: each opens what it needs, calls one library function, prints the result."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hfstage.errors import EXIT_OK, EXIT_SIGNATURE, HfstageError


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
