"""Build machine inventory folders (as the collectors write them) from readable sources.

For each SRC/<MACHINE>/:
  SOFTWARE.reg, SYSTEM.reg  -> hives: an empty hive (minimal_hive.py) filled by
                               `hivexregedit --merge` (libwin-hivex-perl), opened by hivexsh
  *.ansi.reg / *.utf16.reg  -> regedit exports: REGEDIT4 in cp1252, or version 5.00 in
                               UTF-16LE with a BOM (CRLF line ends, as regedit writes them)
  files.txt                 -> PE files built by mingw-w64 (windres + gcc) with a VERSIONINFO
                               resource: lines "PATH VERSION", "PATH noresource" or "PATH text"
  manifest.txt              -> copied as is (the collector's manifest: catalog=<DataVersion>)
  damage.txt                -> applied last: "truncate FILE BYTES" or "corrupt FILE OFFSET LENGTH"
Usage: python make_machines.py SRC OUT    (needs hivexregedit, hivexsh, i686-w64-mingw32-gcc)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from minimal_hive import minimal_hive  # noqa: E402

PREFIX = {"SOFTWARE": "HKEY_LOCAL_MACHINE\\SOFTWARE", "SYSTEM": "HKEY_LOCAL_MACHINE\\SYSTEM"}
RC = """#include <winver.h>
VS_VERSION_INFO VERSIONINFO
FILEVERSION {commas}
PRODUCTVERSION {commas}
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_DLL
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "CompanyName", "hfstage test fixture"
      VALUE "FileVersion", "{dots}"
      VALUE "OriginalFilename", "{name}"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
"""
DLLMAIN = "int __stdcall DllMain(void *h, unsigned r, void *p) { return 1; }\n"


def with_parents(reg_text: str) -> str:
    """hivexregedit only creates a key whose parent exists: list every ancestor first."""
    out, seen = [], set()
    for line in reg_text.splitlines():
        if line.startswith("[") and not line.startswith("[-"):
            parts = line[1:-1].split("\\")
            for depth in range(3, len(parts)):
                ancestor = "\\".join(parts[:depth])
                if ancestor.lower() not in seen:
                    seen.add(ancestor.lower())
                    out += [f"[{ancestor}]", ""]
            seen.add(line[1:-1].lower())
        out.append(line)
    return "\n".join(out) + "\n"


def build_hive(source: Path, target: Path, hive: str) -> None:
    target.write_bytes(minimal_hive(hive))
    with tempfile.NamedTemporaryFile("w", suffix=".reg", delete=False, encoding="utf-8") as fh:
        fh.write(with_parents(source.read_text(encoding="utf-8")))
    try:
        subprocess.run(["hivexregedit", "--merge", "--prefix", PREFIX[hive], str(target), fh.name], check=True)
    finally:
        Path(fh.name).unlink()
    subprocess.run(["hivexsh", str(target)], input="ls\n", text=True, check=True, capture_output=True)


def build_pe(target: Path, version: str, work: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if version == "text":  # a file that is not a PE file at all (a .crl, a .inf)
        target.write_bytes(b"not a PE file: hfstage test fixture\r\n")
        return
    (work / "d.c").write_text(DLLMAIN)
    objects = [str(work / "d.c")]
    if version != "noresource":
        parts = version.split(".")
        (work / "v.rc").write_text(RC.format(commas=",".join(parts), dots=version, name=target.name))
        subprocess.run(["i686-w64-mingw32-windres", str(work / "v.rc"), "-O", "coff", "-o", str(work / "v.o")],
                       check=True)
        objects.append(str(work / "v.o"))
    subprocess.run(["i686-w64-mingw32-gcc", "-shared", "-nostdlib", "-s", "-Wl,--entry,_DllMain@12",
                    "-Wl,--no-insert-timestamp", "-o", str(target), *objects], check=True)


def export(source: Path, target: Path) -> None:
    text = source.read_text(encoding="utf-8").replace("\r\n", "\n").replace("\n", "\r\n")
    if source.name.endswith(".utf16.reg"):
        target.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    else:
        target.write_bytes(text.encode("cp1252"))


def damage(folder: Path, spec: str) -> None:
    for line in spec.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        verb, name, *args = line.split()
        path = folder / name
        data = bytearray(path.read_bytes())
        if verb == "truncate":
            path.write_bytes(bytes(data[: int(args[0])]))
        elif verb == "corrupt":
            offset, length = int(args[0]), int(args[1])
            data[offset:offset + length] = bytes((0xA5 + i) & 0xFF for i in range(length))
            path.write_bytes(bytes(data))


def build_machine(src: Path, out: Path) -> None:
    out.mkdir(parents=True)
    for hive in ("SOFTWARE", "SYSTEM"):
        if (src / f"{hive}.reg").is_file():
            build_hive(src / f"{hive}.reg", out / hive, hive)
    for reg in sorted(src.glob("*.reg")):
        if reg.name.endswith((".ansi.reg", ".utf16.reg")):
            export(reg, out / (reg.name.split(".")[0] + ".reg"))
    files = src / "files.txt"
    if files.is_file():
        with tempfile.TemporaryDirectory() as work:
            for line in files.read_text().splitlines():
                if line.strip() and not line.startswith("#"):
                    rel, version = line.split()
                    build_pe(out / "files" / rel, version, Path(work))
    if (src / "manifest.txt").is_file():
        shutil.copyfile(src / "manifest.txt", out / "manifest.txt")
    if (src / "damage.txt").is_file():
        damage(out, (src / "damage.txt").read_text())


def main() -> None:
    src_root, out_root = Path(sys.argv[1]), Path(sys.argv[2])
    shutil.rmtree(out_root, ignore_errors=True)
    for src in sorted(p for p in src_root.iterdir() if p.is_dir()):
        build_machine(src, out_root / src.name)
        print(f"built {out_root / src.name}")


if __name__ == "__main__":
    main()
