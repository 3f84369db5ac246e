"""Benchmark: a synthetic site of N machines (default 5,000) through `hfstage month`.

Machines are copies of template machines whose hives were written by hivex (the
project's fixture generator: an empty REGF filled by `hivexregedit --merge`) and of 9x
regedit exports, each renamed by rewriting its ComputerName in place. The mix: NT 4.0
SP6a workstations, Windows 2000 SP2 servers with IIS, 2000 SP3 servers, XP SP1, 98, Me;
5% have a missing or truncated hive; 20% of the NT machines carry file evidence. The
catalog is the real 2001 one from ../shared/fixtures.
Prints per step: wall time, CPU time, seconds in the garbage collector (gc), peak RSS, machines per second,
and the step's budget
(a full month of 5,000 machines in 30 s on 2 cores, scaled to N); then the months real sites
run: one with no change, one with 1% of machines changed, and one with a new catalog and no
inventory change (every Patch Tuesday), each as a ratio of the full month measured in the same
run (the machine may be shared: ratios, not seconds, are what compare). Beside them, before and
after the site, a reference run: the same pure-Python loop every time (timing.reference_loop), so
that seconds taken on two days or two hosts can be set against how fast the host was then.
  python bench/site.py [N]          one site
  python bench/site.py --scaling    N = 500, 1,000, 2,000, 5,000 and the per-machine ratio
  python bench/site.py --short      N = 200 (what CI runs, to show the bench works)
  --keys                            machines as keys mode collects them (exports of the needed keys), not hives
  --dir FOLDER                      build the site in FOLDER (e.g. /dev/shm: without the disk's cost of
                                    creating files, which a month of 5,000 machines does some 25,000 times)
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml"
sys.path.insert(0, str(REPO / "tests" / "data"))
sys.path.insert(0, str(REPO / "bench"))  # timing, when this file is imported by path (month_profile.py)
sys.path.insert(0, str(REPO))

from timing import reference_loop  # noqa: E402

from hfstage.catalog import import_catalog  # noqa: E402
from hfstage.pipeline import Site, month, packages_report  # noqa: E402
from hfstage.share import Share, init_share  # noqa: E402

DATA = REPO / "tests" / "data"
PLACEHOLDER = "ZZZZZZZZ"  # 8 characters, like every machine name below (PC000123)
TEMPLATES = [  # (hive sources or None, committed fixture folder, its name, share of the site)
    (DATA / "scan-src" / "SCAN-NT4", DATA / "scan-inventory" / "SCAN-NT4", "SCAN-NT4", 0.30),
    (DATA / "scan-src" / "SCAN-W2K", DATA / "scan-inventory" / "SCAN-W2K", "SCAN-W2K", 0.20),
    (DATA / "machines-src" / "DC01", DATA / "inventory" / "DC01", "DC01", 0.10),
    (DATA / "machines-src" / "XPSP1", DATA / "inventory" / "XPSP1", "XPSP1", 0.20),
    (None, DATA / "inventory" / "W98", "W98", 0.15),
    (None, DATA / "inventory" / "WME", "WME", 0.05),
]


def _template(src: Path | None, fixture: Path, name: str, work: Path) -> dict[Path, bytes]:
    """Relative path -> bytes of one template machine, its name replaced by PLACEHOLDER.

    Hives are rebuilt by hivex from their .reg sources so the name has the placeholder's
    length and can be rewritten in place; exports and files come from the fixtures.
    """
    from make_machines import build_hive

    out = {p.relative_to(fixture): p.read_bytes() for p in fixture.rglob("*") if p.is_file()}
    for rel in list(out):
        if rel.suffix.lower() == ".reg":
            for codec in ("cp1252", "utf-16-le"):  # REGEDIT4 text, or regedit 5's UTF-16 (Windows Me)
                out[rel] = out[rel].replace(f'"{name}"'.encode(codec), f'"{PLACEHOLDER}"'.encode(codec))
    if src is not None:
        for hive in ("SOFTWARE", "SYSTEM"):
            text = (src / f"{hive}.reg").read_text().replace(f'"{name}"', f'"{PLACEHOLDER}"')
            (work / f"{name}-{hive}.reg").write_text(text)
            build_hive(work / f"{name}-{hive}.reg", work / f"{name}-{hive}", hive)
            out[Path(hive)] = (work / f"{name}-{hive}").read_bytes()
    return out


def _rename(data: bytes, new: str) -> bytes:
    """The machine's own name, in a hive (UTF-16LE cell, same length) or an export (text, or hivexregedit's
    hex(1) of UTF-16LE)."""
    def hexed(name: str) -> bytes:
        return ",".join(f"{b:02x}" for b in name.encode("utf-16-le")).encode()

    return data.replace(PLACEHOLDER.encode("utf-16-le"), new.encode("utf-16-le")).replace(
        PLACEHOLDER.encode(), new.encode()).replace(hexed(PLACEHOLDER), hexed(new))


def _as_keys(template: dict[Path, bytes], work: Path, name: str, catalog) -> dict[Path, bytes]:
    """A template machine with hives as keys mode collects it: the needed keys exported from its hives (by
    hivexregedit, as tests/keyexport.py does), the manifest listing them, its files kept."""
    if Path("SOFTWARE") not in template:
        return template
    from tests.keyexport import collect_keys

    from hfstage.inventory import load_rules

    hives, keys = work / f"{name}-hives", work / f"{name}-keys"
    for rel, data in template.items():
        (hives / rel).parent.mkdir(parents=True, exist_ok=True)
        (hives / rel).write_bytes(data)
    collect_keys(hives, keys, load_rules(), catalog)
    return {p.relative_to(keys): p.read_bytes() for p in keys.rglob("*") if p.is_file()}


PLANTED: dict[str, set[str]] = {"truncated": set(), "missing": set()}
TEMPLATES_BUILT: list[dict[Path, bytes]] = []  # the site's template machines, for the month where some change


def build_site(root: Path, n: int, seed: int = 2001, keys: bool = False) -> Share:
    if shutil.which("hivexregedit") is None:
        raise SystemExit("skipped: hivexregedit not installed (Debian package libwin-hivex-perl)")
    init_share(root)
    (root / "site.ini").write_text("[share]\nunc = \\\\DC1\\hfstage\n", encoding="utf-8")
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as work:
        templates = [_template(src, fixture, name, Path(work)) for src, fixture, name, _ in TEMPLATES]
        if keys:
            from hfstage.catalog import parse_catalog_file
            catalog = parse_catalog_file(CATALOG)
            templates = [_as_keys(t, Path(work), name, catalog) for t, (_, _, name, _)
                         in zip(templates, TEMPLATES, strict=True)]
    TEMPLATES_BUILT[:] = templates
    weights = [w for *_, w in TEMPLATES]
    for i in range(n):
        template = rng.choices(templates, weights)[0]
        name = f"PC{i:06d}"
        folder = root / "inventory" / name
        with_files = rng.random() < 0.2
        for rel, data in template.items():
            if rel.parts[0] == "files" and not with_files:
                continue  # file evidence for a subset only
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data if rel.parts[0] == "files" else _rename(data, name))
        roll = rng.random()
        hive = folder / "SOFTWARE"
        if roll < 0.025 and hive.exists():
            hive.write_bytes(hive.read_bytes()[:6000])  # truncated
            PLANTED["truncated"].add(name)
        elif roll < 0.05:
            for victim in (hive, *folder.glob("*.reg"), *folder.glob("hf*.txt")):
                victim.unlink(missing_ok=True)  # nothing collected
            PLANTED["missing"].add(name)
    share = Share(root)
    _accept_every_machine(share)
    return share


def _accept_every_machine(share: Share) -> None:
    """What the admin of an established site has done (`hfstage machines accept`): every machine counted and
    scripted. A new folder is pending (DESIGN §8); a benchmark of pending machines would time no scripts."""
    from hfstage.inventory import ACCEPTED, Lifecycle, machine_folders

    lifecycle = Lifecycle.load(share)
    for folder in machine_folders(share)[0]:
        lifecycle.set(folder.name, ACCEPTED, "accepted by the benchmark's administrator", Lifecycle.now())
    lifecycle.save(share)


# Seconds per step for a full month of 5,000 machines on 2 cores (30 s in all; scripts and reports 5 s each).
BUDGET = {"catalog import": 1.0, "catalog diff": 0.5, "inventory": 13.0, "scan": 4.0, "plan": 1.5, "scripts": 5.0,
          "reports": 5.0}


def _report(title: str, result, n: int, budget: bool = False) -> float:
    total_wall = sum(s["wall"] for s in result.steps)
    total_cpu = sum(s["cpu"] for s in result.steps)
    total_gc = sum(s.get("gc", 0.0) for s in result.steps)  # the garbage collector's share (pipeline/collector.py)
    print(f"  {title}")
    for s in result.steps:
        limit = BUDGET[s["step"]] * (1 if s["step"].startswith("catalog") else n / 5000)  # a catalog is one size
        over = " OVER" if budget and s["wall"] > limit else ""
        print(f"    {s['step']:<15} wall {s['wall']:7.2f} s  cpu {s['cpu']:7.2f} s  gc {s.get('gc', 0.0):5.2f} s  "
              f"peak RSS {s['peak_rss_mib']:7.1f} MiB" + (f"  budget {limit:6.2f} s{over}" if budget else ""))
    peak = max(s["peak_rss_mib"] for s in result.steps)
    print(f"    {'total':<15} wall {total_wall:7.2f} s  cpu {total_cpu:7.2f} s  gc {total_gc:5.2f} s  "
          f"peak RSS {peak:7.1f} MiB  {n / total_wall:7.1f} machines/s")
    return total_wall


def _check_bad_inputs(result, n: int) -> None:
    """Every good machine assessed, every planted bad one named."""
    rows = result.scan.rows
    errors = {r.machine for r in rows if r.error}
    blind = {r.machine for r in rows if not r.error and r.os is None}
    good = n - len(PLANTED["truncated"]) - len(PLANTED["missing"])
    assessed = sum(1 for r in rows if not r.error and r.os is not None)
    print(f"    bad inputs planted: {len(PLANTED['truncated'])} truncated hives, {len(PLANTED['missing'])} machines "
          f"with nothing but SYSTEM; reported: {len(errors)} error rows, {len(blind)} machines with no OS known")
    planted = PLANTED["truncated"] | PLANTED["missing"]
    print(f"    every truncated hive an error row naming it: {PLANTED['truncated'] <= errors}; every bad machine "
          f"named (error row or no OS known): {planted == errors | blind}; good machines assessed: "
          f"{assessed} of {good}")


SHAPES = REPO / "tools" / "hfstage" / "data" / "examples" / "hotfixes"  # ~5 KB packages, one per engine shape


def place_packages(share: Share, catalog) -> None:
    """A package for every patch of the catalog, in the shape its kind of package had: Hotfix.exe for NT 4.0
    and early 2000, Update.exe for KB packages, IExpress for 9x and Internet Explorer; every 5th one a program
    that shows no engine (its kind can only be guessed)."""
    shapes = {"hotfix": SHAPES / "Q299444i.exe", "update": SHAPES / "Q326830_W2K_SP4_X86_EN.exe",
              "iexpress": SHAPES / "q316059.exe", "plain": SHAPES / "qchain.exe"}
    for i, patch in enumerate(sorted({p.name.strip() for p in catalog.patches()}, key=str.lower)):
        names = " ".join(catalog.products[a.product_id].name for p in catalog.patches() if p.name.strip() == patch
                         for a in p.affected if a.product_id in catalog.products)
        shape = ("plain" if i % 5 == 0 else "update" if "-KB" in patch.upper() else
                 "iexpress" if any(w in names for w in ("Windows 9", "Windows Me", "Internet Explorer")) else "hotfix")
        target = share.folder("hotfixes") / patch
        if not target.exists():
            shutil.copyfile(shapes[shape], target)
    shutil.copyfile(shapes["plain"], share.folder("hotfixes") / "qchain.exe")


def _change_some(share: Share, n: int) -> None:
    """1% of the machines collected again as other machines: each gets another template's collection under
    its own name (new bytes, new facts, new assessment, script and page), as a reinstalled or upgraded machine
    would; new times alone are no change (the inventory knows a collection written again by its content)."""
    rng = random.Random(7)
    folders = sorted(p for p in (share.root / "inventory").iterdir() if p.is_dir() and not p.name.startswith("_"))
    for folder in rng.sample(folders, max(1, n // 100)):
        shutil.rmtree(folder / "files", ignore_errors=True)
        for f in folder.iterdir():
            if f.is_file():
                f.unlink()
        for rel, data in rng.choice(TEMPLATES_BUILT).items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(data if rel.parts[0] == "files" else _rename(data, folder.name))


def _rewrite_every_collection(share: Share) -> None:
    """Every machine collected again with the same facts: each file its collector writes is written anew with the
    same bytes (keys mode: regedit /e text has no times); copies of unchanged files are not (they are copied
    only when their dir line changes)."""
    later = time.time() + 60
    for folder in (share.root / "inventory").iterdir():
        if folder.is_dir() and not folder.name.startswith("_"):
            for f in folder.iterdir():
                if f.is_file():
                    os.utime(f, (later, later))


def run_site(n: int, where: str | None = None, keys: bool = False) -> float:
    before = reference_loop()
    print(f"reference loop before the site: {before:.2f} s")
    try:
        return _run_site(n, where, keys, before)
    finally:
        after = reference_loop()
        print(f"reference loop after the site: {after:.2f} s (a host that runs it in more seconds runs the month "
              "in more too)")


def _run_site(n: int, where: str | None, keys: bool, reference: float) -> float:
    with tempfile.TemporaryDirectory(prefix="hfstage-site-", dir=where) as tmp:
        start = time.perf_counter()
        PLANTED["truncated"].clear()
        PLANTED["missing"].clear()
        share = build_site(Path(tmp) / "share", n, keys=keys)
        catalog = import_catalog(share, xml=CATALOG, allow_unsigned=True).catalog
        place_packages(share, catalog)
        print(f"N = {n} ({'keys' if keys else 'hives'} mode collections): site built in "
              f"{time.perf_counter() - start:.1f} s")
        quiet = lambda line: None  # noqa: E731
        full = month(Site(share), say=quiet)
        first = _report("full month", full, n, budget=True)
        print(f"    full month / reference loop = {first / reference:.1f}")
        _check_bad_inputs(full, n)
        counts = packages_report(Site(share)).counts
        print(f"    packages the scripts need: {counts['needed']}, on the share {counts['found']}: "
              f"{counts['detected']} detected from the package itself, {counts['confirmed']} confirmed, "
              f"{counts['guessed']} guessed (held back), {counts['scripted']} scripted")
        # A site's next month runs in a process of its own, with nothing of this one alive: the full month's
        # result (5,000 assessments and facts) and the bench's own parse of the catalog, kept here, would be walked
        # by each later month's first collection (pipeline/collector.py), a cost no site pays (at 1,000 machines
        # 0.05 s of gc in the no-change month's catalog import step with the result kept, 0.02 s without).
        del full, catalog
        same = _report("month with no change", month(Site(share), say=quiet), n)
        _change_some(share, n)
        some = _report("month with 1% of machines changed", month(Site(share), say=quiet), n)
        _rewrite_every_collection(share)
        again = _report("month with every collection written again, the same facts",
                        month(Site(share), say=quiet), n)
        print(f"  every-collection-rewritten month / full month = {again / first:.2f} (target 0.3)")
        start = time.perf_counter()
        import_catalog(share, xml=new_catalog(Path(tmp)), allow_unsigned=True)
        print(f"  a new catalog imported in {time.perf_counter() - start:.2f} s")
        fresh = _report("month with a new catalog and no inventory change", month(Site(share), say=quiet), n)
        print(f"  no-change month / full month = {same / first:.2f} (target 0.08); "
              f"1%-changed month / full month = {some / first:.2f} (target 0.12); "
              f"new-catalog month / full month = {fresh / first:.2f} (target 0.35)")
        return first


def new_catalog(folder: Path) -> Path:
    """Next month's catalog: the real one with a later DataVersion and one new bulletin (a copy of its last one,
    with a new ID and package names), as Patch Tuesday brings."""
    text = CATALOG.read_text(encoding="latin-1")
    text = text.replace('DataVersion="1.0.1.148"', 'DataVersion="1.0.1.149"', 1)
    start = text.rindex("<Bulletin BulletinID=")
    end = text.index("</Bulletin>", start) + len("</Bulletin>")
    block = re.sub(r'BulletinID="[^"]+"', 'BulletinID="MS01-999"', text[start:end], count=1)
    block = re.sub(r'PatchName="([^"]+?)(\.exe)?"', lambda m: f'PatchName="{m.group(1)}-r2.exe"', block,
                   flags=re.IGNORECASE)
    path = folder / "mssecure-next.xml"
    path.write_text(text[:end] + "\n" + block + text[end:], encoding="latin-1")
    return path


def main() -> int:
    if not CATALOG.is_file():
        print(f"skipped: {CATALOG} not found (../shared is not beside the project)")
        return 0
    args = sys.argv[1:]
    where = None
    if "--dir" in args:
        where = args.pop(args.index("--dir") + 1)
        args.remove("--dir")
        print(f"site built in {where}")
    if "--scaling" in args:
        sizes = [500, 1000, 2000, 5000]
        per = {n: run_site(n, where) / n for n in sizes}
        print("scaling: time per machine " + ", ".join(f"N={n}: {per[n] * 1000:.1f} ms" for n in sizes))
        print(f"ratio N={sizes[-1]} / N={sizes[0]}: {per[sizes[-1]] / per[sizes[0]]:.2f} (flat is 1.0; target 1.5)")
        return 0
    keys = "--keys" in args
    if keys:
        args.remove("--keys")
    n = 200 if "--short" in args else int(args[0]) if args else 5000
    run_site(n, where, keys)
    return 0


if __name__ == "__main__":
    sys.exit(main())
