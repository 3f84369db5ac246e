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
[ "$out" = "$here" ] || { ls -l "$out"; exit 0; }

rm -f update-signed.exe
osslsigncode sign -certs "$pki/leaf-chain.pem" -key "$pki/leaf.key" -h sha1 -time 1059739200 \
  -n "Security Update" -i "http://support.microsoft.com/" -in update.exe -out update-signed.exe >/dev/null
python3 - <<'PY'
data = bytearray(open("update-signed.exe", "rb").read())
data[0x400] ^= 0x01  # a byte of the code (.text starts at 0x400)
open("update-tampered.exe", "wb").write(data)
PY
python3 "$here/make_ole.py"
ls -l *.exe *.msi *.msp
