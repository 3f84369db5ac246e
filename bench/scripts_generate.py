"""Benchmark: generate logon scripts for 2,000 machines, then regenerate with no changes
(targets: 10 s or less, then 2 s or less).

The scan is recorded from assessments of the scan fixtures (Windows 2000 with IIS and
NT 4.0 SP6a) against the real 2001 catalog, cloned under 2,000 names; every missing
package is present in hotfixes/. The reference measured in the same run is rendering
alone (no lint, no writes) for the same machines.
Usage: python bench/scripts_generate.py [N]
"""

from __future__ import annotations

import copy
import sys
import tempfile
import time
from pathlib import Path

from hfstage.assess.engine import assess_all
from hfstage.assess.policy import SitePolicy
from hfstage.catalog.importer import import_catalog
from hfstage.inventory.gather import gather_facts
from hfstage.report.history import record_scan
from hfstage.scripts.generate import generate_scripts, render_scripts
from hfstage.share import Share, init_share

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO.parent / "shared" / "fixtures" / "mssecure_2001.xml"


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    if not CATALOG.is_file():
        print(f"skipped: {CATALOG} not found")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        share = Share(Path(tmp) / "share")
        init_share(share.root)
        result = import_catalog(share, xml=CATALOG, allow_unsigned=True)
        catalog = result.catalog
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
        record_scan(share, assessments, catalog.data_version, "bench")
        for f in (f for a in templates for f in a.findings if f.status == "missing"):
            (share.folder("hotfixes") / f.patch).write_bytes(b"MZ")
        (share.folder("hotfixes") / "qchain.exe").write_bytes(b"MZ")

        start = time.perf_counter()
        render_scripts(share)
        render = time.perf_counter() - start
        start = time.perf_counter()
        first = generate_scripts(share)
        t_first = time.perf_counter() - start
        start = time.perf_counter()
        second = generate_scripts(share)
        t_second = time.perf_counter() - start
        assert not first.problems and not second.written, (first.problems[:3], second.written[:3])
        print(f"{n} machines: first generation {t_first:.2f} s ({len(first.written)} files written; target 10 s)")
        print(f"second generation, nothing changed: {t_second:.2f} s ({len(second.unchanged)} files unchanged; "
              "target 2 s)")
        print(f"reference: rendering alone {render:.2f} s; first run / render = {t_first / render:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
