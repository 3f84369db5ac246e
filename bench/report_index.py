"""Benchmark: the site report of a 5,000-machine site in Chromium (issue 25.2).

Builds the synthetic site of bench/site.py (N machines, default 5,000, the real 2001 catalog), writes
clients' results for 2% of the machines (a failed install, a script without rights, a restart owed),
runs `hfstage month`, runs it again with nothing changed, then marks 1% of the machines stale and runs it
again. Prints the sizes of index.html, machines.js and the list pages, and, in headless Chromium
(chromium-driver, selenium), the time from navigation to the load event and to report.js having every
machine in its table, the time to sort the machine table by status and to filter it by a name.
Numbers only: nothing here asserts a time.
  python bench/report_index.py [N]
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("bench_site", BENCH / "site.py")  # not the stdlib's `site`
bench_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_site)

from hfstage.catalog import import_catalog  # noqa: E402
from hfstage.pipeline import Site, month  # noqa: E402

LOADS = 5


def _results(share, n: int) -> None:
    """2% of the machines report: every 3rd a failed install, every 3rd no rights, every 3rd a restart owed."""
    lines = ["HFRESULT;2001-10-02;08:00;MS01-041;Q299444;Q299444i.exe;1603;failed",
             "USERNAME=user\r\nHFRESULT;2001-10-02;08:00;-;logon;-;-;no-rights",
             "HFRESULT;2001-10-02;08:00;-;-;-;-;reboot-required"]
    machines = sorted(p.name for p in share.folder("inventory").iterdir() if p.is_dir() and p.name[0] != "_")
    for i, machine in enumerate(machines[::50]):
        (share.folder("results") / f"{machine}.log").write_text(lines[i % 3] + "\r\n")


def _stale(share, every: int = 100) -> None:
    path = share.state / "facts" / "seen.json"
    seen = json.loads(path.read_text())
    old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=30)).isoformat(timespec="minutes")
    for machine in sorted(seen)[::every]:
        seen[machine][1] = old
    path.write_text(json.dumps(seen))


def _sizes(reports: Path) -> None:
    kib = lambda p: p.stat().st_size / 1024  # noqa: E731
    lists = list((reports / "lists").glob("*.html"))
    machines = list((reports / "machines").glob("*.html"))
    print(f"  index.html {kib(reports / 'index.html'):8.1f} KiB   (limit 1.5 MiB = 1536 KiB)")
    print(f"  machines.js {kib(reports / 'machines.js'):7.1f} KiB   report.js {kib(reports / 'report.js'):5.1f} KiB")
    print(f"  list pages: {len(lists)} files, {sum(kib(p) for p in lists):8.1f} KiB in all, largest "
          f"{max(kib(p) for p in lists):7.1f} KiB; machine pages: {len(machines)}, "
          f"{sum(kib(p) for p in machines) / 1024:6.1f} MiB in all")


def _browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1280,1000",
                 f"--user-data-dir={tempfile.mkdtemp(prefix='hfstage-bench-profile-')}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


_TIMES = """
var t = performance.getEntriesByType('navigation')[0];
return [t.domContentLoadedEventEnd, t.loadEventEnd,
        document.querySelectorAll('#machine-table tbody tr').length,
        (window.HFSTAGE_MACHINES || {rows: []}).rows.length];
"""
_SORT = """
var b = document.querySelector('#machine-table thead th:nth-child(3) button');
var t0 = performance.now(); b.click(); var t1 = performance.now();
var input = document.querySelector('input[type=search]');
input.value = arguments[0]; input.dispatchEvent(new Event('input'));
var t2 = performance.now();
return [t1 - t0, t2 - t1, document.querySelectorAll('#machine-table tbody tr').length];
"""


def _chromium(index: Path, name: str) -> None:
    if shutil.which("chromium") is None or shutil.which("chromedriver") is None:
        print("  (chromium or chromium-driver not installed: no browser numbers)")
        return
    driver = _browser()
    try:
        loads, sorts, filters = [], [], []
        for _ in range(LOADS):
            driver.get(index.as_uri())
            ready, loaded, rows, machines = driver.execute_script(_TIMES)
            loads.append((ready, loaded))
            sort_ms, filter_ms, matched = driver.execute_script(_SORT, name)
            sorts.append(sort_ms)
            filters.append(filter_ms)
        ready, loaded = statistics.median(x[0] for x in loads), statistics.median(x[1] for x in loads)
        print(f"  Chromium, median of {LOADS} loads from file://: DOM ready {ready:6.0f} ms, load event {loaded:6.0f} "
              f"ms (target: under 1,000 ms); table {rows} rows on its page, {machines} machines in machines.js")
        print(f"  sort by status {statistics.median(sorts):6.1f} ms, filter by '{name}' "
              f"{statistics.median(filters):6.1f} ms ({matched} row(s) left)")
    finally:
        driver.quit()


def run(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="hfstage-report-") as tmp:
        share = bench_site.build_site(Path(tmp) / "share", n)
        catalog = import_catalog(share, xml=bench_site.CATALOG, allow_unsigned=True).catalog
        bench_site.place_packages(share, catalog)
        _results(share, n)
        quiet = lambda line: None  # noqa: E731
        start = time.perf_counter()
        full = month(Site(share), say=quiet)
        print(f"N = {n}: full month {time.perf_counter() - start:.1f} s; reports step "
              f"{full.steps[-1]['wall']:.1f} s; needs you: " + ", ".join(f"{a.kind} {len(a.machines)}"
                                                                       for a in full.needs if a.machines))
        start = time.perf_counter()
        same = month(Site(share), say=quiet)
        print(f"  month again, nothing changed: {time.perf_counter() - start:.1f} s; reports step "
              f"{same.steps[-1]['wall']:.2f} s")
        _stale(share)
        start = time.perf_counter()
        again = month(Site(share), say=quiet)
        print(f"  month again with 1% of machines stale: {time.perf_counter() - start:.1f} s; reports step "
              f"{again.steps[-1]['wall']:.1f} s")
        reports = share.folder("reports")
        _sizes(reports)
        _chromium(reports / "index.html", sorted((reports / "machines").glob("*.html"))[n // 2].stem)


def main() -> int:
    if not bench_site.CATALOG.is_file():
        print(f"skipped: {bench_site.CATALOG} not found (../shared is not beside the project)")
        return 0
    run(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
