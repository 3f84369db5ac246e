#!/usr/bin/env bash
# Build the test PKI used to sign fixture cabinets: a root CA, an intermediate CA,
# code-signing leaves (one valid until 2045, one that expired in 2005), a time-stamping
# authority, and an unrelated "rogue" root that no test share trusts.
# Everything is made by openssl; keys are test-only and committed on purpose.
# Usage: tests/data/make_pki.sh [OUTDIR]   (default: tests/data/pki)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/pki}
rm -rf "$out"
mkdir -p "$out"
cd "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = testca
[ testca ]
dir = WORK
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
default_md = sha256
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
organizationName = optional
countryName = optional
[ v3_ca ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_codesign ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ v3_tsa ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
sed -i "s#WORK#$work#" "$work/ca.cnf"
touch "$work/index.txt"
echo 1000 >"$work/serial"

key() { openssl genrsa -out "$1" 2048 2>/dev/null; }
csr() { openssl req -new -key "$1" -subj "$2" -out "$work/req.csr"; }
# sign CSR with CA $1 (cert) $2 (key), extensions $3, dates $4 $5, output $6
issue() {
  openssl ca -batch -config "$work/ca.cnf" -cert "$1" -keyfile "$2" -extensions "$3" \
    -startdate "$4" -enddate "$5" -in "$work/req.csr" -out "$work/out.pem" 2>/dev/null
  openssl x509 -in "$work/out.pem" -out "$6"
}

key root.key
csr root.key "/O=hfstage test/CN=hfstage Test Root CA"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile root.key -extensions v3_ca \
  -startdate 19990101000000Z -enddate 20491231000000Z -in "$work/req.csr" \
  -out "$work/out.pem" 2>/dev/null
openssl x509 -in "$work/out.pem" -out root.pem

key inter.key
csr inter.key "/O=hfstage test/CN=hfstage Test Intermediate CA"
issue root.pem root.key v3_ca 19990101000000Z 20481231000000Z inter.pem

key leaf.key
csr leaf.key "/O=hfstage test/CN=hfstage Test Catalog Signer"
issue inter.pem inter.key v3_codesign 20000101000000Z 20451231000000Z leaf.pem

key expired.key
csr expired.key "/O=hfstage test/CN=hfstage Expired Catalog Signer"
issue inter.pem inter.key v3_codesign 20000101000000Z 20051231000000Z expired.pem

key tsa.key
csr tsa.key "/O=hfstage test/CN=hfstage Test Time Stamping Authority"
issue root.pem root.key v3_tsa 20000101000000Z 20451231000000Z tsa.pem

key rogue.key
csr rogue.key "/O=nobody/CN=Rogue Root CA"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile rogue.key -extensions v3_ca \
  -startdate 19990101000000Z -enddate 20491231000000Z -in "$work/req.csr" \
  -out "$work/out.pem" 2>/dev/null
openssl x509 -in "$work/out.pem" -out rogue.pem
key rogueleaf.key
csr rogueleaf.key "/O=nobody/CN=hfstage Test Catalog Signer"
issue rogue.pem rogue.key v3_codesign 20000101000000Z 20451231000000Z rogueleaf.pem

# chains as osslsigncode wants them (leaf first, then intermediate; root omitted, as
# real publishers did: the verifier must find the anchor in the trust folder)
cat leaf.pem inter.pem >leaf-chain.pem
cat expired.pem inter.pem >expired-chain.pem
cat tsa.pem root.pem >tsa-chain.pem
# a DER copy of the root, to show the trust folder takes both encodings
openssl x509 -in root.pem -outform DER -out root.der
ls
