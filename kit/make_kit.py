"""Make an offline kit of hfstage for a server that has never seen the internet.

Run on any connected machine with Python 3.10+ and pip, from a checkout of hfstage:

    python3.11 kit/make_kit.py KIT [--platform manylinux_2_36_x86_64] [--debs]

KIT then holds wheels/ (hfstage's wheel and a wheel of every dependency for the target Python
and platform: `hfstage --version -v` on a server says which ones it has), SHA256SUMS,
debian-packages.txt, INSTALL.txt with the one-line install, and with --debs the .deb files of
those packages for a Debian release like this machine's. The kit is for the Python that runs
this script (pip judges dependencies' markers, such as `python_version < "3.11"`, by the
running interpreter, so a kit for another Python would silently lack some), and for this
machine's platform unless --platform names the server's. The kit is checked before this
script ends: pip resolves hfstage from it alone, for the target, with no index.
"""

from __future__ import annotations

import argparse
import hashlib
import platform
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# what the server needs from Debian: python3-venv for the virtual environment, libarchive13 for
# LZX-compressed cabinets (cab/extract.py; most signed catalogs of the era are LZX)
DEBIAN_PACKAGES = {
    "python3-venv": "makes the virtual environment hfstage is installed into",
    "libarchive13": "reads LZX-compressed cabinets (mssecure.cab and most packages of the era)",
}


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    kit: Path = args.kit
    if kit.exists() and any(kit.iterdir()):
        print(f"make_kit: {kit} exists and is not empty: give a new folder", file=sys.stderr)
        return 2
    wheels = kit / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    python = ".".join(platform.python_version_tuple()[:2])
    target = ["--python-version", python, "--implementation", "cp", "--only-binary=:all:"]
    for tag in platforms(args.platform):
        target += ["--platform", tag]
    with tempfile.TemporaryDirectory(prefix="hfstage-kit-") as tmp:
        try:
            pip = _fresh_pip(Path(tmp) / "venv")
            built = Path(tmp) / "built"
            # hfstage's own wheel, and wheels of dependencies published only as source (pure Python)
            _run(*pip, "wheel", "--quiet", "--wheel-dir", str(built), str(REPO))
            version = _hfstage_version(built)
            _run(*pip, "download", "--quiet", "--dest", str(wheels), "--find-links", str(built), *target,
                 f"hfstage=={version}")
            _run(*pip, "install", "--quiet", "--dry-run", "--ignore-installed", "--no-index", "--find-links",
                 str(wheels), "--target", str(Path(tmp) / "check"), *target, f"hfstage=={version}")
        except subprocess.CalledProcessError as e:
            print(f"make_kit: `{' '.join(e.cmd[1:4])} ...` failed (exit {e.returncode}): see its messages above; "
                  f"{kit} is incomplete", file=sys.stderr)
            return 1
    _write_sums(kit)
    (kit / "debian-packages.txt").write_text("".join(f"{name}\t{why}\n" for name, why in DEBIAN_PACKAGES.items()))
    (kit / "INSTALL.txt").write_text(_install_text(version, python, args.platform))
    if args.debs:
        _download_debs(kit / "debs")
    print(f"{kit}: hfstage {version} for Python {python} on {args.platform}: "
          f"{len(list(wheels.glob('*.whl')))} wheels; read {kit / 'INSTALL.txt'}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="make_kit.py", description=__doc__.split("\n\n")[0],
                                     epilog="Run it with the server's Python version (python3.10, python3.11 ...).")
    parser.add_argument("kit", type=Path, help="a new folder for the kit")
    parser.add_argument("--platform", default=_this_platform(),
                        help=f"the server's wheel platform (default {_this_platform()}; "
                        "`hfstage --version -v` on a server prints its own)")
    parser.add_argument("--debs", action="store_true",
                        help="also download the Debian packages (for a server on this machine's Debian release)")
    return parser


def _this_platform() -> str:
    libc, version = platform.libc_ver()
    if libc == "glibc" and re.fullmatch(r"\d+\.\d+", version):
        major, minor = version.split(".")
        return f"manylinux_{major}_{minor}_{platform.machine()}"
    import sysconfig

    return sysconfig.get_platform().replace("-", "_").replace(".", "_")


def platforms(newest: str) -> list[str]:
    """NEWEST and every older platform tag a server of it installs: pip takes only the tags it is given,
    and a manylinux_2_36 system runs manylinux_2_34 wheels (cryptography's) as well as manylinux2014."""
    found = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", newest)
    if found is None:
        return [newest]
    major, minor, arch = int(found[1]), int(found[2]), found[3]
    tags = [f"manylinux_{major}_{m}_{arch}" for m in range(minor, 4, -1)]
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    return tags + [f"{name}_{arch}" for m, name in legacy.items() if major == 2 and m <= minor]


def _fresh_pip(venv: Path) -> list[str]:
    """pip in a virtual environment of this Python, brought up to date: an old pip cannot build wheels of
    packages published only as source, or resolve for another platform."""
    _run(sys.executable, "-m", "venv", str(venv))
    python = str(venv / ("Scripts" if sys.platform == "win32" else "bin") / "python")
    _run(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools", "wheel")
    return [python, "-m", "pip", "--disable-pip-version-check"]


def _run(*command: str) -> None:
    subprocess.run(command, check=True)


def _hfstage_version(folder: Path) -> str:
    found = sorted(folder.glob("hfstage-*.whl"))
    if len(found) != 1:
        raise SystemExit(f"make_kit: expected one hfstage wheel in {folder}, found {len(found)}")
    return found[0].name.split("-")[1]


def _write_sums(kit: Path) -> None:
    """SHA256SUMS in `sha256sum -c` form, for every file of the kit but itself."""
    lines = []
    for path in sorted(p for p in kit.rglob("*") if p.is_file() and p.name != "SHA256SUMS"):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(kit).as_posix()}\n")
    (kit / "SHA256SUMS").write_text("".join(lines))


def _download_debs(folder: Path) -> None:
    if shutil.which("apt-get") is None:
        raise SystemExit("make_kit: --debs needs apt-get (a Debian or Ubuntu machine)")
    folder.mkdir()
    subprocess.run(["apt-get", "download", *DEBIAN_PACKAGES], cwd=folder, check=True)


def _install_text(version: str, python: str, target: str) -> str:
    packages = " ".join(DEBIAN_PACKAGES)
    return f"""hfstage {version}: offline kit for Python {python} on {target}

On the server (no network needed), from the folder that holds this file:

 1. Check the kit arrived whole:
        sha256sum -c SHA256SUMS
 2. The Debian packages ({packages}); from debs/ when the kit has them:
        apt-get install {packages}        (or: dpkg -i debs/*.deb)
 3. Install (one line; nothing but the kit is read):
        python3 -m venv /opt/hfstage && /opt/hfstage/bin/pip install --no-index --find-links wheels hfstage
 4. Check what was installed and what was found:
        /opt/hfstage/bin/hfstage --version -v

A server with another Python or platform needs its own kit, made with that Python version:
`hfstage --version -v` there (or `python3 -V` and `ldd --version`) tells which, and the
--platform to give make_kit.py.
"""


if __name__ == "__main__":
    sys.exit(main())
