"""Benchmark: extract a ~100 MB MSZIP cabinet, against cabextract in the same run
(target, issue 20 section 6: hfstage within 1.5x of cabextract), and Quantum's speed.

The MSZIP cabinet is built with gcab from 100 MB of text-like data (compressible, not zeros).
Wall time is what an admin waits; CPU time (this process, or cabextract's rusage) is printed
beside it because on a shared 2-core machine the wall-clock ratio moves with the load.
The Quantum cabinet (tests/data/cabwriter.py's encoder, 1 MiB) shows the pure-Python
decoder's throughput, which only old cabinets need.
Usage: python bench/cab_extract.py [SIZE_MB]
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hfstage.cab import extract_cabinet

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "data"))
from cabwriter import write_cab  # noqa: E402

RUNS = 3


def _make_data(path: Path, size: int) -> None:
    rng = random.Random(2001)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            line = b" ".join(rng.choice(words) for _ in range(12)) + b"\r\n" + rng.randbytes(16)
            fh.write(line)
            written += len(line)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _best(fn, cpu) -> tuple[float, float]:
    """Best wall and best CPU seconds of RUNS calls of FN; CPU is read with the CPU clock."""
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, used = time.perf_counter(), cpu()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(cpu() - used)
    return min(walls), min(cpus)


def _compare(cab: Path, tmp: Path) -> tuple[tuple[float, float], tuple[float, float], bool]:
    def ours():
        shutil.rmtree(tmp / "ours", ignore_errors=True)
        extract_cabinet(cab, tmp / "ours")

    def theirs():
        shutil.rmtree(tmp / "theirs", ignore_errors=True)
        subprocess.run(["cabextract", "-q", "-d", str(tmp / "theirs"), str(cab)], check=True)

    mine, ref = _best(ours, time.process_time), _best(theirs, _children_cpu)
    same = all((tmp / "ours" / p.name).read_bytes() == p.read_bytes() for p in (tmp / "theirs").iterdir())
    return mine, ref, same


def main() -> int:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    for tool in ("gcab", "cabextract"):
        if shutil.which(tool) is None:
            print(f"skipped: {tool} not installed")
            return 0
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        _make_data(tmp / "payload.bin", size_mb * 1024 * 1024)
        subprocess.run(["gcab", "-c", "-z", "big.cab", "payload.bin"], cwd=tmp, check=True)
        (wall, cpu), (ref_wall, ref_cpu), same = _compare(tmp / "big.cab", tmp)
        print(f"MSZIP cabinet: {(tmp / 'big.cab').stat().st_size / 1e6:.1f} MB compressed, {size_mb} MiB "
              f"extracted; outputs equal: {same}")
        print(f"hfstage extract: {wall:.2f} s wall, {cpu:.2f} s CPU (best of {RUNS})")
        print(f"cabextract:      {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU (best of {RUNS})")
        print(f"ratio hfstage / cabextract: {wall / ref_wall:.2f}x wall, {cpu / ref_cpu:.2f}x CPU "
              "(target 1.5x or less)")
        data = (tmp / "payload.bin").read_bytes()[:1 << 20]
        write_cab(tmp / "quantum.cab", [("quantum16", [(data, "payload.bin")])])
        (wall, cpu), (ref_wall, ref_cpu), same = _compare(tmp / "quantum.cab", tmp)
        print(f"Quantum cabinet, 1 MiB: hfstage {cpu:.2f} s CPU ({len(data) / cpu / 1e6:.2f} MB/s), "
              f"cabextract {ref_cpu:.3f} s CPU; outputs equal: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
