"""Benchmark: generate logon scripts for 2,000 machines, then regenerate with no changes
(targets: 10 s or less, then 2 s or less).

The scan is recorded from assessments of the scan fixtures (Windows 2000 with IIS and
NT 4.0 SP6a) against the real 2001 catalog, cloned under 2,000 names; every missing
package is present in hotfixes/. The reference measured in the same run is rendering
alone (no lint, no writes) for the same machines. CPU seconds (this process) beside wall: on a shared host
the wall time is noise.
Usage: python bench/scripts_generate.py [N]
"""

from __future__ import annotations

import copy
import shutil
import sys
import tempfile
import time
from pathlib import Path

from hfstage.assess import SitePolicy, assess_all
from hfstage.catalog import import_catalog
from hfstage.history import History, Recorded
from hfstage.inventory import gather_facts, load_rules
from hfstage.packages import load_installers, package_book, package_index
from hfstage.pipeline import Site, scripts_generate
from hfstage.scripts import plan_machine, script_settings
from hfstage.scripts.write import render_machine
from hfstage.share import Share, init_share

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml"
PACKAGES = REPO / "tests" / "data" / "packages"  # package shapes (make_packages.sh)


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not CATALOG.is_file():
        print(f"skipped: {CATALOG} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        share = Share(Path(tmp) / "share")
        init_share(share.root)
        share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
        catalog = import_catalog(share, xml=CATALOG, allow_unsigned=True).catalog
        fixtures = REPO / "tests" / "data" / "scan-inventory"
        facts = [gather_facts(fixtures / m, catalog) for m in ("SCAN-W2K", "SCAN-NT4")]
        templates = assess_all(facts, catalog, SitePolicy())
        assessments = []
        for i in range(n):
            a = copy.deepcopy(templates[i % 2])
            a.machine = f"PC{i:05d}"
            for f in a.findings:
                f.machine = a.machine
            assessments.append(a)
        History(share).record_scan([Recorded(a, None) for a in assessments], catalog.data_version, "bench")
        index = package_index(share, catalog)  # each build in its place (a name of one build: flat)
        for f in (f for a in templates for f in a.findings if f.status == "missing"):
            target = share.folder("hotfixes").joinpath(*index.package(f.bulletin, f.patch).place.split("\\"))
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(PACKAGES / "hotfix.exe", target)
        shutil.copyfile(PACKAGES / "plain.exe", share.folder("hotfixes") / "qchain.exe")

        settings, table, rules = script_settings(share.config()), load_installers(), load_rules()
        packages = package_book(share, settings.kinds, settings.switches, catalog=catalog)
        start, cpu = time.perf_counter(), time.process_time()
        for a in assessments:
            render_machine(plan_machine(a, catalog, settings, packages, table, rules), settings)
        render, render_cpu = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        first = scripts_generate(Site(share))
        t_first, cpu_first = time.perf_counter() - start, time.process_time() - cpu
        start, cpu = time.perf_counter(), time.process_time()
        second = scripts_generate(Site(share))
        t_second, cpu_second = time.perf_counter() - start, time.process_time() - cpu
        assert not first.problems and not second.written, (first.problems[:3], second.written[:3])
        print(f"{n} machines: first generation {t_first:.2f} s, CPU {cpu_first:.2f} s ({len(first.written)} files "
              "written; target 10 s)")
        print(f"second generation, nothing changed: {t_second:.2f} s, CPU {cpu_second:.2f} s ({second.skipped} "
              f"machines not rendered again, {len(second.unchanged)} files compared; target 2 s)")
        print(f"reference: rendering alone {render:.2f} s, CPU {render_cpu:.2f} s; first run / render (CPU) = "
              f"{cpu_first / render_cpu:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
