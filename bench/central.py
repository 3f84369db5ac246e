"""Benchmark: the central office with S sites of N machines (default 50 x 5,000 = 250,000 machines).

Each site's bundle is made by hfstage's own writer (Ed25519-signed, a manifest of SHA-256s)
with a realistic mix: 60% of machines compliant, the others missing 1-6 patches drawn from
40 bulletins, 2% unreadable, 3% without administrator rights. Then: import every bundle
(each timed), the central report over all machines (time, peak RSS), the same report with
nothing new, and the report after one new bundle (only that site's page is rendered).
The reference measured in the same run is reading one bundle's members with zipfile and
json alone (what any import must at least do).
  python bench/central.py [SITES [MACHINES]]     (targets: one import <= 2 s, report <= 60 s, <= 1 GiB)
"""

from __future__ import annotations

import datetime as dt
import json
import random
import resource
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from hfstage.central import central_init, central_report, import_bundle, new_site_key, write_bundle
from hfstage.central.bundle import load_private_key

STATUSES = ("needs patches", "service pack missing", "incomplete inventory", "unverified")
SEVERITIES = ("Critical", "Important", "Moderate", "Low")


def bundle_for(site: int, machines: int, key, month: str, created: dt.datetime, rng: random.Random) -> bytes:
    records, findings, results = [], [], []
    for i in range(machines):
        name = f"S{site:02d}PC{i:05d}"
        roll = rng.random()
        status = "compliant" if roll < 0.60 else "unreadable" if roll < 0.62 else rng.choice(STATUSES)
        missing = 0 if status in ("compliant", "unreadable") else rng.randint(1, 6)
        for _ in range(missing):
            b = rng.randrange(40)
            findings.append({"machine": name, "bulletin": f"MS03-{b:03d}", "patch": f"Q8{b:05d}.exe",
                             "severity": SEVERITIES[b % 4], "kind": "patch", "title": f"Bulletin {b}"})
        records.append({"machine": name, "os": "Windows 2000 Professional", "service_pack": "4", "role": "workstation",
                        "status": status, "status_detail": "", "applicable": 40, "installed": 40 - missing,
                        "missing": missing, "last_reported": "2003-09-14T08:00+00:00"})
        if rng.random() < 0.03:
            results.append({"machine": name, "installed": 0, "failed": 0, "gave_up": 0, "blocked": "no-rights",
                            "reboot_required": False, "last_when": ""})
    manifest = {"site_id": f"site{site:02d}", "site_name": f"Office {site}", "month": month,
                "created_at": created.isoformat(), "catalog_version": f"2.0.0.{site % 3}", "hfstage_version": "bench"}
    plan = [{"order": b, "bulletin": f"MS03-{b:03d}", "title": "", "patch": f"Q8{b:05d}.exe", "severity": "Critical",
             "applies": True, "machines": 10, "owner": "", "approver": ""} for b in range(5)]
    return write_bundle(Path("x"), manifest, {"machines.json": records, "findings.json": findings,
                                             "plan.json": plan, "results.json": results}, key)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    sites = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    machines = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(16)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        central = root / "central"
        central_init(central)
        keys = []
        for s in range(sites):
            private, public = new_site_key()
            (root / f"k{s}.pem").write_bytes(private)
            (central / "trust" / f"site{s:02d}.pem").write_bytes(public)
            keys.append(load_private_key(root / f"k{s}.pem"))
        created = dt.datetime(2003, 9, 15, tzinfo=dt.timezone.utc)
        start = time.perf_counter()
        paths = []
        for s in range(sites):
            path = root / f"site{s:02d}.hfb"
            path.write_bytes(bundle_for(s, machines, keys[s], "2003-09", created, rng))
            paths.append(path)
        made = time.perf_counter() - start
        size = paths[0].stat().st_size
        print(f"{sites} bundles of {machines} machines made in {made:.1f} s ({size / 1024:.0f} KiB each)")

        start = time.perf_counter()
        with zipfile.ZipFile(paths[0]) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    json.loads(zf.read(name))
        reference = time.perf_counter() - start

        imports = []
        for path in paths:
            start = time.perf_counter()
            import_bundle(central, path, now=created + dt.timedelta(days=1))
            imports.append(time.perf_counter() - start)
        worst = max(imports)
        print(f"import: one bundle median {sorted(imports)[len(imports) // 2]:.2f} s, worst {worst:.2f} s "
              f"(target <= 2 s); reference (unzip + json.loads) {reference:.2f} s, ratio {worst / reference:.1f}x")

        start = time.perf_counter()
        report = central_report(central)
        full = time.perf_counter() - start
        print(f"report: {sites * machines} machines, {len(report.sites)} sites in {full:.1f} s (target <= 60 s), "
              f"peak RSS {peak_rss_mib():.0f} MiB (target <= 1024), {report.pages_rendered} site pages rendered")
        start = time.perf_counter()
        again = central_report(central)
        print(f"report again, nothing new: {time.perf_counter() - start:.2f} s, {again.pages_rendered} pages "
              f"rendered, {again.pages_unchanged} unchanged ({(time.perf_counter() - start) / full:.2f} of the full)")
        newer = root / "new.hfb"
        newer.write_bytes(bundle_for(0, machines, keys[0], "2003-09", created + dt.timedelta(hours=1), rng))
        import_bundle(central, newer, now=created + dt.timedelta(days=1))
        start = time.perf_counter()
        one = central_report(central)
        took = time.perf_counter() - start
        print(f"report after one new bundle: {took:.2f} s, {one.pages_rendered} page rendered, "
              f"{one.pages_unchanged} unchanged ({took / full:.2f} of the full)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
