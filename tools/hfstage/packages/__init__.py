"""Packages under hotfixes\\: what each one is (read from its own bytes), how it installs and from
which source that was decided, which ones an admin confirmed (pinned by SHA-256), and the
fetch list of packages the scripts need that the share lacks."""

from hfstage.packages.book import PackageBook, Verdict, package_book
from hfstage.packages.decide import Decision, decide, detect_engine, load_engines, load_installers
from hfstage.packages.index import FETCH_HEADER, MissingPackage, PackageIndex, fetch_list, package_index
from hfstage.packages.inspect import PackageFacts, inspect_package

__all__ = [
    "FETCH_HEADER", "Decision", "MissingPackage", "PackageBook", "PackageFacts", "PackageIndex", "Verdict", "decide",
    "detect_engine", "fetch_list", "inspect_package", "load_engines", "load_installers", "package_book",
    "package_index",
]
