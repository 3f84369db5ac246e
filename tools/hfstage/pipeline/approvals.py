"""`hfstage approve` and `unapprove`: the admin's approvals, kept in state\\approvals.json (who ran it, when,
the catalog version, the packages the ID names in it, the note) and in state\\audit.log; and the gate the
scripts are made through (site.ini's [approval] mode and [rings], with the approvals)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json

from hfstage.errors import StateError, UsageError
from hfstage.pipeline.site import Site
from hfstage.scripts import ALL, Approved, Gate, approval_id
from hfstage.share import APPROVALS, PRIVATE, Share, atomic_write_text, machine_name_problem


def read_approvals(share: Share) -> list[Approved]:
    """The approvals kept on SHARE, oldest first (a damaged file is an error that names it, never empty)."""
    path = share.state_file(APPROVALS)
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["approvals"]
        return [Approved(**{**r, "packages": tuple(r["packages"])}) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StateError(f"{path}: damaged ({e}); restore it from a backup, or move it away to approve again") from e


def _write(share: Share, approvals: list[Approved]) -> None:
    rows = [dataclasses.asdict(a) | {"packages": list(a.packages)} for a in approvals]
    atomic_write_text(share.state_file(APPROVALS), json.dumps({"approvals": rows}, indent=1) + "\n", PRIVATE)


def gate(site: Site) -> Gate:
    """site.ini's mode and rings (names, patterns, @files of names below the share) with the approvals."""
    rings = []
    for entry in site.config.section("rings"):
        ring = entry.key.strip().casefold()
        if ring == ALL:
            raise UsageError(f"{entry.where}: [rings] all: every machine no other ring names is in ring all")
        rings.append((ring, tuple(_members(site.share, entry.value, entry.where))))
    return Gate(site.config.get("approval", "mode"), tuple(rings), tuple(read_approvals(site.share)))


def _members(share: Share, words: list[str], where: str) -> list[str]:
    out = []
    for word in words:
        if word.startswith("@"):
            path = (share.root / word[1:]).resolve()
            if share.root.resolve() not in path.parents or not path.is_file():
                raise UsageError(f"{where}: {word}: no such file of machine names below the share")
            out += [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        elif "*" in word or "?" in word or machine_name_problem(word) is None:
            out.append(word)
        else:
            raise UsageError(f"{where}: {word}: {machine_name_problem(word)}")
    return out


def approve(site: Site, ids: list[str], ring: str = ALL, note: str = "") -> list[Approved]:
    """Approve each ID (bulletin, Q/KB number, SP) of the current catalog for RING; returns what was added."""
    ring = _ring(site, ring)
    with site.share.lock():
        kept = read_approvals(site.share)
        added = [Approved(approval_id(i), ring, tuple(_packages(site, i)), getpass.getuser(),
                          dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), site.current_version(),
                          note) for i in ids]
        _write(site.share, kept + added)
        for a in added:
            site.share.audit(f"approved {a.id} for ring {a.ring} (catalog {a.catalog}; packages "
                             f"{', '.join(a.packages) or '-'}){': ' + note if note else ''}")
    return added


def unapprove(site: Site, ids: list[str], ring: str | None = None) -> list[Approved]:
    """Withdraw the approvals of each ID (for RING only, when given); returns what was removed."""
    wanted = {approval_id(i) for i in ids}
    with site.share.lock():
        kept = read_approvals(site.share)
        gone = [a for a in kept if a.id in wanted and (ring is None or a.ring == ring.casefold())]
        if not gone:
            raise UsageError(f"no approval of {', '.join(sorted(wanted))}{f' for ring {ring}' if ring else ''}")
        _write(site.share, [a for a in kept if a not in gone])
        for a in gone:
            site.share.audit(f"unapproved {a.id} for ring {a.ring}")
    return gone


def _ring(site: Site, ring: str) -> str:
    known = [ALL] + [e.key.strip().casefold() for e in site.config.section("rings")]
    if ring.casefold() not in known:
        raise UsageError(f"--ring {ring}: site.ini [rings] names {', '.join(known)}")
    return ring.casefold()


def _packages(site: Site, text: str) -> list[str]:
    """The package names the current catalog gives the ID (a bulletin, a Q/KB number, SP)."""
    wanted = approval_id(text)
    if wanted == "SP":
        return sorted(set(site.scripts.service_packs.values()))
    found = sorted({p.name.strip() for p in site.catalog.patches()
                    if wanted in (approval_id(p.bulletin_id), approval_id(p.sq_number or ""))})
    if not found:
        raise UsageError(f"{text}: no bulletin or Q/KB number of that name in catalog {site.current_version()}")
    return found


def approvals_text(site: Site) -> list[str]:
    """What `approve --list` prints: the mode, the rings, each approval."""
    g = gate(site)
    lines = [f"approval mode: {g.mode}" + (" (every applicable patch is approved for every ring)"
                                            if g.mode == "auto" else "")]
    lines += [f"ring {ring}: {', '.join(members)}" for ring, members in g.rings] + [f"ring {ALL}: every other machine"]
    lines += [f"{a.id} for ring {a.ring}: {a.by} {a.at} (catalog {a.catalog}; {', '.join(a.packages) or '-'})"
              + (f" - {a.note}" if a.note else "") for a in g.approved] or ["no approvals yet"]
    return lines
