#!/usr/bin/env bash
# Build package fixtures with each installer engine's shape, from the wine stub
# (../stubs/hotfix_stub.c: it logs its argv to calls.log and exits with <name>.rc).
# Real tools only: mingw-w64 (gcc, windres) for the PE files and their VERSIONINFO and
# RCDATA resources, gcab for the cabinets, osslsigncode for the signature.
#   iexpress.exe      RCDATA CABINET + RUNPROGRAM, Wextract version strings (IExpress)
#   ohotfix.exe       IExpress whose cabinet holds ohotfix.exe + ohotfix.ini (Office)
#   update.exe        SFXCAB: cabinet appended after the image, update\update.exe 5.3.18.6 inside
#   update2004.exe    version strings "Installer Engine" = Update.exe, "Installer Version"
#   hotfix.exe        SFXCAB with hotfix.exe + hotfix.inf
#   servicepack.exe   SFXCAB with i386\update\update.exe
#   plain.exe         the stub as it is: a program that shows no engine
#   update-signed.exe update.exe signed by the test PKI's leaf (SHA-1, timestamped by -time)
#   update-tampered.exe  update-signed.exe with one byte of its code changed
#   sample.msi / sample.msp  compound files with the MSI / MSP root CLSID (make_ole.py)
#   hotfix-tse.exe, hotfix-sp2.exe, hotfix-deu.exe   Hotfix.exe packages whose hotfix.inf names their
#                     target: NT 4.0 Terminal Server Edition SP6; NT 4.0 SP2 only; German (0x407)
#   update-xpsp1.exe  Update.exe package whose update\update.inf names XP (2600), SP0-SP1, English, in
#                     the [Strings] style (%LANG%)
#   qchain-2001.exe / qchain-2003.exe  qchain.exe shapes linked 2001-05-18 (5.0.2195.3500) and
#                     2003-03-04 (5.0.2195.6700): the PE link date from SOURCE_DATE_EPOCH (--tiny: qchain.exe,
#                     the 2003 one)
#   msi-2.0.dll / msi-3.0.dll  msi.dll shapes with Windows Installer 2.0.2600.1 / 3.0.3790.2180
# The INF key names are hfstage's data/package_targets.json names, which have no public source:
# these packages prove the reader and the checks, not the names.
#
# Usage: make_packages.sh                 the test fixtures here (x86-64, the runnable stub)
#        make_packages.sh --tiny OUTDIR   the same shapes around a 3 KB i386 program that only
#                                         exits 0 (the example share's packages)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pki=$here/../pki
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ "${1:-}" = "--tiny" ]; then
  out=$(cd "$2" && pwd)
  printf 'int start(void) { return 0; }\n' > "$work/tiny.c"
  stub=$work/tiny.c
  cc=(i686-w64-mingw32-gcc -Os -s -nostdlib -nostartfiles -e _start)
  windres=(i686-w64-mingw32-windres)
else
  out=$here
  stub=$here/../stubs/hotfix_stub.c
  cc=(x86_64-w64-mingw32-gcc -Os -s)
  windres=(x86_64-w64-mingw32-windres)
fi
cd "$out"

version_block() {  # $1: extra VALUE lines; $2: file version; $3 description
  cat <<RC
1 VERSIONINFO
FILEVERSION ${2//./,}
PRODUCTVERSION ${2//./,}
FILEOS 0x40004
FILETYPE 0x1
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "Microsoft Corporation"
      VALUE "FileDescription", "$3"
      VALUE "FileVersion", "$2"
$1
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
RC
}

build() {  # $1 out, $2 rc file
  "${windres[@]}" "$2" -O coff -o "$work/res.o"
  "${cc[@]}" -Wl,--no-insert-timestamp -o "$1" "$stub" "$work/res.o"
}

# the update.exe an SFXCAB package carries, with its own version
version_block '      VALUE "InternalName", "update"
      VALUE "OriginalFilename", "update.exe"' 5.3.18.6 "Windows Update Package Installer" > "$work/inner.rc"
build "$work/update.exe" "$work/inner.rc"
printf '[Version]\r\nSignature="$Chicago$"\r\n' > "$work/update.inf"
cp "$work/update.inf" "$work/hotfix.inf"
cp "$work/update.exe" "$work/hotfix.exe"
printf '[OHotfix]\r\nOHotfixUILevel=n\r\n' > "$work/ohotfix.ini"
cp "$work/update.exe" "$work/ohotfix.exe"

cabinet() {  # $1 cab, $2 dir holding the members (their paths below it are kept)
  (cd "$2" && gcab -c -z "$1" $(find . -type f | sed 's|^\./||' | sort))
}
mkdir -p "$work/u/update" "$work/h" "$work/sp/i386/update" "$work/ie" "$work/oh"
cp "$work/update.exe" "$work/update.inf" "$work/u/update/"
cp "$work/hotfix.exe" "$work/hotfix.inf" "$work/h/"
cp "$work/update.exe" "$work/sp/i386/update/"
cp "$work/update.inf" "$work/ie/q321309.inf"
cp "$work/ohotfix.exe" "$work/ohotfix.ini" "$work/oh/"
for d in u h sp ie oh; do cabinet "$work/$d.cab" "$work/$d"; done

sfxcab_strings='      VALUE "InternalName", "sfxcab"
      VALUE "OriginalFilename", "sfxcab.exe"'
version_block "$sfxcab_strings" 5.3.18.6 "Self-Extracting Cabinet" > "$work/sfx.rc"
build "$work/sfx.exe" "$work/sfx.rc"
cat "$work/sfx.exe" "$work/u.cab" > update.exe
cat "$work/sfx.exe" "$work/h.cab" > hotfix.exe
cat "$work/sfx.exe" "$work/sp.cab" > servicepack.exe

version_block "$sfxcab_strings
      VALUE \"Installer Engine\", \"Update.exe\"
      VALUE \"Installer Version\", \"6.1.22.4\"" 6.3.4.1 "Self-Extracting Cabinet" > "$work/u2004.rc"
build update2004.exe "$work/u2004.rc"

iexpress() {  # $1 out, $2 cabinet, $3 RUNPROGRAM
  { version_block '      VALUE "InternalName", "Wextract"
      VALUE "OriginalFilename", "WEXTRACT.EXE"' 6.0.2600.0 "Win32 Cabinet Self-Extractor"
    echo "CABINET RCDATA \"$2\""
    echo "RUNPROGRAM RCDATA { \"$3\\0\" }"
    echo "TITLE RCDATA { \"Security update\\0\" }"
  } > "$work/ie.rc"
  build "$1" "$work/ie.rc"
}
iexpress iexpress.exe "$work/ie.cab" "rundll32.exe advpack.dll,LaunchINFSection q321309.inf,DefaultInstall"
iexpress ohotfix.exe "$work/oh.cab" "ohotfix.exe"

"${cc[@]}" -Wl,--no-insert-timestamp -o plain.exe "$stub"
# the updated QChain's shape (KB 815062): a version resource and a 2003 link date
version_block '      VALUE "InternalName", "qchain"
      VALUE "OriginalFilename", "qchain.exe"' 5.0.2195.6700 "QChain" > "$work/q2.rc"
"${windres[@]}" "$work/q2.rc" -O coff -o "$work/q2.o"
SOURCE_DATE_EPOCH=1046736000 "${cc[@]}" -o qchain.exe "$stub" "$work/q2.o"
[ "$out" = "$here" ] || { ls -l "$out"; exit 0; }

# packages that say, in their own INF, which Windows they are for
target() {  # $1 out, $2 member path of the INF, $3 INF body
  rm -rf "$work/t" && mkdir -p "$work/t/$(dirname "$2")"
  printf '%b' "$3" > "$work/t/$2"
  if [ "$2" = hotfix.inf ]; then cp "$work/hotfix.exe" "$work/t/"; else cp "$work/update.exe" "$work/t/update/"; fi
  cabinet "$work/t.cab" "$work/t"
  cat "$work/sfx.exe" "$work/t.cab" > "$1"
}
head='[Version]\r\nSignature="$Windows NT$"\r\n'
target hotfix-tse.exe hotfix.inf "${head}NtBuildToUpdate=1381\r\nMinNtServicePackVersion=1536\r\nMaxNtServicePackVersion=1536\r\nNtProductSuite=\"Terminal Server\" ; TSE only\r\nLanguageType=0x00000409\r\n"
target hotfix-sp2.exe hotfix.inf "${head}NtBuildToUpdate=1381\r\nMinNtServicePackVersion=512\r\nMaxNtServicePackVersion=512\r\nLanguageType=0x409\r\n"
target hotfix-deu.exe hotfix.inf "${head}NtBuildToUpdate=1381\r\nMinNtServicePackVersion=1280\r\nMaxNtServicePackVersion=1536\r\nLanguageType=0x407\r\n"
target update-xpsp1.exe 'update/update.inf' "${head}NtBuildToUpdate=%BUILD%\r\nMinNtServicePackVersion=0\r\nMaxNtServicePackVersion=256\r\nLanguageType=%LANG%\r\n\r\n[Strings]\r\nLANG=\"0x409\"\r\nBUILD=2600\r\n"

# qchain.exe and msi.dll shapes: a version resource, and for qchain a link date
version_block '      VALUE "InternalName", "qchain"
      VALUE "OriginalFilename", "qchain.exe"' 5.0.2195.3500 "QChain" > "$work/q1.rc"
"${windres[@]}" "$work/q1.rc" -O coff -o "$work/q1.o"
SOURCE_DATE_EPOCH=990144000 "${cc[@]}" -o qchain-2001.exe "$stub" "$work/q1.o"
mv qchain.exe qchain-2003.exe
for pair in 2.0:2.0.2600.1 3.0:3.0.3790.2180; do
  version_block '      VALUE "InternalName", "msi"
      VALUE "OriginalFilename", "msi.dll"' "${pair#*:}" "Windows Installer" > "$work/msi.rc"
  build "msi-${pair%%:*}.dll" "$work/msi.rc"
done

rm -f update-signed.exe
osslsigncode sign -certs "$pki/leaf-chain.pem" -key "$pki/leaf.key" -h sha1 -time 1059739200 \
  -n "Security Update" -i "http://support.microsoft.com/" -in update.exe -out update-signed.exe >/dev/null
python3 - <<'PY'
data = bytearray(open("update-signed.exe", "rb").read())
data[0x400] ^= 0x01  # a byte of the code (.text starts at 0x400)
open("update-tampered.exe", "wb").write(data)
PY
python3 "$here/make_ole.py"
ls -l *.exe *.msi *.msp *.dll
