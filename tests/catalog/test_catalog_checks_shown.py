"""Evidence the admin can read (issue 23, section 4), on the genuine 2001 catalog.

`catalog show` lists each file check with its kind (the catalog's own Commands: c change, a add, e change
if exists and ignore if not, ...) and its checksum: 168 of MS01-041's 170 file checks are "only if
present". `scan -v` says which kind of check decided each finding. And the direction of supersedence:
a patch's SBID names the newer patch that contains it (MS01-015's q286045.exe -> MS01-027's q299618.exe).
"""

from __future__ import annotations

from hfstage.assess import SitePolicy, assess_all
from hfstage.catalog import parse_catalog_file, superseding
from hfstage.inventory import gather_facts
from hfstage.report.findings import render_text
from tests.conftest import DATA


def test_catalog_show_gives_each_file_checks_kind_and_checksum(run, share, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    code, out, _ = run("catalog", "show", share.root, "--bulletin", "MS01-041")
    assert code == 0
    assert "    file checks: 92 e: change if exists, ignore if not, 2 a: add" in out  # one of its patches
    files = [line for line in out.splitlines() if line.strip().startswith("file %")]
    assert len(files) == 170 and all(" checksum " in line for line in files)
    assert sum("[a: add]" in line for line in files) == 2
    assert sum("[e: change if exists, ignore if not]" in line for line in files) == 168


def test_scan_verbose_says_which_kind_of_check_decided(real_catalog_path):
    catalog = parse_catalog_file(real_catalog_path)
    (a,) = assess_all([gather_facts(DATA / "scan-inventory" / "SCAN-NT4", catalog)], catalog, SitePolicy())
    rollup = next(f for f in a.findings if f.patch == "Q299444i.exe")
    assert "e: change if exists, ignore if not" in rollup.decided_by
    assert "(decided by the catalog's " in render_text([a], verbose=True)


def test_a_patchs_sbid_names_the_newer_patch_that_contains_it(real_catalog_path):
    catalog = parse_catalog_file(real_catalog_path)
    old = next(p for p in catalog.bulletins["MS01-015"].patches if p.name == "q286045.exe")
    assert superseding(catalog, old) == ["MS01-027 q299618.exe"]
    new = next(p for p in catalog.bulletins["MS01-027"].patches if p.name == "q299618.exe")
    assert "MS01-015" not in " ".join(superseding(catalog, new))
