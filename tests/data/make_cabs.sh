#!/usr/bin/env bash
# Build the test cabinets in tests/data/cabs from examples/catalog/month1.xml with
# independent tools: gcab (MSZIP), cabarchive (hostile member names), tests/data/cabwriter.py
# (several folders, LZX, a reserve area without a signature), osslsigncode (signatures,
# with the test PKI from make_pki.sh and a local RFC 3161 timestamp). Every cabinet is
# checked with cabextract, a reader hfstage does not use.
# Usage: tests/data/make_cabs.sh      (needs gcab, osslsigncode, cabextract, python3 with cabarchive)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-python3}
pki=$here/pki
out=$here/cabs
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/tools/hfstage/data/examples/catalog/month1.xml" "$work/mssecure.xml"
touch -d '2003-08-01 12:00:00' "$work/mssecure.xml"
(cd "$work" && gcab -c -z unsigned.cab mssecure.xml)
cp "$work/unsigned.cab" "$out/unsigned.cab"

sign() { # sign IN OUT CERTS KEY HASH [extra osslsigncode args]
  local in=$1 outf=$2 certs=$3 key=$4 hash=$5
  shift 5
  osslsigncode sign -certs "$certs" -key "$key" -h "$hash" -time 1059739200 "$@" \
    -in "$in" -out "$outf" >/dev/null
}
for h in sha256 sha1 md5; do
  sign "$work/unsigned.cab" "$out/signed-$h.cab" "$pki/leaf-chain.pem" "$pki/leaf.key" "$h"
done
# an expired leaf with a timestamp from while it was valid (2005-01-01), and without one
sign "$work/unsigned.cab" "$out/signed-expired-timestamped.cab" "$pki/expired-chain.pem" \
  "$pki/expired.key" sha256 -TSA-certs "$pki/tsa-chain.pem" -TSA-key "$pki/tsa.key" -TSA-time 1104537600
sign "$work/unsigned.cab" "$out/signed-expired.cab" "$pki/expired-chain.pem" "$pki/expired.key" sha256
sign "$work/unsigned.cab" "$out/signed-rogue.cab" "$pki/rogueleaf.pem" "$pki/rogueleaf.key" sha256
# the same expired leaf with a legacy PKCS#9 counterSignature timestamp (countersign.py),
# and one countersigned by a TSA no share trusts
"$py" "$here/countersign.py" "$out/signed-expired.cab" "$out/signed-expired-countersigned.cab" \
  "$pki/tsa.pem" "$pki/tsa.key" 2005-01-01
"$py" "$here/countersign.py" "$out/signed-expired.cab" "$out/signed-expired-rogue-countersigned.cab" \
  "$pki/rogueleaf.pem" "$pki/rogueleaf.key" 2005-01-01

# reserve area of 6144 zero bytes: "reserved but unsigned"
"$py" "$here/cabwriter.py" --reserve 6144 "$out/reserved-unsigned.cab" "mszip:$work/mssecure.xml"
# several folders with every compression hfstage handles, and an LZX catalog (signed)
printf 'stored member\r\n' >"$work/readme.txt"
"$py" "$here/cabwriter.py" "$out/multi-folder.cab" "none:$work/readme.txt" \
  "mszip:$work/mssecure.xml=data/mssecure.xml" "lzx:$work/readme.txt=data/copy.txt"
"$py" "$here/cabwriter.py" "$work/lzx.cab" "lzx:$work/mssecure.xml"
sign "$work/lzx.cab" "$out/signed-lzx.cab" "$pki/leaf-chain.pem" "$pki/leaf.key" sha256
# a decompression bomb: 64 MiB of zeros in a ~70 KB cabinet
head -c 67108864 /dev/zero >"$work/zeros.bin"
(cd "$work" && gcab -c -z bomb.cab zeros.bin)
cp "$work/bomb.cab" "$out/bomb.cab"

# hostile member names (cabarchive writes any name it is given); a harmless member first
"$py" - "$out" <<'PY'
import sys
from pathlib import Path
from cabarchive import CabArchive, CabFile
names = {
    "traversal-dotdot": "../evil.txt",
    "traversal-nested": "ok\\..\\..\\evil.txt",
    "traversal-absolute": "/tmp/evil.txt",
    "traversal-drive": "C:\\evil.txt",
    "traversal-unc": "\\\\server\\share\\evil.txt",
    "traversal-device": "CON",
    "traversal-device-ext": "sub\\LPT1.txt",
}
for stem, name in names.items():
    arc = CabArchive()
    arc["harmless.txt"] = CabFile(b"harmless\r\n")
    arc[name] = CabFile(b"should never be written\r\n")
    Path(sys.argv[1], stem + ".cab").write_bytes(arc.save(compress=True))
PY

for f in "$out"/*.cab; do
  case $(basename "$f") in
    traversal-*) cabextract -l "$f" >/dev/null ;;  # listable; extraction is what must refuse
    *) cabextract -t "$f" >/dev/null ;;
  esac
done
ls -l "$out"
