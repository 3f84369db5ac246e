#!/usr/bin/env bash
# Machines for tests/test_assess_families.py: the OS families, service pack levels and products
# the genuine 2001 catalog names (98, 98 SE, Me, 95 OSR2 / OSR2.5, NT 4.0 SP5 / SP6 / SP6a,
# NT 4.0 Terminal Server Edition, 2000 with an MSDE named instance, XP with Windows Media Player).
# NT machines: SOFTWARE.reg / SYSTEM.reg merged into empty hives by `hivexregedit --merge`;
# 9x machines: regedit exports (REGEDIT4, cp1252, CRLF); collected files: PE files built by
# mingw-w64 with a VERSIONINFO resource. The sources are families-src/<MACHINE>/.
# Usage: tests/data/make_families.sh    (needs hivexregedit, hivexsh, i686-w64-mingw32-gcc)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"${PYTHON:-python3}" "$here/make_machines.py" "$here/families-src" "$here/families"
