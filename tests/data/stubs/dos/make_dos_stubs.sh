#!/usr/bin/env bash
# DOS .COM stubs for running Windows 9x batch files under DOSBox (tests/test_scripts_dos.py):
# assembled by GNU as (.code16) and linked flat at 0x100 by GNU ld, both from binutils.
#   START.COM  logs its command tail to C:\CALLS.LOG, exits with C:\RC.BIN's first byte
#   FIND.COM   find [/v] [/n] [/i] "TEXT" [FILE]: MS-DOS FIND's lines, numbers and exit codes (find.S)
#   DATE.COM   prints C:\DATE.TXT (what Windows 98's DATE prints, on the test's day), reads the answer
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for name in start find date; do
  as --32 -o "$work/$name.o" "$here/$name.S"
  ld -m elf_i386 -Ttext=0x100 --oformat binary -e _start -o "$here/${name^^}.COM" "$work/$name.o"
done
ls -l "$here"/*.COM
