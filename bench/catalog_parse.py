"""Benchmark: parse + resolve the real 2001 catalog (target: median <= 150 ms).

Prints the median of 20 runs and its ratio to a bare defusedxml parse of the same file
measured in the same run (the floor any parser on this XML library pays).
Usage: python bench/catalog_parse.py [PATH-TO-mssecure.xml]
"""

from __future__ import annotations

import sys
from pathlib import Path

from defusedxml.ElementTree import fromstring
from timing import median

from hfstage.catalog import parse_catalog

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "mssecure_2001.xml"


def main() -> int:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not path.is_file():
        print(f"skipped: {path} not found (../shared/fixtures is not beside the project)")
        return 0
    data = path.read_bytes()
    ours = median(lambda: parse_catalog(data, str(path)), 20) * 1000
    floor = median(lambda: fromstring(data, forbid_dtd=True), 20) * 1000
    print(f"catalog parse+resolve ({len(data) / 1e6:.2f} MB): median {ours:.1f} ms over 20 runs (target 150 ms)")
    print(f"bare defusedxml parse of the same file:    median {floor:.1f} ms")
    print(f"ratio parse+resolve / bare parse: {ours / floor:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
