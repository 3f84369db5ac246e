#!/usr/bin/env bash
# Build hotfix_stub.exe (64-bit, for wine64) from hotfix_stub.c with mingw-w64.
set -euo pipefail
cd "$(dirname "$0")"
x86_64-w64-mingw32-gcc -O2 -s -Wl,--no-insert-timestamp -o hotfix_stub.exe hotfix_stub.c
ls -l hotfix_stub.exe
