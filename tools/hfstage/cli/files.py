"""The file tools: commands on a file, not on a share (`cab list|extract|verify`, `facts`, `pe-version`,
`scripts lint`). They are the written exception to "every command goes through the conductor"
(tests/house/test_layering.py names them): each reads the files it is given and imports the stage that
reads them; their tables still come from pipeline.views.
"""

from __future__ import annotations

from pathlib import Path

from hfstage import cab, catalog, inventory, scripts
from hfstage.cli.output import err, out, out_json
from hfstage.cli.table import Command, arg
from hfstage.errors import EXIT_FINDINGS, EXIT_INPUT, EXIT_OK, EXIT_SIGNATURE, UsageError
from hfstage.pipeline import views

JSON = arg("--json", action="store_true", help="machine-readable output")


def cmd_cab_list(args) -> int:
    _, layout = cab.read_cabinet(args.file)
    out_json(cab.members_json(layout)) if args.json else out(views.cab_members(layout))
    return EXIT_OK


def cmd_cab_extract(args) -> int:
    members = cab.extract_cabinet(args.file, args.dir, max_bytes=args.max_bytes)
    out(f"{args.file}: extracted {len(members)} files ({sum(m.size for m in members)} bytes) to {args.dir}")
    return EXIT_OK


def cmd_cab_verify(args) -> int:
    result = cab.verify_cabinet(args.file, cab.load_trust(args.trust))
    out_json(result.to_dict()) if args.json else out(cab.verify_text(result))
    return EXIT_OK if result.ok else EXIT_SIGNATURE


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
    out_json([r if isinstance(r, dict) else r.to_dict() for r in rows]) if args.json else out(views.pe_versions(rows))
    return EXIT_INPUT if any(isinstance(r, dict) for r in rows) else EXIT_OK


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


# the handlers of the file tools, by command path: test_layering.py allows these, and only these, to reach stages
FILE_COMMANDS = {c.path: c for c in [
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
    Command(("scripts", "lint"), "check batch files against command.com and CRLF rules",
            "Check each FILE: CRLF line ends; for scripts marked for command.com also 127-character lines, labels "
            "unique in 8 characters, no cmd extensions, errorlevel tests from high to low. Exit 1 on problems.",
            (arg("files", type=Path, nargs="+", metavar="FILE"),), cmd_scripts_lint),
]}
