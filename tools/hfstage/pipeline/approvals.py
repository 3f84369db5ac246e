"""`hfstage approve` and `unapprove`: the admin's approvals, kept in the history (state\\history.sqlite: every
approve and unapprove with who ran it, when, the catalog version, the packages the ID names in it, the note;
the current approvals are what those events leave standing) and in state\\audit.log; and the gate the scripts
are made through (site.ini's [approval] mode and [rings], with the approvals).

The history is the one source of truth, so approving is one transaction and a crash cannot leave a current set
that disagrees with the record. state\\approvals.json, where approvals were kept before, is taken into the
history once, by the first approve or unapprove after the upgrade (until then it is read beside the history),
and is not read again."""

from __future__ import annotations

import datetime as dt
import getpass
import json

from hfstage.errors import StateError, UsageError
from hfstage.faults import crash_point
from hfstage.history import (
    APPROVE,
    UNAPPROVE,
    ApprovalEvent,
    approval_events,
    approval_id,
    imported,
    mark_audited,
    record_approvals,
    standing,
    unaudited,
)
from hfstage.pipeline.site import Site
from hfstage.scripts import ALL, Gate
from hfstage.share import APPROVALS, AUDIT, Share, machine_name_problem

_AUDIT_TAIL = 1 << 20  # bytes of audit.log searched for an event's line (an unaudited event is a recent one)


def read_approvals(share: Share) -> list[ApprovalEvent]:
    """The approvals standing on SHARE, oldest first (approvals.json's too while it was not yet taken in)."""
    events = approval_events(share)
    earlier = [] if imported(share) else _legacy(share)
    return standing(earlier + events)


def approval_history(share: Share) -> list[ApprovalEvent]:
    """Every approve and unapprove, oldest first (approvals.json's, not yet taken in, first)."""
    return ([] if imported(share) else _legacy(share)) + approval_events(share)


def _legacy(share: Share) -> list[ApprovalEvent]:
    """approvals.json's approvals as events (a damaged file is an error that names it, never empty)."""
    path = share.state_file(APPROVALS)
    if not path.is_file():
        return []
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["approvals"]
        return [ApprovalEvent(APPROVE, r["id"], r["ring"], tuple(r["packages"]), r["by"], r["at"], r["catalog"],
                              r.get("note", ""), audited=True) for r in rows]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise StateError(f"{path}: damaged ({e}); restore it from a backup, or move it away to approve again") from e


def _settle(share: Share) -> None:
    """Under the lock, before a change: take approvals.json in (once), and write the audit.log line of any event
    a killed run recorded without one."""
    if not imported(share):
        legacy = _legacy(share)
        record_approvals(share, legacy, _now())
        if legacy:
            share.audit(f"took {len(legacy)} approval(s) from {APPROVALS.name} into the history; it is no longer read")
    pending = unaudited(share)
    if pending:
        tail = _audit_tail(share)
        for e in pending:
            if e.tag not in tail:
                share.audit(_audit_text(e))
        mark_audited(share, pending)


def _audit_tail(share: Share) -> str:
    path = share.state_file(AUDIT)
    try:
        with open(path, "rb") as fh:
            fh.seek(max(0, path.stat().st_size - _AUDIT_TAIL))
            return fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def _audit_text(e: ApprovalEvent) -> str:
    if e.action == UNAPPROVE:
        return f"unapproved {e.id} for ring {e.ring} {e.tag}"
    return (f"approved {e.id} for ring {e.ring} (catalog {e.catalog}; packages {', '.join(e.packages) or '-'})"
            f"{': ' + e.note if e.note else ''} {e.tag}")


def _record(share: Share, events: list[ApprovalEvent]) -> None:
    """One transaction in the history, then each event's audit.log line (a crash between: _settle writes it)."""
    recorded = record_approvals(share, events)
    crash_point("approval:recorded")
    for e in recorded:
        share.audit(_audit_text(e))
    mark_audited(share, recorded)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


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


def approve(site: Site, ids: list[str], ring: str = ALL, note: str = "") -> list[ApprovalEvent]:
    """Approve each ID (bulletin, Q/KB number, SP) of the current catalog for RING; returns what was added."""
    ring = _ring(site, ring)
    packages = {i: tuple(_packages(site, i)) for i in ids}
    with site.share.lock():
        _settle(site.share)
        added = [ApprovalEvent(APPROVE, approval_id(i), ring, packages[i], getpass.getuser(), _now(),
                               site.current_version() or "-", note) for i in ids]
        _record(site.share, added)
    return added


def unapprove(site: Site, ids: list[str], ring: str | None = None) -> list[ApprovalEvent]:
    """Withdraw the approvals of each ID (for RING only, when given); returns what was removed."""
    wanted = {approval_id(i) for i in ids}
    with site.share.lock():
        _settle(site.share)
        gone = [a for a in read_approvals(site.share)
                if a.id in wanted and (ring is None or a.ring == ring.casefold())]
        if not gone:
            raise UsageError(f"no approval of {', '.join(sorted(wanted))}{f' for ring {ring}' if ring else ''}")
        pairs = sorted({(a.id, a.ring) for a in gone})
        _record(site.share, [ApprovalEvent(UNAPPROVE, i, r, (), getpass.getuser(), _now(),
                                           site.current_version() or "-") for i, r in pairs])
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
    """What `approve --list` prints: the mode, the rings, each approval standing."""
    g = gate(site)
    lines = [f"approval mode: {g.mode}" + (" (every applicable patch is approved for every ring)"
                                            if g.mode == "auto" else "")]
    lines += [f"ring {ring}: {', '.join(members)}" for ring, members in g.rings] + [f"ring {ALL}: every other machine"]
    lines += [f"{a.id} for ring {a.ring}: {a.by} {a.at} (catalog {a.catalog}; {', '.join(a.packages) or '-'})"
              + (f" - {a.note}" if a.note else "") for a in g.approved] or ["no approvals yet"]
    return lines


def approval_history_text(site: Site) -> list[str]:
    """What `approve --history` prints: every approve and unapprove, oldest first, as the history keeps them."""
    lines = []
    for e in approval_history(site.share):
        what = f"{e.action} {e.id} for ring {e.ring}"
        if e.action == APPROVE:
            what += f" ({', '.join(e.packages) or '-'})"
        lines.append(f"{e.at} {e.by}: {what}; catalog {e.catalog}" + (f" - {e.note}" if e.note else ""))
    return lines or ["no approval recorded yet"]
