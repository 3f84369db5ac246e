"""Benchmark: facts for one machine from a ~20 MB SOFTWARE hive + SYSTEM hive + 50 PE files
(targets: registry part 30 ms or less; 3 ms or less per PE file), and hfstage's PE
version read against a full `pefile.PE(path)` parse of the same files (target: 20x faster).

The big hive is written by hivexregedit (libwin-hivex-perl) from generated .reg text into
an empty hive; the PE files are built by mingw-w64 with a VERSIONINFO resource and
100 KB - 3 MB of data each. Both are cached under /tmp between runs.
Usage: python bench/inventory_facts.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pefile

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "data"))
from make_machines import build_hive, build_pe  # noqa: E402
from timing import median  # noqa: E402

from hfstage.catalog import parse_catalog_file  # noqa: E402
from hfstage.inventory import gather_facts, load_rules, read_pe_version  # noqa: E402

CACHE = Path("/tmp/hfstage-bench-inventory")
N_PE = 50
REG_BYTES_PER_HIVE_BYTE = 0.08  # measured: hivex writes ~12.5 hive bytes per .reg byte (it leaves slack)


def _big_software_reg(path: Path, target_mb: int = 20) -> None:
    """NT4WKS's SOFTWARE keys plus COM class registrations, in groups of 400 subkeys
    (hivex cannot grow one key's subkey list without bound)."""
    base = (REPO / "tests" / "data" / "machines-src" / "NT4WKS" / "SOFTWARE.reg").read_text()
    lines = [base]
    size, i = 0, 0
    while size < target_mb * 1024 * 1024 * REG_BYTES_PER_HIVE_BYTE:
        key = f"[HKEY_LOCAL_MACHINE\\SOFTWARE\\Classes\\Group{i // 400:04d}\\{{{i:08X}-0000-0000-C000-000000000046}}]"
        body = (f'@="Component {i}"\n"ThreadingModel"="Both"\n"InprocServer32"="C:\\\\WINNT\\\\system32\\\\'
                f'comp{i}.dll"\n"Flags"=dword:{i:08x}\n')
        lines.append(f"{key}\n{body}")
        size += len(key) + len(body)
        i += 1
    path.write_text("\n".join(lines))


def _build() -> Path:
    machine = CACHE / "BIG"
    if (machine / "SOFTWARE").is_file() and len(list((machine / "files").rglob("*.dll"))) == N_PE:
        return machine
    for tool in ("hivexregedit", "i686-w64-mingw32-gcc"):
        if shutil.which(tool) is None:
            raise SystemExit(f"skipped: {tool} not installed")
    shutil.rmtree(CACHE, ignore_errors=True)
    machine.mkdir(parents=True)
    _big_software_reg(CACHE / "software.reg")
    build_hive(CACHE / "software.reg", machine / "SOFTWARE", "SOFTWARE")
    build_hive(REPO / "tests" / "data" / "machines-src" / "NT4WKS" / "SYSTEM.reg", machine / "SYSTEM", "SYSTEM")
    work = CACHE / "work"
    work.mkdir()
    for n in range(N_PE):
        pad = 100_000 + n * 60_000
        (work / "pad.c").write_text(f"const char hfstage_pad[{pad}] = {{1}};\n")
        target = machine / "files" / "WINNT" / "system32" / f"file{n:02d}.dll"
        build_pe(target, f"5.0.2195.{n}", work)
        subprocess.run(["i686-w64-mingw32-gcc", "-shared", "-nostdlib", "-s", "-Wl,--entry,_DllMain@12",
                        "-o", str(target), str(work / "d.c"), str(work / "v.o"), str(work / "pad.c")], check=True)
    return machine


def _catalog_for(machine: Path):
    """A catalog naming the 50 files, so facts reads every one of them."""
    xml = CACHE / "catalog.xml"
    if not xml.is_file():
        files = "".join(
            f'<File FileID="{n}" Name="file{n:02d}.dll" LocationID="6"><FileChanges><FileChange FileChangeID="{n}" '
            f'Date="2003/01/01" Version="5.0.2195.{n}" Size="" CommandID="e" Checksum=""/></FileChanges></File>'
            for n in range(N_PE))
        xml.write_text(f'<?xml version="1.0"?><BulletinDatastore DataVersion="9.9" LastDataUpdate="2003/01/01" '
                       f'SchemaVersion="1" ToolVersion="1"><Files>{files}</Files><Locations>'
                       f'<Location LocationID="6" Path="%windir%\\system32" AbsolutePath="False"/></Locations>'
                       f'</BulletinDatastore>')
    return parse_catalog_file(xml)


def main() -> int:
    machine = _build()
    catalog = _catalog_for(machine)
    rules = load_rules()
    pe_files = sorted((machine / "files").rglob("*.dll"))
    hive_mb = (machine / "SOFTWARE").stat().st_size / 1e6
    pe_mb = sum(p.stat().st_size for p in pe_files) / 1e6
    facts = gather_facts(machine, catalog, rules)
    assert facts.error is None and len([f for f in facts.files if f.file_version]) == N_PE, facts.missing

    no_files = CACHE / "BIG-registry-only"
    if not no_files.exists():
        no_files.mkdir()
        for hive in ("SOFTWARE", "SYSTEM"):
            shutil.copyfile(machine / hive, no_files / hive)  # a copy: hfstage never follows a link
    registry = median(lambda: gather_facts(no_files, None, rules), 20)
    whole = median(lambda: gather_facts(machine, catalog, rules), 10)
    ours = median(lambda: [read_pe_version(p) for p in pe_files], 5)
    full = median(lambda: [pefile.PE(str(p)).close() for p in pe_files], 3)

    print(f"SOFTWARE hive {hive_mb:.1f} MB + SYSTEM; {N_PE} PE files, {pe_mb:.1f} MB in all")
    print(f"registry part (open hives, detect OS/SP/products/hotfixes): median {registry * 1000:.1f} ms "
          "(target 30 ms)")
    print(f"whole machine with {N_PE} PE files: median {whole * 1000:.1f} ms; "
          f"PE part {(whole - registry) / N_PE * 1000:.2f} ms/file (target 3 ms)")
    print(f"hfstage PE version read: {ours / N_PE * 1000:.2f} ms/file; pefile.PE full parse: "
          f"{full / N_PE * 1000:.2f} ms/file; ratio {full / ours:.1f}x faster (target 20x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
