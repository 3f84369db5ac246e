"""A package is a build of the catalog, not a file name (issue 19, item 2).

The genuine 2001 catalog gives different builds file names that differ only in case:
MS00-047 q269239i.exe (NT 4.0, PatchLocationID 165) and Q269239i.exe (NT 4.0 Terminal
Server Edition, PatchLocationID 220), the same NT 4.0 / TSE pairs in eight more bulletins,
MS01-017 Crlupd.exe (9x) and crlupd.exe (NT 4.0 / 2000) from one download page... while
msjavx86.exe is one file six bulletins reuse. hfstage used to find packages by folded file
name (the first one found won), so a Terminal Server ran the NT 4.0 build.

Here: the catalog's shared names are listed and classified; NT4SRV (NT 4.0 Server SP5) and
TSE01 (Terminal Server Edition SP6), hives made by hivexregedit from
tests/data/identity-src (make_machines.py), are scanned against the real catalog and each
gets its own build from its own folder; the fetch list gives each build its place; a shared
name placed flat, or two files for one build, is held back with one line naming both; a
name of one build still works anywhere below hotfixes\\ (old shares); confirmations and
the plan's rollback column are per build.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest

from hfstage.catalog import parse_catalog_file
from hfstage.cli import main
from hfstage.history import InstallLedger
from hfstage.pipeline import Site, month_plan
from hfstage.scripts.batch import check_batch_value
from hfstage.share import Share, init_share
from tests.conftest import DATA, REAL_CATALOG, accept_machines
from tests.published import published

HOTFIX = DATA / "packages" / "hotfix.exe"  # a Hotfix.exe package (make_packages.sh)
NT4_BUILD = "MS00-047\\NT4\\q269239i.exe"
TSE_BUILD = "MS00-047\\TSE\\Q269239i.exe"
# the pairs issue 19 names: (bulletin, one entry's PatchName, the other's), each two builds
DIFFERENT_BUILDS = [
    ("MS98-014", "snk-fixi.exe", "Snk-fixi.exe"), ("MS99-034", "igmpfixi.exe", "Igmpfixi.exe"),
    ("MS99-046", "q243835i.exe", "Q243835i.EXE"), ("MS00-004", "Q249108i.exe", "q249108i.EXE"),
    ("MS00-047", "q269239i.exe", "Q269239i.exe"), ("MS00-052", "Q269049i.EXE", "q269049i.exe"),
    ("MS00-095", "Q265714i.EXE", "Q265714i.exe"), ("MS01-003", "Q279336i.EXE", "Q279336i.exe"),
    ("MS01-008", "Q280119i.EXE", "Q280119i.exe"), ("MS01-017", "Crlupd.exe", "crlupd.exe"),
    ("MS01-022", "rbupdate.exe", "Rbupdate.exe"), ("MS01-020", "q290108.exe", "Q290108.exe"),
]


def test_the_catalogs_shared_file_names_are_classified(real_catalog_path):
    from hfstage.packages import catalog_builds  # here: the other tests run against hfstage before builds existed

    catalog = parse_catalog_file(real_catalog_path)
    table = catalog_builds(catalog)
    entries: dict[str, list] = {}
    for p in catalog.patches():
        entries.setdefault(p.name.strip().casefold(), []).append((p.bulletin_id, p.name))
    shared = table.shared_names()
    assert set(shared) == {n for n, e in entries.items() if len(e) > 1}  # every name two entries use
    listing = {n: "one file" if len(bs) == 1 else f"{len(bs)} builds" for n, bs in sorted(shared.items())}
    assert listing["msjavx86.exe"] == "one file"
    (java,) = shared["msjavx86.exe"]
    assert java.place is None and len(java.bulletins) == 6  # one download, reused: any folder, as before
    for bulletin, one, other in DIFFERENT_BUILDS:
        a, b = table.of(bulletin, one), table.of(bulletin, other)
        assert a is not None and b is not None and a is not b, (bulletin, one)
        assert listing[one.casefold()] != "one file" and a.place and b.place and a.place != b.place
    nt4, tse = table.of("MS00-047", "q269239i.exe"), table.of("MS00-047", "Q269239i.exe")
    assert (nt4.place, tse.place) == (NT4_BUILD, TSE_BUILD)
    assert tse.products == ("Windows NT Server 4.0, Terminal Server Edition",)
    assert table.of("MS01-017", "Crlupd.exe").place == "MS01-017\\W9X\\Crlupd.exe"
    # every build of a shared name has a place of its own that a batch file may carry
    places = [b.place for bs in shared.values() if len(bs) > 1 for b in bs]
    assert len({p.casefold() for p in places}) == len(places)
    for place in places:
        check_batch_value(place, "place")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """The real catalog, NT4SRV and TSE01 scanned; no packages yet."""
    if not REAL_CATALOG.is_file():
        pytest.skip("real catalog not present")
    root = tmp_path_factory.mktemp("identity") / "share"
    init_share(root)
    assert main(["catalog", "import", str(root), "--xml", str(REAL_CATALOG), "--allow-unsigned"]) == 0
    for machine in ("NT4SRV", "TSE01"):
        shutil.copytree(DATA / "identity-inventory" / machine, root / "inventory" / machine)
    accept_machines(Share(root))
    (root / "site.ini").write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    assert main(["scan", str(root), "--fail-on", "none"]) == 0
    return root


@pytest.fixture
def share(scanned, tmp_path) -> Share:
    shutil.copytree(scanned, tmp_path / "share")
    return Share(tmp_path / "share")


def _put(share: Share, rel: str, source=HOTFIX) -> None:
    path = share.folder("hotfixes").joinpath(*rel.split("\\"))
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)


def _script(share: Share, machine: str) -> str:
    return (published(share) / f"{machine}.bat").read_text()


def _runs(share: Share, machine: str) -> list[str]:
    """The packages below hotfixes\\ the machine's script runs."""
    return re.findall(r'^"%HF_PKG%\\([^"]+)"', _script(share, machine), re.M)


def test_each_machine_runs_its_own_build_and_a_name_of_one_build_is_found_anywhere(share, run):
    _put(share, NT4_BUILD)
    _put(share, TSE_BUILD)
    _put(share, "Q247869i.EXE")  # MS00-003, one build: flat, as every old share has it
    _put(share, "old\\Q249973i.EXE")  # MS00-005, one build: in a folder of the admin's own
    _put(share, "qchain.exe", DATA / "packages" / "qchain-2003.exe")  # the updated QChain (KB 815062)
    code, _, err = run("scripts", "generate", share.root)
    assert code == 0, err
    nt4, tse = _script(share, "NT4SRV"), _script(share, "TSE01")
    assert f'"%HF_PKG%\\{NT4_BUILD}" -z %HF_UI%' in nt4 and TSE_BUILD not in nt4
    assert f'"%HF_PKG%\\{TSE_BUILD}" -z %HF_UI%' in tse and NT4_BUILD not in tse
    assert '"%HF_PKG%\\Q247869i.EXE" -z %HF_UI%' in nt4 and '"%HF_PKG%\\old\\Q249973i.EXE" -z %HF_UI%' in nt4
    # what a later rollback removes is recorded by build: the Terminal Server's own package
    scripted = InstallLedger(share).scripted()
    assert {s.package for s in scripted["tse01"] if s.bulletin == "MS00-047"} == {TSE_BUILD}
    assert {s.package for s in scripted["nt4srv"] if s.bulletin == "MS00-047"} == {NT4_BUILD}
    schedule = (published(share) / "schedule_nt4.bat").read_text()
    assert f'copy /y "%HF_SHARE%\\hotfixes\\{TSE_BUILD}" "%HF_T%\\pkg\\{TSE_BUILD}"' in schedule


def test_the_fetch_list_gives_each_build_its_own_place(share, run):
    code, out, _ = run("packages", share.root, "--missing", "--json")
    lines = (share.folder("reports") / "missing-packages.txt").read_text().splitlines()
    ms00_047 = [ln.split("\t") for ln in lines if ln.startswith("MS00-047\t")]
    assert [(r[2], r[3], r[4], r[5]) for r in ms00_047] == [
        ("q269239i.exe", "http://www.microsoft.com/Downloads/Release.asp?ReleaseID=22138", "1",
         f"hotfixes\\{NT4_BUILD}"),
        ("Q269239i.exe", "http://www.microsoft.com/Downloads/Release.asp?ReleaseID=24516", "1",
         f"hotfixes\\{TSE_BUILD}")]
    assert "MS00-003\tQ247869\tQ247869i.EXE\t" in "\n".join(lines) and any(
        ln.split("\t")[5] == "hotfixes\\Q247869i.EXE" for ln in lines)  # one build: its name, any folder
    rows = [r for r in json.loads(out)["packages"] if r["bulletin"] == "MS00-047"]
    assert sorted(r["place"] for r in rows) == [f"hotfixes\\{NT4_BUILD}", f"hotfixes\\{TSE_BUILD}"]


def test_a_shared_name_outside_its_folder_is_held_back_naming_both_builds(share, run):
    _put(share, "q269239i.exe")  # flat: the NT 4.0 build or the TSE build?
    code, _, err = run("scripts", "generate", share.root)
    line = (f"MS00-047 Q269239i.exe: hotfixes\\q269239i.exe could be any of the 2 builds of that name: MS00-047 "
            f"q269239i.exe for NT4 (hotfixes\\{NT4_BUILD}) or MS00-047 Q269239i.exe for TSE (hotfixes\\{TSE_BUILD})")
    assert f"TSE01: not scripted: {line}" in err
    assert f"NT4SRV: not scripted: {line.replace('MS00-047 Q269239i.exe:', 'MS00-047 q269239i.exe:', 1)}" in err
    assert "q269239i.exe" not in [r.casefold() for m in ("NT4SRV", "TSE01") for r in _runs(share, m)]
    code, out, _ = run("packages", share.root, "--missing")
    assert code == 1  # held back: the admin must act
    fetch = (share.folder("reports") / "missing-packages.txt").read_text()
    assert f"hotfixes\\{NT4_BUILD}" in fetch and f"hotfixes\\{TSE_BUILD}" in fetch
    # in its place AND flat: two candidates for one build
    _put(share, NT4_BUILD)
    code, _, err = run("scripts", "generate", share.root)
    assert (f"NT4SRV: not scripted: MS00-047 q269239i.exe: two files for one build: hotfixes\\{NT4_BUILD} and "
            "hotfixes\\q269239i.exe") in err
    (share.folder("hotfixes") / "q269239i.exe").unlink()
    code, _, err = run("scripts", "generate", share.root)
    assert f'"%HF_PKG%\\{NT4_BUILD}" -z %HF_UI%' in _script(share, "NT4SRV")
    assert "NT4SRV: not scripted: MS00-047" not in err
    assert f"TSE01: not scripted: MS00-047 Q269239i.exe: package not found under hotfixes\\ (it goes in " \
           f"hotfixes\\{TSE_BUILD})" in err


def test_two_copies_of_a_package_are_held_back_naming_both(share, run):
    _put(share, "Q247869i.EXE")
    _put(share, "2000-01\\q247869i.exe")
    code, _, err = run("scripts", "generate", share.root)
    assert ("NT4SRV: not scripted: MS00-003 Q247869i.EXE: two files for one package: hotfixes\\Q247869i.EXE and "
            "hotfixes\\2000-01\\q247869i.exe") in err
    assert not [r for r in _runs(share, "NT4SRV") if "q247869i" in r.casefold()]


def test_a_confirmation_is_for_one_build(share, run):
    for rel in (NT4_BUILD, TSE_BUILD):  # programs that show no engine: their kind is only a guess
        _put(share, rel, DATA / "packages" / "plain.exe")
    code, _, err = run("packages", "confirm", share.root, "q269239i.exe")
    assert code == 2 and f"hotfixes\\{NT4_BUILD} or hotfixes\\{TSE_BUILD}" in err
    code, out, err = run("packages", "confirm", share.root, NT4_BUILD, "--kind", "hotfix")
    assert code == 0 and f"confirmed {NT4_BUILD}: SHA-256" in out, err
    pins = json.loads((share.state / "packages.json").read_text())["pins"]
    assert list(pins) == [NT4_BUILD.casefold()]
    code, _, err = run("scripts", "generate", share.root)
    assert f'"%HF_PKG%\\{NT4_BUILD}" -z %HF_UI%' in _script(share, "NT4SRV")
    assert "TSE01: not scripted: MS00-047 Q269239i.exe: its kind (hotfix) is a guess" in err
    assert TSE_BUILD not in _runs(share, "TSE01")


def test_the_plans_rollback_column_reads_each_builds_own_package(share):
    _put(share, NT4_BUILD, DATA / "packages" / "iexpress.exe")
    _put(share, TSE_BUILD)
    items = {i.patch: i for i in month_plan(Site.open(share.root)).items if i.bulletin == "MS00-047"}
    assert items["q269239i.exe"].rollback.startswith("manual (iexpress")
    assert items["Q269239i.exe"].rollback.startswith("hotfix: Q269239i.exe -y")


def test_site_ini_may_give_one_build_its_own_switches_by_its_place(share, run):
    _put(share, NT4_BUILD)
    _put(share, TSE_BUILD)
    share.site_ini.write_text(share.site_ini.read_text() + f"[switches]\n{TSE_BUILD} = -q -n -z\n")
    code, _, err = run("scripts", "generate", share.root)
    assert code == 0, err
    assert not [p for p in Site.open(share.root).check() if "[switches]" in p]  # a place is a name site.ini knows
    assert f'"%HF_PKG%\\{TSE_BUILD}" -q -n -z' in _script(share, "TSE01")
    assert f'"%HF_PKG%\\{NT4_BUILD}" -z %HF_UI%' in _script(share, "NT4SRV")
