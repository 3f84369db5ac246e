"""Benchmark: extract a ~100 MB MSZIP cabinet, against cabextract in the same run
(target: hfstage within 2.5x of cabextract).

The cabinet is built with gcab from 100 MB of text-like data (compressible, not zeros).
Usage: python bench/cab_extract.py [SIZE_MB]
"""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import best

from hfstage.cab import extract_cabinet


def _make_data(path: Path, size: int) -> None:
    rng = random.Random(2001)
    words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 10))) for _ in range(5000)]
    with open(path, "wb") as fh:
        written = 0
        while written < size:
            line = b" ".join(rng.choice(words) for _ in range(12)) + b"\r\n" + rng.randbytes(16)
            fh.write(line)
            written += len(line)


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
        cab = tmp / "big.cab"

        def ours():
            shutil.rmtree(tmp / "ours", ignore_errors=True)
            extract_cabinet(cab, tmp / "ours")

        def theirs():
            shutil.rmtree(tmp / "theirs", ignore_errors=True)
            subprocess.run(["cabextract", "-q", "-d", str(tmp / "theirs"), str(cab)], check=True)

        t_ours, t_theirs = best(ours, 3), best(theirs, 3)
        same = (tmp / "ours" / "payload.bin").read_bytes() == (tmp / "theirs" / "payload.bin").read_bytes()
        print(f"cabinet: {cab.stat().st_size / 1e6:.1f} MB compressed, {size_mb} MiB extracted; outputs equal: {same}")
        print(f"hfstage extract: {t_ours:.2f} s (best of 3)")
        print(f"cabextract:      {t_theirs:.2f} s (best of 3)")
        print(f"ratio hfstage / cabextract: {t_ours / t_theirs:.2f}x (target 2.5x or less)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
