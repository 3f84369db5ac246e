"""`hfstage --version [-v]`: hfstage's version, and with -v what it runs on, so an admin knows what an
offline kit for this server must hold (Python, every dependency's version, the system libraries found)."""

from __future__ import annotations

import platform
import re
import sqlite3
import sys
import sysconfig
from importlib import metadata

from hfstage import __version__


def version_lines(verbose: bool) -> list[str]:
    """`hfstage VERSION`, then with VERBOSE the interpreter, the dependencies and the system libraries."""
    lines = [f"hfstage {__version__}"]
    if not verbose:
        return lines
    lines.append(f"python {platform.python_version()} ({sys.implementation.name}, {platform.machine()}, "
                 f"{_platform_tag()})")
    lines.append("dependencies (Python packages, from hfstage's requirements and theirs):")
    lines += [f"  {name} {version}" for name, version in _dependencies("hfstage")]
    lines.append("system libraries:")
    lines += [f"  {name}: {found}" for name, found in _system_libraries()]
    return lines


def _platform_tag() -> str:
    """The newest wheel platform this interpreter takes (what a kit's `--platform` names)."""
    libc, version = platform.libc_ver()
    if libc != "glibc" or not re.fullmatch(r"\d+\.\d+", version):
        return sysconfig.get_platform()
    major, minor = version.split(".")
    return f"manylinux_{major}_{minor}_{platform.machine()}"


def _dependencies(root: str) -> list[tuple[str, str]]:
    """Every installed distribution ROOT needs, directly or not (extras left out), with its version."""
    seen: dict[str, str] = {}
    todo = [root]
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name != root:
                seen.setdefault(_canonical(name), "NOT INSTALLED")
            continue
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            wanted = _canonical(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])
            version = _installed_version(wanted)
            if ";" in requirement and version is None:
                continue  # needed only elsewhere (another Python, another system)
            if wanted not in seen:
                seen[wanted] = version or "NOT INSTALLED"
                todo.append(wanted)
    return sorted(seen.items())


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _system_libraries() -> list[tuple[str, str]]:
    return [("libarchive (LZX cabinets)", _libarchive()), ("OpenSSL (through cryptography)", _openssl()),
            ("SQLite (state\\history.sqlite)", sqlite3.sqlite_version)]


def _libarchive() -> str:
    try:
        import libarchive.ffi
    except (ImportError, OSError) as e:  # libarchive-c raises OSError when the C library is absent
        return f"not found ({e}): LZX cabinets cannot be read; install the Debian package libarchive13"
    number = libarchive.ffi.version_number()
    return f"{number // 1000000}.{number // 1000 % 1000}.{number % 1000}"


def _openssl() -> str:
    try:
        from cryptography.hazmat.backends.openssl import backend
    except ImportError as e:
        return f"not found ({e})"
    return backend.openssl_version_text()
