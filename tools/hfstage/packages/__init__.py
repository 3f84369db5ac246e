"""Packages under hotfixes\\: which catalog entries are one build and where each build's file lies, what
each one is (read from its own bytes), how it installs and from which source that was decided, which
ones an admin confirmed (pinned by SHA-256), and the fetch list of builds the scripts need that the
share lacks."""

from hfstage.packages.book import PackageBook, Verdict, guess_problem, package_book
from hfstage.packages.builds import Build, BuildTable, catalog_builds
from hfstage.packages.decide import (
    Decision,
    decide,
    detect_engine,
    load_engines,
    load_installers,
    uninstall_folder,
)
from hfstage.packages.fetch import FETCH_HEADER, MissingPackage, fetch_list, tool_list, with_languages
from hfstage.packages.index import Package, PackageIndex, package_index
from hfstage.packages.inspect import PackageFacts, inspect_package
from hfstage.packages.target import inf_target, parse_inf, target_problem

__all__ = [
    "FETCH_HEADER", "guess_problem", "inf_target", "parse_inf", "target_problem",
    "Build", "BuildTable", "Decision", "MissingPackage", "Package", "PackageBook", "PackageFacts",
    "PackageIndex", "Verdict", "catalog_builds", "decide", "detect_engine", "fetch_list", "inspect_package",
    "load_engines", "load_installers", "package_book", "package_index", "tool_list", "uninstall_folder",
    "with_languages",
]
