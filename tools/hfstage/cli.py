"""Command line: argument parsing only; the handlers are in commands.py."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from hfstage import __version__
from hfstage.commands import (
    cmd_cab_extract,
    cmd_cab_list,
    cmd_cab_verify,
    cmd_catalog_diff,
    cmd_catalog_import,
    cmd_catalog_show,
    cmd_demo,
    cmd_facts,
    cmd_init,
    cmd_inventory,
    cmd_month,
    cmd_pe_version,
    cmd_plan,
    cmd_report,
    cmd_results,
    cmd_scan,
    cmd_scripts_collectors,
    cmd_scripts_generate,
    cmd_scripts_lint,
)
from hfstage.errors import EXIT_OK, HfstageError

log = logging.getLogger("hfstage")


def _share_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("share", type=Path, metavar="SHARE", help="folder of the staging share")


def _json_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


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
    _share_arg(s)
    s.set_defaults(func=cmd_init)

    cab = sub.add_parser("cab", help="list, extract or verify a cabinet file",
                         description="Work with .cab files directly.")
    cabsub = cab.add_subparsers(dest="cab_command", metavar="ACTION", required=True)
    s = cabsub.add_parser("list", help="list the members of a cabinet", description="List members of FILE.")
    s.add_argument("file", type=Path, metavar="FILE")
    _json_arg(s)
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
    _json_arg(s)
    s.set_defaults(func=cmd_cab_verify)

    cat = sub.add_parser("catalog", help="import, show and compare catalogs",
                         description="Import signed mssecure.cab catalogs and inspect stored ones.")
    catsub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    s = catsub.add_parser("import", help="verify, extract, parse and store a catalog", description=(
        "Import FILE (default: the newest .cab in SHARE/incoming): verify its signature against SHARE/trust, "
        "extract it, parse mssecure.xml, store it under SHARE/catalogs/<DataVersion>, and show what changed."))
    _share_arg(s)
    s.add_argument("file", type=Path, nargs="?", metavar="FILE", help="cabinet to import")
    s.add_argument("--xml", type=Path, metavar="FILE", help="import a bare mssecure.xml instead")
    s.add_argument("--sha256", metavar="HEX", help="expected SHA-256 of the --xml file")
    s.add_argument("--allow-unsigned", action="store_true",
                   help="accept an unsigned or untrusted catalog (logged and recorded with it)")
    _json_arg(s)
    s.set_defaults(func=cmd_catalog_import)
    s = catsub.add_parser("show", help="summarise a stored catalog or one bulletin",
                          description="Show counts and anomalies of a stored catalog, or one bulletin.")
    _share_arg(s)
    s.add_argument("--bulletin", metavar="ID", help="show one bulletin, e.g. MS01-033")
    s.add_argument("--version", dest="version", metavar="DATAVERSION", help="default: the newest")
    _json_arg(s)
    s.set_defaults(func=cmd_catalog_show)
    s = catsub.add_parser("diff", help="compare two stored catalogs", description=(
        "New, revised and removed bulletins and patches, re-released patches and supersedence changes "
        "between OLD and NEW (default: the last two stored)."))
    _share_arg(s)
    s.add_argument("old", nargs="?", metavar="OLD")
    s.add_argument("new", nargs="?", metavar="NEW")
    _json_arg(s)
    s.set_defaults(func=cmd_catalog_diff)

    s = sub.add_parser("facts", help="what one machine is, from its inventory folder or system drive", description=(
        "Read one machine's facts (OS, service pack, products, hotfixes, file versions) from PATH: an "
        "inventory folder (SOFTWARE/SYSTEM hives or .reg exports, optional files/) or a mounted system drive."))
    s.add_argument("path", type=Path, metavar="PATH")
    s.add_argument("--catalog", type=Path, metavar="SHARE_OR_DIR",
                   help="a share (its newest catalog), a folder with mssecure.xml, or the XML file: names "
                        "products as the catalog does and checks the files it lists")
    _json_arg(s)
    s.set_defaults(func=cmd_facts)

    s = sub.add_parser("pe-version", help="file versions of PE files (a filever for the share)", description=(
        "Print the fixed file and product version, the FileVersion string, the PE header CheckSum and the "
        "machine type of each FILE. Only headers and the resource directory are read."))
    s.add_argument("files", type=Path, nargs="+", metavar="FILE")
    _json_arg(s)
    s.set_defaults(func=cmd_pe_version)

    s = sub.add_parser("inventory", help="read every machine under SHARE/inventory", description=(
        "Read the facts of every machine under SHARE/inventory (in parallel; unchanged machines come from the "
        "cache in SHARE/state/facts). An unreadable machine becomes an error row; the others carry on."))
    _share_arg(s)
    s.add_argument("--machine", metavar="M", help="only this machine")
    s.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
    _json_arg(s)
    s.set_defaults(func=cmd_inventory)

    scr = sub.add_parser("scripts", help="generate and check logon scripts",
                         description="Generate the batch files clients run, and check batch files.")
    scrsub = scr.add_subparsers(dest="scripts_command", metavar="ACTION", required=True)
    s = scrsub.add_parser("collectors", help="write the inventory collectors into SHARE/netlogon", description=(
        "Render collect_nt.bat, collect_9x.bat and per-machine 9x stubs (<MACHINE>.bat, for Samba's "
        "`logon script = %%m.bat`) into SHARE/netlogon with the share's UNC path from site.ini. Every script is "
        "linted first; on any problem nothing is written."))
    _share_arg(s)
    s.set_defaults(func=cmd_scripts_collectors)
    s = scrsub.add_parser("generate", help="write per-machine install and rollback scripts", description=(
        "From the latest scan and SHARE/hotfixes, write SHARE/scripts/<MACHINE>.bat (installs exactly what the "
        "machine misses, oldest bulletin first, silently, QChain where needed, one reboot at most, results to "
        "SHARE/results), <MACHINE>-rollback.bat, and the dispatcher SHARE/netlogon/logon.bat. Everything is "
        "linted first; files are replaced atomically and only when they change."))
    _share_arg(s)
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
    _share_arg(s)
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
    _share_arg(s)
    s.add_argument("--by", choices=("machine", "patch", "bulletin"), default="machine", help="grouping")
    s.add_argument("--since", metavar="DATE", help="only scans from DATE on (YYYY-MM-DD)")
    s.add_argument("--format", choices=("text", "csv", "json"), default="text", help="output format")
    s.set_defaults(func=cmd_report)

    s = sub.add_parser("results", help="what the clients' install scripts reported", description=(
        "Collect SHARE/results/<MACHINE>.log: attempts, exit codes and outcomes per patch; flags failures, "
        "packages given up on, and reboot loops. `hfstage scan` shows these problems too."))
    _share_arg(s)
    _json_arg(s)
    s.set_defaults(func=cmd_results)

    s = sub.add_parser("month", help="the monthly routine, from catalog to scripts and reports", description=(
        "Import the new catalog (refusing an untrusted one), show the diff, inventory the machines that "
        "changed, scan, write the patch application plan, generate the logon scripts and write the HTML "
        "report to SHARE/reports/<run>/. Each step prints one line and its time; a failing step stops the "
        "routine and leaves the share as it was before that step."))
    _share_arg(s)
    s.add_argument("--cab", type=Path, metavar="FILE", help="catalog cabinet (default: newest in SHARE/incoming)")
    s.add_argument("--dry-run", action="store_true",
                   help="run in a temporary copy of the share and list what would change")
    s.add_argument("--as-of", metavar="DATE", help="record the scan under DATE (YYYY-MM-DD), to back-fill a month")
    s.set_defaults(func=cmd_month)

    s = sub.add_parser("plan", help="the monthly patch application plan", description=(
        "New and revised bulletins since the previous catalog: severity, applicability here, machines missing "
        "them, reboot, minimum testing (Table 6.2), rollback, owner and approver, deployment order. The "
        "templates are SHARE/templates/plan.*.j2."))
    _share_arg(s)
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
