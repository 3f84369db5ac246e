#!/usr/bin/env bash
# Signatures as the signing tools of 1999-2003 wrote them, for tests/data/cabs/legacy-*.cab:
# a v1 self-signed root (no extensions, as VeriSign's were), code-signing leaves it signed
# with md5WithRSA and sha1WithRSA, a v1 time-stamping authority, and cabinets signed by
# osslsigncode with what real signers added: program name and URL (SpcSpOpusInfo, -n/-i),
# the commercial statement type (-comm), Java permissions (-jp), an unrelated extra
# certificate in the bag (-ac), and the root travelling inside the bag. One is expired and
# carries a legacy PKCS#9 counterSignature (countersign.py) from while it was valid.
# Made by openssl, osslsigncode and gcab; checked with `osslsigncode verify`.
# Usage: tests/data/make_legacy.sh    (needs openssl, osslsigncode, gcab, python3 with asn1crypto)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-python3}
out=$here/pki-legacy
cabs=$here/cabs
rm -rf "$out"
mkdir -p "$out" "$cabs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = legacy
[ legacy ]
dir = WORK
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
organizationName = optional
organizationalUnitName = optional
commonName = optional
[ codesign ]
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning, 1.3.6.1.4.1.311.2.1.22
EOF
sed -i "s#WORK#$work#" "$work/ca.cnf"
touch "$work/index.txt"
echo 2000 >"$work/serial"

key() { openssl genrsa -out "$out/$1" 2048 2>/dev/null; }
# ca SUBJECT KEY OUT MD START END [issuer cert] [issuer key] [extensions]: no extensions -> a v1 certificate
ca() {
  openssl req -new -key "$out/$2" -subj "$1" -out "$work/req.csr"
  local how=(-selfsign -keyfile "$out/$2")
  [ -n "${7:-}" ] && how=(-cert "$out/$7" -keyfile "$out/$8")
  local ext=()
  [ -n "${9:-}" ] && ext=(-extensions "$9")
  openssl ca -batch -config "$work/ca.cnf" "${how[@]}" "${ext[@]}" -md "$4" -startdate "$5" -enddate "$6" \
    -in "$work/req.csr" -out "$work/out.pem" 2>/dev/null
  openssl x509 -in "$work/out.pem" -out "$out/$3"
}

key root.key
ca "/O=hfstage legacy test/OU=hfstage Legacy Software Publishers CA" root.key root.pem md5 \
  19960409000000Z 20491231000000Z
key tsa-root.key
ca "/O=hfstage legacy test/OU=hfstage Legacy Time Stamping Root" tsa-root.key tsa-root.pem md5 \
  19970512000000Z 20491231000000Z
key tsa.key
ca "/O=hfstage legacy test/OU=hfstage Legacy Time Stamping Service" tsa.key tsa.pem md5 \
  19970512000000Z 20491231000000Z tsa-root.pem tsa-root.key
key md5.key
ca "/O=hfstage legacy test/CN=hfstage Legacy Publisher MD5" md5.key md5.pem md5 \
  19990820000000Z 20451231000000Z root.pem root.key codesign
key sha1.key
ca "/O=hfstage legacy test/CN=hfstage Legacy Publisher SHA1" sha1.key sha1.pem sha1 \
  20010101000000Z 20451231000000Z root.pem root.key codesign
key expired.key
ca "/O=hfstage legacy test/CN=hfstage Legacy Publisher Expired" expired.key expired.pem md5 \
  19990820000000Z 20000915235959Z root.pem root.key codesign
# the bag as real signers shipped it: leaf, then the root itself
for leaf in md5 sha1 expired; do cat "$out/$leaf.pem" "$out/root.pem" >"$out/$leaf-bag.pem"; done
cat "$out/tsa.pem" "$out/tsa-root.pem" >"$out/tsa-bag.pem"

cp "$root/tools/hfstage/data/examples/catalog/month1.xml" "$work/mssecure.xml"
touch -d '2001-08-01 12:00:00' "$work/mssecure.xml"
(cd "$work" && gcab -c -z unsigned.cab mssecure.xml)
real() { # real OUT LEAF HASH: osslsigncode with what signing tools of the era added
  osslsigncode sign -certs "$out/$2-bag.pem" -key "$out/$2.key" -h "$3" -time 996667200 \
    -n "hfstage legacy catalog" -i "http://hfstage.invalid/catalog" -comm -jp low \
    -ac "$here/pki/rogue.pem" -in "$work/unsigned.cab" -out "$1" >/dev/null
}
real "$cabs/legacy-md5.cab" md5 md5
real "$cabs/legacy-sha1.cab" sha1 sha1
real "$work/expired.cab" expired md5
"$py" "$here/countersign.py" "$work/expired.cab" "$cabs/legacy-expired-countersigned.cab" \
  "$out/tsa-bag.pem" "$out/tsa.key" 1999-10-15 md5
for f in legacy-md5 legacy-sha1; do
  osslsigncode verify -CAfile "$out/root.pem" -in "$cabs/$f.cab" >/dev/null
done
osslsigncode verify -CAfile "$out/root.pem" -TSA-CAfile "$out/tsa-root.pem" \
  -in "$cabs/legacy-expired-countersigned.cab" >/dev/null
ls -l "$cabs"/legacy-*.cab
# fixtures made with this PKI: the old signers' encodings (they must follow a new PKI)
PYTHON="$py" "$here/make_old_signers.sh"
