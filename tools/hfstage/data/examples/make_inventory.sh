#!/usr/bin/env bash
# The example share's machines are copies of the test machines (tests/data/inventory, built by
# tests/data/make_machines.py with hivex and mingw-w64), plus WEB01: a second Windows 2000 Server
# made from W2KSRV's sources with its own computer name (hives filed under another machine's name
# are refused, so a copy must carry the name of its folder).
# Usage: examples/make_inventory.sh   (needs hivexregedit and gcc-mingw-w64-i686)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../../../../tests/data
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in BADREG BADTRUNC DC01 NORES NT4WKS W2KSRV W95 W98 WME XPSP1; do
  rm -rf "${here:?}/inventory/$m" && cp -a "$data/inventory/$m" "$here/inventory/$m"
done
rm -rf "${here:?}/inventory/W98SE" && cp -a "$data/inventory/W98SE-ANSI" "$here/inventory/W98SE"
mkdir -p "$work/src"
cp -a "$data/machines-src/W2KSRV" "$work/src/WEB01"
sed -i 's/"W2KSRV"/"WEB01"/' "$work/src/WEB01/SYSTEM.reg"
python3 "$data/make_machines.py" "$work/src" "$work/out"
rm -rf "${here:?}/inventory/WEB01" && cp -a "$work/out/WEB01" "$here/inventory/WEB01"
