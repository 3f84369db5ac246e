"""A longer fuzz campaign than the tests run: random mutations of real fixtures fed to each
parser. Anything but a result or the project's own one-line error is a crash; the script
prints the iterations, the errors seen, the crashes, and the slowest input per parser.
Then every byte of the real whip.cab's signature blob is flipped in turn (each must be
refused), when ../shared/fixtures/real/whip.cab is there.
Usage: python bench/fuzz.py [ITERATIONS per parser, default 2000] [SEED]
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

from hfstage.cab import extract_cabinet, load_trust, verify_cabinet
from hfstage.catalog import parse_catalog
from hfstage.errors import HfstageError
from hfstage.inventory import gather_facts, read_pe_version
from hfstage.inventory.regfile import parse_reg_text
from hfstage.scripts.batch import UnsafeValue, check_file_name, check_machine_name, check_unc

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
WHIP = REPO.parent / "shared" / "fixtures" / "real" / "whip.cab"


def mutate(rng: random.Random, data: bytes, start: int = 0) -> bytes:
    """Overwrite, insert, delete or truncate a few bytes."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        pos = rng.randrange(start, max(start + 1, len(data)))
        kind = rng.random()
        if kind < 0.5:
            data[pos:pos + 4] = rng.randbytes(rng.randint(1, 4))
        elif kind < 0.7:
            data[pos:pos] = rng.randbytes(rng.randint(1, 16))
        elif kind < 0.9:
            del data[pos:pos + rng.randint(1, 64)]
        else:
            del data[pos:]
    return bytes(data)


def main() -> int:
    iterations = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    work = Path(tempfile.mkdtemp(prefix="hfstage-fuzz-"))
    trust = load_trust(REPO / "tools" / "hfstage" / "data" / "examples" / "trust")
    catalog = (REPO / "tools" / "hfstage" / "data" / "examples" / "catalog" / "month1.xml").read_bytes()
    reg = (DATA / "inventory" / "W98SE-ANSI" / "hf01.reg").read_bytes()
    pe = (DATA / "inventory" / "NT4WKS" / "files" / "WINNT" / "system32" / "rpcss.exe").read_bytes()
    cab = (REPO / "tools" / "hfstage" / "data" / "examples" / "incoming" / "month1" / "mssecure.cab").read_bytes()
    hive = (DATA / "inventory" / "NT4WKS" / "SOFTWARE").read_bytes()

    def cab_target(data: bytes) -> None:
        path = work / "f.cab"
        path.write_bytes(data)
        verify_cabinet(path, trust)
        out = work / "out"
        if out.exists():
            import shutil

            shutil.rmtree(out)
        extract_cabinet(path, out, max_bytes=16 * 1024 * 1024)

    def pe_target(data: bytes) -> None:
        (work / "f.dll").write_bytes(data)
        read_pe_version(work / "f.dll")

    def hive_target(data: bytes) -> None:
        machine = work / "M"
        machine.mkdir(exist_ok=True)
        (machine / "SOFTWARE").write_bytes(data)
        facts = gather_facts(machine)
        if facts.error and "\n" in facts.error:
            raise AssertionError("multi-line error")

    def names_target(data: bytes) -> None:
        text = data.decode("latin-1")
        for check in (check_machine_name, check_file_name, check_unc):
            try:
                accepted = check(text)
            except UnsafeValue:
                continue
            if set(accepted) & set('&|<>^%"\r\n'):
                raise AssertionError(f"{check.__name__} accepted {accepted!r}")

    targets = {
        "mssecure.xml parser": (lambda d: parse_catalog(d, "f.xml"), catalog, 0),
        ".reg parser": (lambda d: parse_reg_text(d, "f.reg"), reg, 0),
        "PE version reader": (pe_target, pe, 0),
        "CAB verify + extract": (cab_target, cab, 0),
        "hive reader (facts)": (hive_target, hive, 4096),
        "batch value checks": (names_target, b"\\\\SERVER\\share&x|y<z>^%\"\r\nPC001.exe", 0),
    }
    for name, (target, seed, start) in targets.items():
        errors, crashes, slowest = Counter(), [], (0.0, b"")
        began = time.perf_counter()
        for _ in range(iterations):
            data = mutate(rng, seed, start)
            t = time.perf_counter()
            try:
                target(data)
            except HfstageError as e:
                errors[type(e).__name__] += 1
                if "\n" in str(e):
                    crashes.append(f"multi-line message: {str(e)[:80]!r}")
            except Exception:  # noqa: BLE001 - a crash is what this looks for
                crashes.append(traceback.format_exc(limit=2).splitlines()[-1])
            elapsed = time.perf_counter() - t
            if elapsed > slowest[0]:
                slowest = (elapsed, data)
        print(f"{name}: {iterations} inputs in {time.perf_counter() - began:.1f} s; project errors "
              f"{dict(errors)}; crashes {len(crashes)}; slowest input {slowest[0] * 1000:.1f} ms")
        for crash in sorted(set(crashes))[:5]:
            print(f"    crash: {crash}")
    if WHIP.is_file():
        flip_every_byte(WHIP, work)
    return 0


def flip_every_byte(cab: Path, work: Path) -> None:
    """Flip each byte of CAB's signature blob (XOR 0x01, then 0xFF); with its own roots pinned
    the untouched cabinet is trusted, and every flipped one must be refused."""
    import struct

    from cryptography.hazmat.primitives.serialization import Encoding

    from hfstage.cab.pkcs7 import bag_certificates, load_signed_data

    data = cab.read_bytes()
    offset, length = struct.unpack_from("<II", data, 44)
    anchors = work / "anchors"
    anchors.mkdir(exist_ok=True)
    for i, cert in enumerate(bag_certificates(load_signed_data(data[offset:offset + length]))):
        if cert.subject == cert.issuer:
            (anchors / f"root{i}.pem").write_bytes(cert.public_bytes(Encoding.PEM))
    trust = load_trust(anchors)
    assert verify_cabinet(cab, trust).ok
    target = work / "flipped.cab"
    began, accepted, crashes = time.perf_counter(), [], 0
    for mask in (0x01, 0xFF):
        for pos in range(offset, offset + length):
            damaged = bytearray(data)
            damaged[pos] ^= mask
            target.write_bytes(bytes(damaged))
            try:
                if verify_cabinet(target, trust).ok:
                    accepted.append((pos - offset, mask))
            except HfstageError:
                pass
            except Exception:  # noqa: BLE001
                crashes += 1
    print(f"{cab.name}: {2 * length} single-byte flips of its {length}-byte signature blob in "
          f"{time.perf_counter() - began:.1f} s; accepted {len(accepted)} {accepted[:10]}; crashes {crashes}")


if __name__ == "__main__":
    sys.exit(main())
