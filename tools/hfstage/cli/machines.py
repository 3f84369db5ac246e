"""The commands of machine lifecycles and binding: `hfstage machines [accept|retire] SHARE [NAME...]` and
`hfstage share provision SHARE`; each calls the pipeline function of its name and prints the result."""

from __future__ import annotations

from pathlib import Path

from tabulate import tabulate

from hfstage import pipeline
from hfstage.cli.output import out, out_json
from hfstage.cli.table import Command, arg
from hfstage.errors import EXIT_FINDINGS, EXIT_OK, UsageError

ACTIONS = ("accept", "retire")


def cmd_machines_words(args) -> int:
    """`machines SHARE`, `machines accept SHARE NAME...` or `machines retire SHARE NAME...`."""
    words = list(args.words)
    action = words.pop(0) if words[0] in ACTIONS and len(words) > 1 else "list"
    args.share = Path(words.pop(0))
    site = pipeline.Site.open(args.share)
    if action == "list":
        if words:
            raise UsageError(f"hfstage machines: unexpected {' '.join(words)} (accept or retire come first)")
        return _list(site, args.json)
    if not words:
        raise UsageError(f"hfstage machines {action} SHARE NAME...: name the machines")
    run = pipeline.machines_accept if action == "accept" else pipeline.machines_retire
    for line in run(site, words):
        out(line)
    out(f"run `hfstage month {args.share}` so the scripts and reports follow")
    return EXIT_OK


def _list(site, as_json: bool) -> int:
    lines = pipeline.machines_list(site)
    if as_json:
        out_json([m.to_dict() for m in lines])
    else:
        out(tabulate([(m.machine, m.standing, m.since, m.how, m.last_fresh or "never", m.evidence)
                      for m in lines], headers=("Machine", "Standing", "Since", "How", "Last fresh evidence",
                                                "Evidence (who owns it)")))
        counts = {s: sum(m.standing == s for m in lines) for s in ("accepted", "pending", "retired")}
        out(", ".join(f"{n} {s}" for s, n in counts.items()))
    return EXIT_FINDINGS if any(m.standing == "pending" for m in lines) else EXIT_OK


def cmd_share_provision(args) -> int:
    report = pipeline.share_provision(pipeline.Site.open(args.share), apply=args.apply, ntfs=args.ntfs,
                                      names=args.machine)
    for plan in report.machines:
        for line in plan.notes:
            out(f"# {line}")
        for line in plan.commands:
            out(line if not report.applied else f"done: {line}")
    bound = [p for p in report.machines if p.bindable]
    verb = "given to its computer account" if report.applied else "to give to its computer account"
    out(f"# {len(bound)} machine folder(s) {verb}; {len(report.machines) - len(bound)} not bindable")
    return EXIT_OK


COMMANDS = [
    Command(("share", "provision"), "give each machine folder and results log to the machine's own account",
            "Print (or with --apply carry out on this server) the commands that give SHARE/inventory/<MACHINE> "
            "and SHARE/results/<MACHINE>.log to the machine's computer account (name$, or DOMAIN\\name$ with "
            "[binding] domain in site.ini), as a Samba domain controller maps it: its startup script then writes "
            "there alone, files of anyone else are refused by name, and the machine is accepted once its evidence "
            "arrives. What other accounts wrote there is moved to SHARE/state/quarantine, unread. Windows NT 4.0 "
            "and 9x machines cannot be bound and are named. --ntfs D:\\hfstage prints icacls lines for an NTFS share.",
            (arg("share", type=Path, metavar="SHARE", help="folder of the staging share"),
             arg("--apply", action="store_true", help="carry the commands out (chown, chmod) as root"),
             arg("--ntfs", metavar="PATH", help="the share's path on a Windows server: print icacls lines for it"),
             arg("--machine", action="append", metavar="M", help="only machine M (repeatable)")),
            cmd_share_provision),
    Command(("machines",), "the machines: accepted, pending, retired; accept or retire them",
            "`hfstage machines SHARE`: every machine the share knows, with its standing (accepted; pending: seen "
            "and assessed, not counted, not scripted, not sent to the central office; retired), since when and "
            "why, when the server last saw fresh evidence, and who wrote it (bound to the machine account, a user, "
            "unbound). Exit 1 while machines are pending. "
            "`hfstage machines accept SHARE NAME...`: accept them (logged in state/audit.log). "
            "`hfstage machines retire SHARE NAME...`: retire them: their scripts, rollback scripts and netlogon "
            "stubs are removed, and they are no longer read or counted.",
            (arg("words", nargs="+", metavar="[accept|retire] SHARE [NAME...]"),
             arg("--json", action="store_true", help="machine-readable output")),
            cmd_machines_words,
            usage="hfstage machines [-h] [-v] [--json] SHARE\n       hfstage machines accept SHARE NAME...\n"
                  "       hfstage machines retire SHARE NAME..."),
]
