"""The package book, held by the conductor (pipeline.Site.book): one walk of hotfixes\\ and one book per run.

The story: one `month` on the demo used to walk hotfixes\\ four times (the site.ini check twice, the scripts,
the fetch list) and build the package book twice by two routes (the plan's, the scripts'); and the plan's
rollback column had a source of truth of its own that ignored site.ini's [installers] for a package not yet
on the share, so the plan could promise one uninstall command while the scripts would run another. Now the
run holds one book, every step reads it, and the report stage decides nothing about packages.
"""

from __future__ import annotations

import os

import pytest

from hfstage import packages, resources
from hfstage.packages import PackageBook
from hfstage.pipeline import Site, build_demo_share, month, month_plan
from tests.house.test_layering import PACKAGE, _imports


@pytest.fixture
def demo(tmp_path):
    share = build_demo_share(tmp_path / "demo")
    cab = share.folder("incoming") / "month1.cab"
    cab.write_bytes((resources.data("examples", "incoming") / "month1" / "mssecure.cab").read_bytes())
    return share, cab


def test_one_month_walks_hotfixes_once_and_holds_one_book(demo, monkeypatch):
    share, cab = demo
    hotfixes = os.path.abspath(share.folder("hotfixes"))
    walks, books = [], []
    real_walk, real_init = os.walk, PackageBook.__init__

    def walk(top, *args, **kwargs):
        if os.path.abspath(top) == hotfixes:
            walks.append(top)
        return real_walk(top, *args, **kwargs)

    def init(self, *args, **kwargs):
        books.append(self)
        real_init(self, *args, **kwargs)

    monkeypatch.setattr(os, "walk", walk)
    monkeypatch.setattr(PackageBook, "__init__", init)
    done = month(Site(share), cab, say=lambda line: None, jobs=1)
    assert done.scripts is not None and done.scripts.plans  # the month did script machines from the book
    assert len(walks) == 1, f"hotfixes\\ walked {len(walks)} times"
    assert len(books) == 1, f"{len(books)} package books"


def test_the_plans_rollback_follows_site_ini_for_a_package_not_yet_on_the_share(demo):
    """Q300972_W2K_SP3_x86_en.EXE is not under hotfixes\\ yet; site.ini says it is an Update.exe package: the
    plan's rollback is Update.exe's spuninst, as the scripts will run it, not hotfix.exe's -y guessed from the name."""
    share, cab = demo
    month(Site(share), cab, say=lambda line: None, jobs=1)
    (share.folder("hotfixes") / "Q300972_W2K_SP3_x86_en.EXE").unlink()
    with open(share.site_ini, "a", encoding="utf-8") as ini:
        ini.write("\n[installers]\nQ300972_W2K_SP3_x86_en.EXE = update\n")
    (item,) = [i for i in month_plan(Site.open(share.root)).items if i.patch == "Q300972_W2K_SP3_x86_en.EXE"]
    assert item.rollback.startswith("update: ") and "$NtUninstallKB300972$\\spuninst\\spuninst.exe" in item.rollback
    assert "-y -z -m" not in item.rollback


def test_the_report_stage_imports_nothing_from_packages():
    found = [f"{p.relative_to(PACKAGE)}:{line}" for p in sorted((PACKAGE / "report").rglob("*.py"))
             for line, module in _imports(p) if module.split(".")[:2] == ["hfstage", "packages"]]
    assert found == [], "the conductor hands the report what it needs from the package book"
    assert packages.PackageBook.rollback_method  # the book says how a package is removed
