#!/usr/bin/env bash
# Build the example share's signed catalogs: examples/catalog/monthN.xml -> gcab (MSZIP) ->
# osslsigncode with the project's test CA (tests/data/pki) -> examples/incoming/monthN/mssecure.cab.
# The test root goes to examples/trust/ so the demo share trusts these catalogs.
# Usage: examples/make_examples.sh   (needs gcab and osslsigncode); the packages: make_hotfixes.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pki=$here/../../../../tests/data/pki
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$here/trust"
cp "$pki/root.pem" "$here/trust/hfstage-test-root.pem"
n=0
for xml in "$here"/catalog/month*.xml; do
  n=$((n + 1))
  month=$(basename "$xml" .xml)
  mkdir -p "$work/$month" "$here/incoming/$month"
  cp "$xml" "$work/$month/mssecure.xml"
  touch -d "2003-0$((7 + n))-01 12:00:00" "$work/$month/mssecure.xml"
  (cd "$work/$month" && gcab -c -z unsigned.cab mssecure.xml)
  osslsigncode sign -certs "$pki/leaf-chain.pem" -key "$pki/leaf.key" -h sha256 \
    -time $((1059739200 + n * 2678400)) -in "$work/$month/unsigned.cab" \
    -out "$here/incoming/$month/mssecure.cab" >/dev/null
done
ls -l "$here"/incoming/*/mssecure.cab

