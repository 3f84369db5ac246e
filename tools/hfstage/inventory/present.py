"""Text views of machine facts and PE versions for the CLI."""

from __future__ import annotations

from hfstage.inventory.facts import MachineFacts, service_pack_text


def _product(p, catalog_version: str | None) -> str:
    sp = service_pack_text(p.service_pack_label, " ")
    instance = f" (instance {p.instance})" if p.instance else ""
    if p.product_id is not None:
        ids = f" [ProductID {p.product_id}, ServicePackID {p.service_pack_id}]"
    else:  # a product the catalog does not know is not covered itself; the machine still is
        ids = f" [not in catalog {catalog_version}: not covered]" if catalog_version else ""
    return f"{p.name}{instance}{sp}{ids}"


def facts_text(f: MachineFacts, verbose: bool = False) -> str:
    lines = [f"Machine {f.machine}" + (f" (computer name {f.computer_name})" if f.computer_name else "")]
    if f.error:
        lines.append(f"  ERROR: {f.error}")
    if f.os:
        lines.append(f"  OS:        {_product(f.os, f.catalog_version)}, version {f.version} build {f.build or '?'}"
                     + (f", {f.csd_version}" if f.csd_version else "")
                     + (f"  <- {f.os.evidence}" if verbose and f.os.evidence else ""))
    if f.product_type:
        lines.append(f"  type:      {f.product_type}" + (f" ({', '.join(f.product_suite)})" if f.product_suite else ""))
    if f.system_root:
        extra = f"; %ProgramFiles%: {f.program_files}" if f.program_files else ""
        lines.append(f"  %windir%:  {f.system_root}{extra}")
    for app in f.applications:
        lines.append(f"  product:   {_product(app, f.catalog_version)}" + (f"  <- {app.evidence}" if verbose else ""))
    if f.hotfixes:
        lines.append(f"  hotfixes:  {', '.join(sorted({h.id for h in f.hotfixes}, key=str.upper))}")
    for ff in f.files:
        state = ff.file_version or ff.problem or "?"
        if ff.found and ff.problem and ff.file_version:
            state += f" ({ff.problem})"
        lines.append(f"  file:      {ff.path}  {state}")
    if verbose:
        lines += [f"  evidence:  {k}: {v}" for k, v in sorted(f.evidence.items())]
    lines += [f"  missing:   {m}" for m in f.missing]
    lines += [f"  warning:   {w}" for w in f.warnings]
    return "\n".join(lines)
