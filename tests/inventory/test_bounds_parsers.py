"""Bounds on every parser a client or an unsigned catalog feeds (issue 22, section 2, class 1).

The held-out attack suite found parsers whose work grew without bound with their input: a
three-line .reg that raised IndexError outside the per-machine boundary, 1,500 nested
folders that blew Python's recursion limit, a .reg of one 8-million-level key path costing
~230 bytes of memory per input byte, a 1 MiB cabinet whose 65,535 folders share one run of
data blocks (an hour of directory parsing under the share lock), a package whose appended
cabinet inflates to gigabytes while merely inspected, and 40 MB of empty catalog elements.
Each class is tested with the member seen and new ones: each limit is checked before the
work, and its refusal names the file and the limit.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from hfstage.cab import parse_layout
from hfstage.errors import InputError, UnsafeInputError
from hfstage.inventory.regfile import RegExport, parse_reg_text
from hfstage.packages.inspect import inspect_package
from tests.conftest import DATA, demo_with_cabinet

HEADER = b"REGEDIT4\r\n\r\n"


@pytest.fixture
def site(tmp_path):
    """The demo share after its first month."""
    share = demo_with_cabinet(tmp_path / "share", "month1")
    assert _hf("month", share.root, "--fail-on", "none").returncode == 0
    return share


def _hf(*args, timeout=300) -> subprocess.CompletedProcess:
    """hfstage in a process of its own: a hang fails the test instead of blocking it."""
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def set_limit(share, section: str, key: str, value: object) -> None:
    """KEY = VALUE in SECTION of the share's site.ini."""
    text = share.site_ini.read_text()
    if f"[{section}]\n" not in text:
        text += f"\n[{section}]\n"
    share.site_ini.write_text(text.replace(f"[{section}]\n", f"[{section}]\n{key} = {value}\n", 1))


# VmHWM, not ru_maxrss: Linux carries ru_maxrss across fork and exec, so a child of a large pytest process
# starts at the parent's size; VmHWM belongs to the address space exec makes new
_MEASURED = ("import sys\ntry:\n    exec(sys.argv[1])\nfinally:\n"
             "    hwm = [ln for ln in open('/proc/self/status') if ln.startswith('VmHWM:')][0].split()[1]\n"
             "    print('PEAK-KIB', hwm, file=sys.stderr)\n")


def _peak_mib(code: str, timeout=300) -> tuple[float, subprocess.CompletedProcess]:
    """Peak resident memory (MiB) of a fresh Python running CODE (measured by that process itself: the
    children's figure would be the largest of every process the test session ever waited for), and how it ended."""
    done = subprocess.run([sys.executable, "-c", _MEASURED, code], capture_output=True, text=True, timeout=timeout)
    peak = int(done.stderr.rsplit("PEAK-KIB ", 1)[1].split()[0])
    return peak / 1024, done


# --- .reg exports ---------------------------------------------------------------------------

@pytest.mark.parametrize("line, why", [
    ("[-]", "names no key"),  # seen: IndexError
    ("[-\\]", "names no key"),
    ("[-\\\\\\\\]", "names no key"),
    ("[\\\\]", "names no key"),
    ("[" + "k\\" * 600 + "]", "deeper than the registry's 512 levels"),
    ("[-" + "k\\" * 600 + "]", "deeper than the registry's 512 levels"),
    ("[HKEY_LOCAL_MACHINE\\" + "n" * 300 + "]", "longer than the registry's 255 characters"),
])
def test_a_key_line_beyond_the_registrys_own_limits_is_one_warning(line, why):
    export = parse_reg_text(HEADER + line.encode() + b"\r\n\"a\"=\"b\"\r\n", "x.reg")
    assert len(export.warnings) == 2, export.warnings  # the key line, then its value outside any key
    assert export.warnings[0].startswith("x.reg line 3: cannot parse (") and why in export.warnings[0]


@pytest.mark.parametrize("lines", [
    [f"[HKEY_LOCAL_MACHINE\\Software\\k{i}]" for i in range(1001)],  # siblings
    ["[HKEY_LOCAL_MACHINE\\Software\\k]"] + [f'"v{i}"="x"' for i in range(1001)],  # values of one key
    ["[" + "\\".join(f"k{i}" for i in range(500)) + "]", "[" + "\\".join(f"j{i}" for i in range(500)) + "]",
     "[" + "\\".join(f"m{i}" for i in range(500)) + "]"],  # paths under the depth limit, many keys in all
])
def test_more_keys_and_values_than_the_limit_refuse_the_export(lines):
    data = HEADER + "\r\n".join(lines).encode() + b"\r\n"
    with pytest.raises(UnsafeInputError, match=r"x\.reg: refused: more than 1000 registry keys and values "
                                               r"\(\[limits\] reg_entries"):
        parse_reg_text(data, "x.reg", RegExport(max_entries=1000))


def test_an_export_of_one_enormous_key_path_costs_little_memory(tmp_path):
    """Seen: 16 MiB of one 8-million-level key path took ~230 bytes per input byte (the month was OOM-killed)."""
    path = tmp_path / "deep.reg"
    path.write_bytes(HEADER + b"[" + b"k\\" * (2 * 1024 * 1024) + b"]\r\n")  # 4 MiB, 2 million levels
    peak, done = _peak_mib(f"from hfstage.inventory.regfile import parse_reg_text; import pathlib; "
                           f"e = parse_reg_text(pathlib.Path({str(path)!r}).read_bytes(), 'deep.reg'); "
                           "print(e.warnings[0][:80])")
    assert done.returncode == 0, done.stderr
    assert "deeper than the registry's 512 levels" in done.stdout
    assert peak < 250, f"{peak:.0f} MiB for a 4 MiB export"  # was ~900 MiB


def test_malformed_exports_in_the_spool_and_in_a_machine_never_stop_a_month(site):
    """Seen: `[-]` in inventory\\_unnamed made every month exit 70 (IndexError outside the per-machine boundary)."""
    spool = site.folder("inventory") / "_unnamed" / "mallory"
    spool.mkdir(parents=True)
    (spool / "hf01.reg").write_bytes(b"REGEDIT4\r\n\r\n[-]\r\n")
    (spool.parent / "eve").mkdir()
    (spool.parent / "eve" / "hf01.reg").write_bytes(HEADER + b"[-\\]\r\n[" + b"a\\" * 5000 + b"]\r\n")
    w98 = site.folder("inventory") / "W98" / "hf01.reg"
    w98.write_bytes(w98.read_bytes() + b"\r\n[-]\r\n[" + b"k\\" * 1000 + b"]\r\n")
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    assert f"{spool}: left in place" in done.stdout and f"{spool.parent / 'eve'}: left in place" in done.stdout
    page = (site.folder("reports") / "machines" / "W98.html").read_text()
    assert "deeper than the registry&#39;s 512 levels" in page and "names no key" in page


def test_a_machine_over_the_reg_entries_limit_is_one_unreadable_row(site):
    set_limit(site, "limits", "reg_entries", 10000)
    w98 = site.folder("inventory") / "W98" / "hf01.reg"
    w98.write_bytes(w98.read_bytes() + "".join(f"\r\n[HKEY_LOCAL_MACHINE\\Software\\Junk\\k{i}]"
                                               for i in range(12000)).encode())
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    assert "W98" in done.stdout.split("unreadable machine(s):")[1]
    page = (site.folder("reports") / "machines" / "W98.html").read_text()
    assert "refused: more than 10000 registry keys and values" in page


# --- client folder trees --------------------------------------------------------------------

@pytest.fixture
def nest():
    """_nest, with the chains it made removed afterwards without recursion (pytest's own cleanup recurses)."""
    made: list[Path] = []
    yield lambda top, depth: made.append(top) or _nest(top, depth)
    for top in made:
        _unnest(top)


def _unnest(top: Path) -> None:
    """Remove the chain of folders below TOP, deepest first, through descriptors."""
    fds = [os.open(top, os.O_RDONLY)]
    while True:
        try:
            fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
        except FileNotFoundError:
            break
    while len(fds) > 1:
        os.close(fds.pop())
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def _nest(top: Path, depth: int) -> None:
    """DEPTH nested folders below TOP, made through descriptors (the path grows past PATH_MAX)."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for _ in range(depth):
            os.mkdir("d", dir_fd=fd)
            new = os.open("d", os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = new
    finally:
        os.close(fd)


@pytest.mark.parametrize(("bound", "said"), [("export_bytes", True), ("hive_bytes", False)])
def test_the_spool_is_read_within_the_default_limits_whatever_site_ini_raises(site, bound, said):
    """The _unnamed spool is read in the run's own process, which has no address-space cap, and anyone may write
    there (a cold review): a site that raises a bound for a machine that needs it lets the spool's exports grow
    with it. A sparse 129 MiB "export" under export_bytes = 256 MiB was read whole; it is refused by its size, and
    the note says why raising the bound did not help, only where the spool's own bounds were raised (SAID)."""
    set_limit(site, "limits", bound, 256 * 1024 * 1024)
    spool = site.folder("inventory") / "_unnamed" / "trudy"
    spool.mkdir(parents=True)
    with open(spool / "hf01.reg", "wb") as fh:
        fh.truncate(129 * 1024 * 1024)
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    assert f"{spool}: left in place: " in done.stdout, done.stdout
    assert "larger than any real registry export (134217728 bytes" in done.stdout
    assert ("the spool is read within the default [limits], whatever site.ini raises" in done.stdout) is said


@pytest.mark.parametrize("depth", [1500, 4000])
def test_deeply_nested_folders_in_a_client_tree_are_one_refusal_everywhere(site, nest, depth):
    """Seen: 1,500 nested folders under files\\ raised RecursionError in fingerprinting, share check and the dry run."""
    nest(site.folder("inventory") / "NORES" / "files", depth)
    spool = site.folder("inventory") / "_unnamed" / "bob"
    spool.mkdir(parents=True)
    nest(spool, depth)
    inventory = _hf("inventory", site.root)
    assert inventory.returncode == 1, inventory.stderr  # findings, not an internal error
    assert "NORES" in inventory.stdout and "nested more than 32 deep" in inventory.stdout
    check = _hf("share", "check", site.root)
    assert check.returncode == 1, check.stderr
    assert f"{site.folder('inventory') / 'NORES'}: refused: folders nested more than 32 deep" in check.stdout
    assert f"{spool}: refused: folders nested more than 32 deep" in check.stdout
    dry = _hf("month", site.root, "--dry-run", "--fail-on", "none")
    assert dry.returncode == 0, dry.stderr
    assert "nested more than 32 deep" in (site.folder("reports") / "machines" / "NORES.html").read_text() or \
        "NORES" in dry.stdout


def test_a_tree_with_more_entries_than_the_limit_is_refused_by_name(site):
    set_limit(site, "limits", "tree_entries", 1000)
    junk = site.folder("inventory") / "NORES" / "files" / "junk"
    junk.mkdir()
    for i in range(1001):
        (junk / f"f{i}").touch()
    done = _hf("month", site.root, "--fail-on", "none")
    assert done.returncode == 0, done.stderr
    page = (site.folder("reports") / "machines" / "NORES.html").read_text()
    assert "refused: more than 1000 files and folders below it ([limits] tree_entries" in page
    check = _hf("share", "check", site.root)
    assert "refused: more than 1000 files and folders" in check.stdout


# --- cabinets -------------------------------------------------------------------------------

CFHEADER = struct.Struct("<4sIIIIIBBHHHHH")


def _cabinet(folders: list[tuple[int, int]], blocks: bytes, blocks_at_end: bool = True,
             members: list[tuple[bytes, int, int, int]] = ((b"a.txt", 0, 0, 0),)) -> bytes:
    """A cabinet whose FOLDERS are (offset into BLOCKS, number of blocks); MEMBERS (name, size, folder, offset)."""
    files = b"".join(struct.pack("<IIHHHH", size, offset, folder, 0x21, 0, 0x20) + name + b"\0"
                     for name, size, folder, offset in members)
    folders_at = CFHEADER.size
    files_at = folders_at + 8 * len(folders)
    data_at = files_at + len(files)
    table = b"".join(struct.pack("<IHH", data_at + offset, count, 0) for offset, count in folders)
    size = data_at + len(blocks)
    header = CFHEADER.pack(b"MSCF", 0, size, 0, files_at, 0, 3, 1, len(folders), len(members), 0, 0, 0)
    return header + table + files + blocks


def _stored_block(data: bytes) -> bytes:
    return struct.pack("<IHH", 0, len(data), len(data)) + data


def test_the_seen_cabinet_of_65535_folders_sharing_one_run_is_refused_at_once(tmp_path):
    """Seen: ~1 hour of directory parsing under the share lock, before any signature check."""
    cab = tmp_path / "shared.cab"
    cab.write_bytes(_cabinet([(0, 65535)] * 65535, struct.pack("<IHH", 0, 0, 0) * 65535))
    assert cab.stat().st_size < 1100 * 1024
    done = _hf("cab", "list", cab, timeout=60)
    assert done.returncode == 3
    assert "its 65535 folders claim 4294836225 data blocks, more than" in done.stderr


@pytest.mark.parametrize("folders, why", [
    ([(0, 2), (0, 2)], "folders 0 and 1 share or overlap data blocks"),  # two folders, one run
    ([(0, 2), (12, 1)], "folders 0 and 1 share or overlap data blocks"),  # the second starts inside the first
    ([(12, 1), (0, 2)], "folders 1 and 0 share or overlap data blocks"),  # listed the other way round
    ([(0, 3)], "truncated cabinet"),  # a run past the end of the file
])
def test_folders_that_share_or_overrun_their_data_are_refused(folders, why):
    blocks = _stored_block(b"abcd") + _stored_block(b"efgh")
    with pytest.raises(InputError, match=why):
        parse_layout(_cabinet(folders, blocks), "x.cab")


def test_folders_side_by_side_still_parse():
    blocks = _stored_block(b"abcd") + _stored_block(b"efgh")
    layout = parse_layout(_cabinet([(0, 1), (12, 1)], blocks, members=[(b"a", 4, 0, 0), (b"b", 4, 1, 0)]), "x.cab")
    assert [f.data_blocks for f in layout.folders] == [1, 1]


def _pe_with_cabinet(cabinet: bytes) -> bytes:
    """tests/data/packages/plain.exe (a mingw-built PE with no overlay) with CABINET appended, as SFXCAB does."""
    return (DATA / "packages" / "plain.exe").read_bytes() + cabinet


def test_a_package_whose_appended_cabinet_shares_blocks_is_inspected_at_once(tmp_path):
    package = tmp_path / "fake.exe"
    package.write_bytes(_pe_with_cabinet(_cabinet([(0, 65535)] * 65535, struct.pack("<IHH", 0, 0, 0) * 65535)))
    done = subprocess.run([sys.executable, "-c", "import sys; from hfstage.packages.inspect import inspect_package; "
                           f"f = inspect_package('fake.exe', open({str(package)!r}, 'rb').read(), None); "
                           "print(f.members, f.appended_cabinet)"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "False"]


def _zero_run_package(blocks: int) -> bytes:
    """A PE whose appended MSZIP cabinet holds BLOCKS blocks of 32 KiB of zeros (~40 bytes each), then a real
    update.exe: a few hundred KB on disk that inflate to BLOCKS x 32 KiB before update.exe is reached."""
    inner = (DATA / "packages" / "update.exe").read_bytes()
    zero = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero_block = b"CK" + zero.compress(bytes(32768)) + zero.flush()
    data = b""
    for start in range(0, len(inner), 32768):
        chunk = inner[start:start + 32768]
        deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = b"CK" + deflate.compress(chunk) + deflate.flush()
        data += struct.pack("<IHH", 0, len(packed), len(chunk)) + packed
    zeros = (struct.pack("<IHH", 0, len(zero_block), 32768) + zero_block) * blocks
    count = blocks + (len(inner) + 32767) // 32768
    cabinet = _cabinet([(0, count)], zeros + data, members=[(b"update\\update.exe", len(inner), 0, blocks * 32768)])
    cabinet = cabinet[:CFHEADER.size] + struct.pack("<IHH", struct.unpack_from("<I", cabinet, 36)[0], count, 1) + \
        cabinet[CFHEADER.size + 8:]  # the folder is MSZIP
    return _pe_with_cabinet(cabinet)


def test_inspecting_a_package_never_inflates_past_the_budget(tmp_path):
    """Seen: a 7 MB fake package's appended cabinet was inflated whole (~8 GiB) while merely inspected."""
    small = _zero_run_package(16)  # update.exe 512 KiB into its folder: read, as before
    assert inspect_package("small.exe", small, None).inner_update_version == "5.3.18.6"
    package = tmp_path / "big.exe"
    package.write_bytes(_zero_run_package(4200))  # 131 MiB of zeros before update.exe
    assert package.stat().st_size < 1024 * 1024
    peak, done = _peak_mib("from hfstage.packages.inspect import inspect_package; "
                           f"f = inspect_package('big.exe', open({str(package)!r}, 'rb').read(), None); "
                           "print(f.members, f.inner_update_version)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['update\\\\update.exe'] None"
    assert peak < 200, f"{peak:.0f} MiB to inspect a {package.stat().st_size} byte package"


# --- catalogs -------------------------------------------------------------------------------

def _xml(body: bytes) -> bytes:
    return b'<?xml version="1.0"?>\n<BulletinDatastore DataVersion="9.9.9.9">' + body + b"</BulletinDatastore>"


def test_the_seen_40_mb_catalog_of_empty_elements_is_refused_before_parsing(site, tmp_path):
    xml = tmp_path / "empty.xml"
    xml.write_bytes(_xml(b"<a/>" * (10 * 1024 * 1024)))
    code = (f"import sys; from hfstage.cli import main; sys.exit(main(['catalog', 'import', {str(site.root)!r}, "
            f"'--xml', {str(xml)!r}, '--allow-unsigned']))")
    peak, done = _peak_mib(code)
    assert done.returncode == 3, done.stderr
    assert "refused: about 10485762 elements" in done.stderr and "[catalog] max_elements" in done.stderr
    assert peak < 400, f"{peak:.0f} MiB"
    assert not (site.folder("catalogs") / "9.9.9.9").exists()


@pytest.mark.parametrize("body", [
    b"<Bulletins>" + b'<Bulletin BulletinID="MS99-001"/>' * 12000 + b"</Bulletins>",  # real element names
    b"<x " + b" ".join(f'a{i}=""'.encode() for i in range(90000)) + b"/>",  # attributes of one element
    b"<Comments>" + b"<Comment><!-- -->text</Comment>" * 12000 + b"</Comments>",
])
def test_site_ini_sets_the_element_limit_and_every_flood_is_refused(site, tmp_path, body):
    set_limit(site, "catalog", "max_elements", 10000)
    xml = tmp_path / "flood.xml"
    xml.write_bytes(_xml(body))
    done = _hf("catalog", "import", site.root, "--xml", xml, "--allow-unsigned")
    assert done.returncode == 3, done.stderr
    assert f"{xml}: refused: about" in done.stderr and "than the 10000 elements a catalog may hold" in done.stderr


def test_the_real_2001_catalog_is_far_inside_the_default_limit(real_catalog_path):
    from hfstage.catalog import parse_catalog

    catalog = parse_catalog(real_catalog_path.read_bytes(), "mssecure_2001.xml", max_elements=20000)
    assert catalog.data_version
