#!/usr/bin/env bash
# Tiny i386 PE files with a VERSIONINFO, standing in for Windows 9x system files whose
# versions the detection supplements check (mingw-w64: windres + gcc, no C runtime).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
printf 'int start(void) { return 0; }\n' > "$work/tiny.c"
make() {  # $1 out, $2 version, $3 original name
  cat > "$work/v.rc" <<RC
1 VERSIONINFO
FILEVERSION ${2//./,}
PRODUCTVERSION ${2//./,}
FILEOS 0x4
FILETYPE 0x3
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904E4"
    BEGIN
      VALUE "CompanyName", "Microsoft Corporation"
      VALUE "FileVersion", "$2"
      VALUE "OriginalFilename", "$3"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1252
  END
END
RC
  i686-w64-mingw32-windres "$work/v.rc" -O coff -o "$work/v.o"
  i686-w64-mingw32-gcc -Os -s -nostdlib -nostartfiles -e _start -Wl,--no-insert-timestamp -o "$1" \
    "$work/tiny.c" "$work/v.o"
}
make vip-4.10.1998.386 4.10.1998 VIP.386   # Windows 98 as shipped (before Q238453)
make vip-4.10.2000.386 4.10.2000 VIP.386   # the Q238453 fix for Windows 98
ls -l
