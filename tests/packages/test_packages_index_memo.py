"""A package index finds each catalog entry's package once (issue 20: 5,000 machines' plans asked it again and
again for the same few dozen, each answer a new Package made by dataclasses.replace). What it remembers must
be its own: an index made from another (package_index reuses a walk under another catalog's builds) starts
with nothing remembered, so it never answers with the other's file."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hfstage.packages.index import PackageIndex


def test_an_entry_is_found_once_and_an_index_made_from_it_finds_its_own():
    index = PackageIndex(Path("hotfixes"), files={"q299444i.exe": ["Q299444i.exe"]})
    first = index.package("MS01-041", "Q299444i.exe")
    assert first.rel == "Q299444i.exe" and index.package("MS01-041", "Q299444i.exe") is first
    moved = replace(index, files={"q299444i.exe": ["NT4\\Q299444i.exe"]}, _stats=None)
    assert moved.package("MS01-041", "Q299444i.exe").rel == "NT4\\Q299444i.exe"
    assert index.package("MS01-041", "Q299444i.exe").rel == "Q299444i.exe"
