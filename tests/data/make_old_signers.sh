#!/usr/bin/env bash
# Where signers of 1996-2003 departed from today's encodings, for tests/data/cabs/old-*.cab
# (tests/test_cab_old_signers.py). Uses the legacy PKI of make_legacy.sh (its v1 roots and
# its v1 time-stamping authority), which runs this script at its end.
#  - A publisher certificate valid 2001-2002, a cabinet signed with it in July 2001 and
#    countersigned (countersign.py, RSA block by `openssl pkeyutl -sign`) with the BARE MD5
#    digest, as the VeriSign Time Stamping Service did; and the same countersignature with a
#    bare digest of the wrong data, a bare SHA-1 digest, a DigestInfo followed by an extra
#    byte, a damaged padding, a GeneralizedTime signingTime, no signingTime; and a small PE
#    file (packages/old-bare-md5-countersigned.exe) signed and countersigned the same way.
#  - A v1 intermediate (no extensions, so it cannot say it is a CA) between the v1 root and
#    a publisher; and a publisher "issued" by the v1 time-stamping authority's certificate.
#  - A chain shaped like Microsoft's of 1997-2002: a v3 root with only the old
#    authorityKeyIdentifier (2.5.29.1) and no basicConstraints, an intermediate and a
#    publisher that say what they are only with the old basicConstraints (2.5.29.10), a
#    SHA-1 signature; and a certificate "issued" by that end-entity publisher.
# Made by openssl, osslsigncode, gcab and mingw-w64.
# Usage: tests/data/make_old_signers.sh   (needs openssl, osslsigncode, gcab, i686-w64-mingw32-gcc, python3 with asn1crypto)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
py=${PYTHON:-python3}
legacy=$here/pki-legacy
out=$here/pki-old
cabs=$here/cabs
rm -rf "$out" "$cabs"/old-*.cab "$here"/packages/old-*.exe
mkdir -p "$out" "$cabs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/ca.cnf" <<'EOF'
[ ca ]
default_ca = old
[ old ]
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
# the old X.509 draft extensions: authorityKeyIdentifier (2.5.29.1) with a key id only,
# basicConstraints (2.5.29.10) SEQUENCE { subjectType BIT STRING { cA(0), endEntity(1) } }
# (openssl ca adds today's key identifiers unless told not to)
[ old_root ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
2.5.29.1 = DER:30:12:80:10:5b:d0:70:ef:69:72:9e:23:51:7e:14:b2:4d:8e:ff:cb
[ old_ca ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
2.5.29.1 = DER:30:12:80:10:5b:d0:70:ef:69:72:9e:23:51:7e:14:b2:4d:8e:ff:cb
2.5.29.10 = DER:30:04:03:02:07:80
[ old_publisher ]
subjectKeyIdentifier = none
authorityKeyIdentifier = none
2.5.29.10 = DER:30:04:03:02:06:40
extendedKeyUsage = codeSigning
EOF
sed -i "s#WORK#$work#" "$work/ca.cnf"
touch "$work/index.txt"
echo 3000 >"$work/serial"

key() { openssl genrsa -out "$out/$1" 2048 2>/dev/null; }
# ca SUBJECT KEY OUT MD START END ISSUER_CERT ISSUER_KEY [extensions]: none -> a v1 certificate
ca() {
  openssl req -new -key "$out/$2" -subj "$1" -out "$work/req.csr"
  local how=(-cert "$7" -keyfile "$8")
  [ "$7" = self ] && how=(-selfsign -keyfile "$out/$2")
  local ext=()
  [ -n "${9:-}" ] && ext=(-extensions "$9")
  openssl ca -batch -config "$work/ca.cnf" "${how[@]}" "${ext[@]}" -md "$4" -startdate "$5" -enddate "$6" \
    -in "$work/req.csr" -out "$work/out.pem" 2>/dev/null
  openssl x509 -in "$work/out.pem" -out "$out/$3"
}
sign() { # sign OUT BAG KEY HASH EPOCH
  osslsigncode sign -certs "$2" -key "$3" -h "$4" -time "$5" -n "hfstage old catalog" \
    -i "http://hfstage.invalid/catalog" -comm -in "$work/unsigned.cab" -out "$1" >/dev/null
}
counter() { # counter IN OUT WHEN [countersign.py options]
  local in=$1 target=$2 when=$3
  shift 3
  "$py" "$here/countersign.py" "$in" "$target" "$legacy/tsa-bag.pem" "$legacy/tsa.key" "$when" md5 "$@"
}

cp "$root/tools/hfstage/data/examples/catalog/month1.xml" "$work/mssecure.xml"
touch -d '2001-07-20 12:00:00' "$work/mssecure.xml"
(cd "$work" && gcab -c -z unsigned.cab mssecure.xml)

# 1. July 2001, a publisher certificate that expired in January 2002, VeriSign-style timestamps
key pub2001.key
ca "/O=hfstage old test/CN=hfstage Publisher 2001" pub2001.key pub2001.pem md5 \
  20010115000000Z 20020114235959Z "$legacy/root.pem" "$legacy/root.key" codesign
cat "$out/pub2001.pem" "$legacy/root.pem" >"$out/pub2001-bag.pem"
sign "$work/pub2001.cab" "$out/pub2001-bag.pem" "$out/pub2001.key" md5 995630400
counter "$work/pub2001.cab" "$cabs/old-bare-md5-countersigned.cab" 2001-07-20T17:05:12 --payload bare
for p in digestinfo bare-wrong-data bare-other-hash digestinfo-extra bad-padding; do
  counter "$work/pub2001.cab" "$cabs/old-countersigned-$p.cab" 2001-07-20T17:05:12 --payload "$p"
done
counter "$work/pub2001.cab" "$cabs/old-countersigned-generalized-time.cab" 2001-07-20T17:05:12 --time generalized
counter "$work/pub2001.cab" "$cabs/old-countersigned-no-time.cab" 2001-07-20T17:05:12 --time none
# the same for a hotfix-style PE file (a 3 KB program built by mingw-w64), as packages verify it
printf 'int start(void) { return 0; }\n' >"$work/tiny.c"
i686-w64-mingw32-gcc -Os -s -nostdlib -nostartfiles -e _start -o "$work/tiny.exe" "$work/tiny.c"
osslsigncode sign -certs "$out/pub2001-bag.pem" -key "$out/pub2001.key" -h md5 -time 995630400 \
  -n "hfstage old hotfix" -in "$work/tiny.exe" -out "$work/pub2001.exe" >/dev/null
counter "$work/pub2001.exe" "$here/packages/old-bare-md5-countersigned.exe" 2001-07-20T17:05:12 --payload bare

# 2. a v1 intermediate under the v1 root; a publisher "issued" by the v1 time-stamping authority
key inter-v1.key
ca "/O=hfstage old test/OU=hfstage v1 Intermediate CA" inter-v1.key inter-v1.pem md5 \
  19990101000000Z 20451231000000Z "$legacy/root.pem" "$legacy/root.key"
key v1pub.key
ca "/O=hfstage old test/CN=hfstage Publisher under v1 CA" v1pub.key v1pub.pem sha1 \
  20010101000000Z 20451231000000Z "$out/inter-v1.pem" "$out/inter-v1.key" codesign
cat "$out/v1pub.pem" "$out/inter-v1.pem" >"$out/v1pub-bag.pem"
sign "$cabs/old-v1-intermediate.cab" "$out/v1pub-bag.pem" "$out/v1pub.key" sha1 995630400
key forged.key
ca "/O=hfstage old test/CN=hfstage Publisher minted by a TSA" forged.key forged.pem sha1 \
  20010101000000Z 20451231000000Z "$legacy/tsa.pem" "$legacy/tsa.key" codesign
cat "$out/forged.pem" "$legacy/tsa.pem" >"$out/forged-bag.pem"
sign "$cabs/old-tsa-issued.cab" "$out/forged-bag.pem" "$out/forged.key" sha1 995630400

# 3. Microsoft-shaped chain of 1997-2002 with a VeriSign-style timestamp
key msroot.key
ca "/OU=Copyright (c) 1997 hfstage old test/OU=hfstage old test/CN=hfstage Old Root Authority" \
  msroot.key msroot.pem md5 19970110070000Z 20201231070000Z self "" old_root
key mspca.key
ca "/O=hfstage old test/CN=hfstage Old Code Signing PCA" mspca.key mspca.pem md5 \
  19970110070000Z 20051231070000Z "$out/msroot.pem" "$out/msroot.key" old_ca
key mscorp.key
ca "/O=hfstage old test/CN=hfstage Old Corporation" mscorp.key mscorp.pem sha1 \
  20010301000000Z 20020601000000Z "$out/mspca.pem" "$out/mspca.key" old_publisher
cat "$out/mscorp.pem" "$out/mspca.pem" >"$out/mscorp-bag.pem"
sign "$work/mscorp.cab" "$out/mscorp-bag.pem" "$out/mscorp.key" sha1 995630400
counter "$work/mscorp.cab" "$cabs/old-ms-chain.cab" 2001-07-20T17:05:12 --payload bare
key eechild.key
ca "/O=hfstage old test/CN=hfstage Publisher minted by a publisher" eechild.key eechild.pem sha1 \
  20010301000000Z 20451231000000Z "$out/mscorp.pem" "$out/mscorp.key" codesign
cat "$out/eechild.pem" "$out/mscorp.pem" "$out/mspca.pem" >"$out/eechild-bag.pem"
sign "$cabs/old-end-entity-issued.cab" "$out/eechild-bag.pem" "$out/eechild.key" sha1 995630400

# osslsigncode 2.9 (OpenSSL 3) verifies the DigestInfo form of the same countersignature; it
# refuses the bare-digest form ("Timestamp Server Signature verification: failed") and a
# GeneralizedTime signingTime ("X509_ATTRIBUTE_get0_data:wrong type"), which
# tests/test_cab_old_signers.py checks with `openssl pkeyutl -verifyrecover` instead.
osslsigncode verify -CAfile "$legacy/root.pem" -TSA-CAfile "$legacy/tsa-root.pem" \
  -in "$cabs/old-countersigned-digestinfo.cab" >/dev/null
ls -l "$cabs"/old-*.cab "$here"/packages/old-*.exe
