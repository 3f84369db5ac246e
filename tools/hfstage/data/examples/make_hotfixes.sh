#!/usr/bin/env bash
# Build the example share's packages (hotfixes/).
# Usage: examples/make_hotfixes.sh   (needs gcab, osslsigncode and mingw-w64)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pki=$here/../../../../tests/data/pki
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The example packages: each file name gets the shape of the engine its kind of package
# used (tests/data/packages/make_packages.sh --tiny: ~5 KB i386 programs that only exit 0);
# the 2003 KB packages are signed like the catalogs.
shapes=$work/shapes
mkdir -p "$shapes"
"$here/../../../../tests/data/packages/make_packages.sh" --tiny "$shapes" >/dev/null
hotfixes=$here/hotfixes
rm -f "$hotfixes"/*.exe "$hotfixes"/*.EXE
shape() { cp "$shapes/$1.exe" "$hotfixes/$2"; }
shape hotfix Q299444i.exe                       # NT 4.0: Hotfix.exe
shape hotfix Q326830i.EXE
shape hotfix WindowsNT4Workstation-KB823980-x86-ENU.exe
shape hotfix WindowsNT4Workstation-KB824146-x86-ENU.exe
shape hotfix Q300972_W2K_SP3_x86_en.EXE         # Windows 2000 SP2-era: Hotfix.exe
shape update Q326830_W2K_SP4_X86_EN.exe         # Windows 2000 SP3-era and later: Update.exe
shape iexpress q316059.exe                      # Internet Explorer: IExpress
shape iexpress q321309_98.exe                   # Windows 98: IExpress
shape qchain qchain.exe                         # the updated QChain (KB 815062): 2003
shape plain shutdown.exe
for kb in Windows2000-KB823980-x86-ENU.exe Windows2000-KB824146-x86-ENU.exe \
          WindowsXP-KB823980-x86-ENU.exe WindowsXP-KB824146-x86-ENU.exe; do
  osslsigncode sign -certs "$pki/leaf-chain.pem" -key "$pki/leaf.key" -h sha1 -time 1059739200 \
    -in "$shapes/update.exe" -out "$hotfixes/$kb" >/dev/null
done
ls -l "$hotfixes"
