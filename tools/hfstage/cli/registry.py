"""Every command of hfstage: its words, its help, its arguments and the handler that runs it (argparse is
built from this table by cli.table; the handlers are in cli.commands, cli.machines for machine lifecycles and,
for the file tools, cli.files)."""

from __future__ import annotations

from pathlib import Path

from hfstage import pipeline
from hfstage.cli.commands import (
    FAIL_ON,
    JOBS,
    JSON,
    SHARE,
    calendar_day,
    calendar_month,
    cmd_approve,
    cmd_catalog_diff,
    cmd_catalog_import,
    cmd_catalog_list,
    cmd_catalog_show,
    cmd_catalog_use,
    cmd_central_import,
    cmd_central_init,
    cmd_central_report,
    cmd_demo,
    cmd_export,
    cmd_init,
    cmd_inventory,
    cmd_month,
    cmd_packages_words,
    cmd_plan,
    cmd_report,
    cmd_results,
    cmd_scan,
    cmd_scripts_collectors,
    cmd_scripts_generate,
    cmd_share_check,
    cmd_site_keygen,
    cmd_unapprove,
    new_file,
)
from hfstage.cli.files import FILE_COMMANDS
from hfstage.cli.machines import cmd_machines_words, cmd_share_provision
from hfstage.cli.table import Command, arg

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
    FILE_COMMANDS[("cab", "list")],
    FILE_COMMANDS[("cab", "extract")],
    FILE_COMMANDS[("cab", "verify")],
    Command(("share", "provision"), "give each machine folder and results log to the machine's own account",
            "Print (or with --apply carry out on this server) the commands that give SHARE/inventory/<MACHINE> "
            "and SHARE/results/<MACHINE>.log to the machine's computer account (name$, or DOMAIN\\name$ with "
            "[binding] domain in site.ini), as a Samba domain controller maps it: its startup script then writes "
            "there alone, files of anyone else are refused by name, and the machine is accepted once its evidence "
            "arrives. What other accounts wrote there is moved to SHARE/state/quarantine, unread. Windows NT 4.0 "
            "and 9x machines cannot be bound and are named. --ntfs D:\\hfstage prints icacls lines for an NTFS share.",
            (SHARE,
             arg("--apply", action="store_true", help="carry the commands out (chown, chmod) as root"),
             arg("--ntfs", metavar="PATH", help="the share's path on a Windows server: print icacls lines for it"),
             arg("--machine", action="append", metavar="M", help="only machine M (repeatable)")),
            cmd_share_provision),
    Command(("catalog", "import"), "verify, extract, parse and store a catalog",
            "Import FILE (default: every .cab in SHARE/incoming; the highest DataVersion becomes current, never "
            "the newest file, and each other one is named): verify its signature against SHARE/trust, "
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
    FILE_COMMANDS[("facts",)],
    FILE_COMMANDS[("pe-version",)],
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
             arg("--format", choices=pipeline.SCAN_FORMATS, default="text",
                 help="report format (default text)"),
             arg("--output", type=new_file, metavar="FILE", help="write the report to FILE instead of stdout"),
             FAIL_ON, JOBS), cmd_scan),
    Command(("report",), "compliance from the scan history",
            "Compliance from SHARE/state/history.sqlite: per machine (status, missing patches by severity, last "
            "scan, last change), per patch or bulletin (machines missing it), and the trend per month.",
            (SHARE, arg("--by", choices=("machine", "patch", "bulletin"), default="machine", help="grouping"),
             arg("--since", type=calendar_day, metavar="DATE", help="only scans from DATE on (YYYY-MM-DD)"),
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
            (SHARE, arg("bundle", type=new_file, metavar="BUNDLE"),
             arg("--month", type=calendar_month, metavar="YYYY-MM",
                 help="the month the bundle is for (default: the scan's)")),
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
            "to SHARE/results), <MACHINE>-rollback.bat, the collectors and the dispatcher "
            "SHARE/netlogon/logon.bat: the whole set clients see, published as one generation as `month` does. "
            "Everything is linted first; nothing clients see changes until the whole set is written.",
            (SHARE, arg("--machine", metavar="M", help="only machine M"),
             arg("--dry-run", action="store_true", help="show what would change; write nothing")),
            cmd_scripts_generate),
    FILE_COMMANDS[("scripts", "lint")],
    Command(("machines",), "the machines: accepted, pending, retired; accept or retire them",
            "`hfstage machines SHARE`: every machine the share knows, with its standing (accepted; pending: seen "
            "and assessed, not counted, not scripted, not sent to the central office; retired), since when and "
            "why, when the server last saw fresh evidence, and who wrote it (bound to the machine account, a user, "
            "unbound). Exit 1 while machines are pending. "
            "`hfstage machines accept SHARE NAME...`: accept them (logged in state/audit.log). "
            "`hfstage machines retire SHARE NAME...`: retire them: their scripts, rollback scripts and netlogon "
            "stubs are removed, and they are no longer read or counted.",
            (arg("words", nargs="+", metavar="[accept|retire] SHARE [NAME...]"), JSON),
            cmd_machines_words,
            usage="hfstage machines [-h] [-v] [--json] SHARE\n       hfstage machines accept SHARE NAME...\n"
                  "       hfstage machines retire SHARE NAME..."),
    Command(("month",), "the monthly routine, from catalog to scripts and reports",
            "Check site.ini, then import the new catalog (refusing an untrusted one), show the diff, inventory the "
            "machines that changed, scan, write the patch application plan, generate the logon scripts and "
            "update the HTML report in SHARE/reports. Each step prints one line and its time; a failing step stops "
            "the routine and leaves the share as it was before that step.",
            (SHARE, arg("--cab", type=Path, metavar="FILE", help="catalog cabinet (default: newest in SHARE/incoming)"),
             arg("--dry-run", action="store_true", help="run in a temporary copy of the share and list what would "
                 "change"),
             arg("--as-of", type=calendar_day, metavar="DATE",
                 help="record the scan under DATE (YYYY-MM-DD), to back-fill a month"),
             FAIL_ON, JOBS), cmd_month),
    Command(("approve",), "approve patches for a ring of machines",
            "Approve each ID (a bulletin such as MS03-026, a Q or KB number, or SP for service packs) of the current "
            "catalog for --ring (pilot, or any ring site.ini [rings] names; default all). With site.ini [approval] "
            "mode = manual a patch reaches a machine's script only once approved for its ring. Kept in "
            "SHARE/state/history.sqlite and audit.log with who ran it, when, the catalog and its packages; a "
            "revised package needs approval again. The site report (SHARE/reports) is drawn again from the latest "
            "full scan. --list shows the mode, the rings and the approvals standing; --history every approve and "
            "unapprove.",
            (SHARE, arg("ids", nargs="*", metavar="ID"), arg("--ring", default="all", help="the ring (default all)"),
             arg("--note", default="", help="why (kept with the approval)"),
             arg("--list", action="store_true", help="show the approvals standing"),
             arg("--history", action="store_true", help="show every approve and unapprove")), cmd_approve),
    Command(("unapprove",), "withdraw approvals",
            "Withdraw the approvals of each ID (for --ring only, when given); kept in the history and audit.log. The "
            "site report (SHARE/reports) is drawn again from the latest full scan.",
            (SHARE, arg("ids", nargs="+", metavar="ID"), arg("--ring", help="only this ring's approval")),
            cmd_unapprove),
    Command(("plan",), "the monthly patch application plan",
            "What the published scripts install, per patch with its machines, approval, severity, minimum testing "
            "(Table 6.2), rollback, owner and approver; what applies but is not scripted, and why; then new and "
            "revised bulletins since the previous catalog. Refused without a full scan. The templates are "
            "SHARE/templates/plan.*.j2.",
            (SHARE, arg("--format", choices=tuple(pipeline.PLAN_FORMATS), default="text", help="output format")),
            cmd_plan),
    Command(("demo",), "build the example share and run on it",
            "Build an example share from hfstage's examples in DIR (default: ./hfstage-demo) and run two months on it.",
            (arg("dir", type=Path, nargs="?", default=Path("hfstage-demo"), metavar="DIR"),), cmd_demo),
]

