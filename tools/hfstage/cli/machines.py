"""The handlers of machine lifecycles and binding: `hfstage machines [accept|retire] SHARE [NAME...]` and
`hfstage share provision SHARE` (their words are in cli.registry); each calls the conductor's function of its
name and prints the result."""

from __future__ import annotations

from pathlib import Path

from hfstage import pipeline
from hfstage.cli.output import out, out_json
from hfstage.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from hfstage.pipeline import views

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
        out(views.machine_standings(lines))
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
