"""`hfstage --version -v`: what an admin must carry to an air-gapped server, read from the installed
distributions (README: Installing at an air-gapped site)."""

from __future__ import annotations

import re
from importlib import metadata

import pytest


def _requirements() -> list[str]:
    names = []
    for requirement in metadata.requires("hfstage") or []:
        if "extra ==" not in requirement:
            names.append(re.sub(r"[-_.]+", "-", re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0]).lower())
    return names


def test_version_alone_is_one_line(run):
    code, out, _ = run("--version")
    assert code == 0 and re.fullmatch(r"hfstage \d+\.\d+\.\d+\n", out)


@pytest.mark.parametrize("argv", [("--version", "-v"), ("-v", "--version"), ("--verbose", "--version")])
def test_version_v_names_python_every_dependency_and_the_system_libraries(run, argv):
    code, out, _ = run(*argv)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("hfstage ") and lines[1].startswith("python ")
    listed = dict(line.split()[:2] for line in lines if line.startswith("  ") and ":" not in line)
    for name in _requirements():
        assert listed.get(name) == metadata.version(name), name
    # and what they need in turn (cryptography -> cffi), never what only another Python would
    assert listed.get("cffi") == metadata.version("cffi")
    assert not any(version == "NOT" for version in listed.values())
    libraries = {line.split(":")[0].strip(): line for line in lines if line.startswith("  ") and ":" in line}
    assert re.search(r": \d+\.\d+\.\d+$", libraries["libarchive (LZX cabinets)"])
    assert "OpenSSL" in libraries["OpenSSL (through cryptography)"]
