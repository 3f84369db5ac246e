"""`hfstage site keygen`, `hfstage export` (a site's signed bundle) and the `central` commands."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hfstage import __version__
from hfstage.assess import KIND_PATCH
from hfstage.central import (
    CentralReport,
    ImportOutcome,
    central_init,
    central_report,
    import_bundle,
    key_fingerprint,
    load_private_key,
    new_site_key,
    write_bundle,
)
from hfstage.errors import UsageError, os_fault
from hfstage.history import FULL
from hfstage.inventory import ACCEPTED, evidence_seen
from hfstage.pipeline.reporting import month_plan
from hfstage.pipeline.site import Site
from hfstage.scripts import collect_results
from hfstage.share import PRIVATE, PUBLIC, SITE_KEY, atomic_write_bytes

PUBLIC_KEY_NAME = "site-key.pub.pem"


def _site_identity(site: Site) -> tuple[str, str]:
    site_id, name = site.config.get("site", "id"), site.config.get("site", "name")
    if not site_id:
        raise UsageError(f"{site.share.site_ini}: [site] id is not set: name this site (e.g. id = berlin) so the "
                         "central office can tell its bundles apart")
    return site_id, name or site_id


def site_keygen(site: Site, force: bool = False) -> tuple[Path, Path, str]:
    """A new Ed25519 site key: the private half stays in state\\ (0640), the public half goes to the
    central office's trust\\ folder as <site id>.pem."""
    site_id, _ = _site_identity(site)
    private_path = site.share.state_file(SITE_KEY)
    public_path = site.share.folder("reports") / PUBLIC_KEY_NAME
    if private_path.exists() and not force:
        raise UsageError(f"{private_path}: this site already has a key (the central office pins it); use --force "
                         "only to replace it, and hand the new public key to the central office")
    private, public = new_site_key()
    with site.share.lock():
        atomic_write_bytes(private_path, private, PRIVATE)
        atomic_write_bytes(public_path, public, PUBLIC)
    return private_path, public_path, key_fingerprint(load_private_key(private_path).public_key())


def export_bundle(site: Site, path: Path, month: str | None = None) -> tuple[Path, dict]:
    """The site's bundle for the latest full scan, signed with the site key, written atomically to PATH."""
    site_id, name = _site_identity(site)
    now = dt.datetime.now(dt.timezone.utc)
    if month is not None and month > now.strftime("%Y-%m"):
        raise UsageError(f"--month {month}: that month has not begun by this server's clock ({now:%Y-%m-%d}); the "
                         "central office would refuse the bundle")
    key = load_private_key(site.share.state_file(SITE_KEY))
    latest = site.history.latest_scan(FULL)
    if latest is None:
        raise UsageError(f"{site.share.state}: no full scan recorded yet; run `hfstage month` first")
    rows = [r for r in site.history.machines(latest.id) if r.standing == ACCEPTED]  # pending ones are not the site's
    counted = {r.machine for r in rows}
    reported = _last_reported(site)
    machines = [{"machine": r.machine, "os": r.os, "service_pack": r.service_pack, "role": r.role,
                 "status": r.status, "status_detail": r.status_detail, "applicable": r.applicable,
                 "installed": r.installed, "missing": r.missing, "last_reported": reported.get(r.machine),
                 "evidence": r.binding} for r in rows]
    findings = [{"machine": f.machine, "bulletin": f.bulletin, "patch": f.patch, "severity": f.severity,
                 "kind": f.kind, "title": f.title} for f in site.history.findings(latest.id, "missing")
                if f.kind == KIND_PATCH and f.machine in counted]
    plan = month_plan(site)
    approved = {(d.bulletin, d.patch.strip()): d.approval for d in plan.deploy}  # who let the scripts run it
    plan_items = [{"order": i.order, "bulletin": i.bulletin, "title": i.title, "patch": i.patch,
                   "severity": i.severity, "applies": i.applies, "machines": len(i.machines), "owner": "",
                   "approver": approved.get((i.bulletin, i.patch.strip()), "")} for i in plan.items]
    results, _ = collect_results(site.share, site.config.get("limits", "results_bytes"), site.accounts)
    client = [{"machine": m.machine, "installed": sum(p.ok for p in m.patches),
               "failed": sum(p.failures for p in m.patches), "gave_up": sum(p.gave_up for p in m.patches),
               "blocked": m.blocked, "reboot_required": m.reboot_required is not None,
               "last_when": max((p.last_when for p in m.patches), default="")} for m in results
              if m.machine.casefold() in {c.casefold() for c in counted}]
    manifest = {"site_id": site_id, "site_name": name, "month": month or latest.started_at[:7],
                "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "catalog_version": latest.catalog_version, "hfstage_version": __version__,
                "scan_started_at": latest.started_at}
    data = write_bundle(path, manifest, {"machines.json": machines, "findings.json": findings,
                                         "plan.json": plan_items, "results.json": client}, key)
    try:
        atomic_write_bytes(path, data, PUBLIC)
    except OSError as e:
        raise os_fault(path, e, "write") from e
    return path, {"machines": len(machines), "missing": len(findings), "bytes": len(data), **manifest}


def _last_reported(site: Site) -> dict[str, str]:
    """When this server first saw each machine's current evidence, by its own clock: a client sets its
    files' times as it likes (a far-future one would fake "last reported"), the server's clock it cannot."""
    return evidence_seen(site.share)


def central_create(folder: Path) -> list[str]:
    return central_init(Path(folder))


def central_import(folder: Path, bundle: Path, renamed: bool = False) -> ImportOutcome:
    return import_bundle(Path(folder), Path(bundle), renamed=renamed)


def central_make_report(folder: Path) -> CentralReport:
    return central_report(Path(folder))

