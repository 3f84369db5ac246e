"""Text and JSON views of catalogs, imports and diffs for the CLI."""

from __future__ import annotations

from hfstage.catalog.diff import CatalogDiff, superseding
from hfstage.catalog.model import Bulletin, Catalog


def _date(d) -> str:
    return d.isoformat() if d else "-"


def summary_text(catalog: Catalog) -> str:
    counts = catalog.counts()
    anomalies = counts.pop("anomalies")
    lines = [
        f"Catalog DataVersion {catalog.data_version} (updated {_date(catalog.last_data_update)}, "
        f"schema {catalog.schema_version})",
        "  " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in counts.items()),
    ]
    if anomalies:
        total = sum(anomalies.values())
        lines.append(f"  {total} anomalies worked around: "
                     + ", ".join(f"{n} {kind}" for kind, n in anomalies.items()))
    return "\n".join(lines)


def summary_dict(catalog: Catalog, folder, record: dict, current: bool) -> dict:
    return {"data_version": catalog.data_version, "schema_version": catalog.schema_version,
            "last_data_update": _date(catalog.last_data_update), "folder": str(folder), "current": current,
            "import": record, "counts": catalog.counts(), "anomalies": [a.__dict__ for a in catalog.anomalies]}


def bulletin_dict(catalog: Catalog, b: Bulletin) -> dict:
    return {
        "bulletin": b.id, "title": b.title, "date_posted": _date(b.date_posted),
        "date_revised": _date(b.date_revised), "supported": b.supported, "url": b.url,
        "qnumbers": b.qnumbers, "comments": b.comments,
        "patches": [{
            "name": p.name, "sq_number": p.sq_number, "no_reboot": p.no_reboot, "download": p.url,
            "superseded_by": superseding(catalog, p),
            "severity": catalog.ms_severities.get(p.ms_severity_id) if p.ms_severity_id else None,
            "cve": p.cve_ids, "bugtraq": p.bugtraq_ids, "comments": p.comments,
            "affected": [{
                "product": catalog.products[a.product_id].name if a.product_id in catalog.products
                else f"#{a.product_id}",
                "service_packs": [catalog.service_packs[s].name for s in a.service_pack_ids
                                  if s in catalog.service_packs],
                "fixed_in_sp": catalog.service_packs[a.fixed_in_sp].name
                if a.fixed_in_sp in catalog.service_packs else None,
            } for a in p.affected],
            "files": [f"{fc.location}\\{fc.file_name} {fc.version_text or '?'} [{fc.command}: "
                      f"{catalog.commands.get(fc.command, 'no such command in the catalog')}] checksum "
                      f"{fc.checksum or '-'}"
                      for i in p.file_change_ids for fc in catalog.file_changes.get(i, [])],
            "registry": [f"{rc.key}\\{rc.value_name} = {rc.value}"
                         for i in p.reg_change_ids if (rc := catalog.reg_changes.get(i))],
        } for p in b.patches],
    }


def bulletin_text(catalog: Catalog, b: Bulletin) -> str:
    d = bulletin_dict(catalog, b)
    lines = [f"{b.id}: {b.title}", f"  posted {d['date_posted']}, revised {d['date_revised']}; "
             f"Q: {', '.join(b.qnumbers) or '-'}; {b.url or ''}"]
    for p in d["patches"]:
        lines.append(f"  patch {p['name']} ({p['sq_number'] or 'no Q'}; "
                     f"{'no reboot' if p['no_reboot'] else 'reboot'})")
        for a in p["affected"]:
            lines.append(f"    {a['product']}: {', '.join(a['service_packs']) or 'any SP'}"
                         f"{'; fixed in ' + a['fixed_in_sp'] if a['fixed_in_sp'] else ''}")
        lines += _kinds(p["files"])
        lines += [f"    file {f}" for f in p["files"]] + [f"    reg  {r}" for r in p["registry"]]
        lines += [f"    CVE {', '.join(p['cve'])}"] if p["cve"] else []
        lines += [f"    Bugtraq {', '.join(p['bugtraq'])}"] if p["bugtraq"] else []
        lines += [f"    note: {c}" for c in p["comments"]]
        if p["superseded_by"]:
            lines.append(f"    superseded by {', '.join(p['superseded_by'])}")
    return "\n".join(lines)


def _kinds(files: list[str]) -> list[str]:
    """A line counting the patch's file checks by kind: 168 of MS01-041's 170 are 'only if present'."""
    counts: dict[str, int] = {}
    for f in files:
        kind = f[f.rindex(" [") + 2:f.rindex("]")]
        counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return []
    return ["    file checks: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda c: -c[1]))]


def diff_text(d: CatalogDiff) -> str:
    if d.empty:
        return f"No changes between {d.old_version} and {d.new_version}."
    lines = [f"Changes from {d.old_version} to {d.new_version}:"]
    sections = [
        ("New bulletins", d.new_bulletins),
        ("Revised bulletins", [f"{r['bulletin']} (revised {r['old_revised']} -> {r['new_revised']})"
                               for r in d.revised_bulletins]),
        ("Removed bulletins", d.removed_bulletins),
        ("New patches", [f"{p['bulletin']} {p['patch']}" for p in d.new_patches]),
        ("Removed patches", [f"{p['bulletin']} {p['patch']}" for p in d.removed_patches]),
        ("Re-released patches (detection details changed)",
         [f"{p['bulletin']} {p['patch']}: {', '.join(p['changed'])}" for p in d.changed_patches]),
        ("Supersedence changes", [f"{s['bulletin']} {s['patch']}: {', '.join(s['old_superseded_by']) or 'none'}"
                                  f" -> {', '.join(s['new_superseded_by']) or 'none'}"
                                  for s in d.supersedence_changes]),
    ]
    for title, items in sections:
        if items:
            lines.append(f"  {title} ({len(items)}):")
            lines += [f"    {item}" for item in items]
    return "\n".join(lines)
