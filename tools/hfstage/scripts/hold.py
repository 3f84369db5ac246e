"""What keeps a package out of a machine's script, or puts it last: rules from the KB articles that the
install itself cannot check on the client.

- NT 4.0 cannot take a hotfix over itself: KB 184305 says to remove it before reinstalling it, or its
  uninstall backup is corrupted; "reported installed, still missing" is held back for the admin.
- The package's own INF says which Windows it is for (product, service packs, language): a package
  for another machine is held back with both named (packages.target).
- Internet Explorer and Outlook Express updates cannot share a restart (KB 296861): each such
  package comes after everything that chains and ends its run with a restart.
- QChain released before the fix of KB 815062 keeps the wrong file: it is refused, its version named.
"""

from __future__ import annotations

from hfstage.assess import Assessment
from hfstage.packages import Package, PackageFacts, Verdict, target_problem
from hfstage.versions import parse_version

HOTFIX_KINDS = ("hotfix", "hotfix-quiet")


def held_back(plan, verdict: Verdict, rounds: int, a: Assessment, pkg: Package) -> str | None:
    """Why PLAN's machine must not run the package of VERDICT now (ROUNDS: times it was reported installed
    while the scan still found it missing); None: it may."""
    if rounds >= plan.max_attempts:
        return f"reported installed {rounds} times and still missing: not tried again; look at the machine"
    if rounds and plan.os_key == "nt4" and verdict.decision.kind in HOTFIX_KINDS:
        return ("reported installed and still missing: Windows NT 4.0 cannot take a hotfix over itself (KB 184305: "
                "remove it before reinstalling it, or its uninstall backup is corrupted); not tried again: remove "
                "it (its package with -y -m) and look at the machine")
    return target_problem(verdict.facts, a) if verdict.facts is not None else None


def alone_after(steps: list) -> list:
    """The steps with each one-per-restart package (IE/OE IExpress) after all the others, in their order."""
    return [s for s in steps if not s.alone] + [s for s in steps if s.alone]


def qchain_problem(facts: PackageFacts | None, spec: dict) -> str | None:
    """Why qchain.exe is refused: linked before the fixed release could have been, or below its version."""
    if facts is None:
        return None
    version = facts.file_version or "no version resource"
    minimum = parse_version(spec.get("min_version") or "")
    have = parse_version(facts.file_version or "")
    if minimum is not None and (have is None or have < minimum):
        return (f"refused: version {version} is below {spec['min_version']}, the QChain that keeps the right file "
                "(KB 815062); put the updated qchain.exe under hotfixes\\")
    if facts.linked is None or facts.linked < spec["built_from"]:
        when = f"linked {facts.linked}" if facts.linked else "no link date"
        return (f"refused: version {version}, {when}: a QChain made before {spec['built_from']} keeps the wrong "
                "file when two hotfixes replace the same one (KB 815062); put the updated qchain.exe (March 2003 "
                "or later) under hotfixes\\")
    return None
