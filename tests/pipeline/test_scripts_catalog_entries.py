"""The scripts step keys each machine on the catalog entries its plan reads, not on the catalog's version.

Patch Tuesday brings a catalog in which most machines' entries are as they were: their assessments are the
same, their scripts are the same, yet a key holding the catalog's version decoded, planned and judged the
rollback of all 5,000 again (issue 20 section 6). Now a machine is planned again only when its assessment,
or an entry its plan reads, changed: each missing patch's catalog entry, its bulletin's DatePosted, and the
product and service-pack tables when site.ini names a service pack package for its OS.

A missed entry would carry last month's script for a changed plan onto the client, with nothing to report
it. So each test below gives the same assessments (the scan of month 1, not made again) a new catalog that
changes one entry, and checks the machine's script changes with it; each fails if the key leaves that entry
out. The first checks the skip itself and the traces to the catalog: generation.txt names the new catalog,
and the install ledger keeps the catalog each package was first scripted under.
"""

from __future__ import annotations

import os

from hfstage.catalog import import_catalog
from hfstage.history import FULL, InstallLedger
from hfstage.pipeline import Site
from hfstage.pipeline.scripts import scripts_generate
from hfstage.share import MANIFEST, current_generation
from tests.conftest import EXAMPLES

MONTH1 = EXAMPLES / "catalog" / "month1.xml"  # the catalog month 1's signed cabinet holds
NEXT = "2.0.0.9"


def _generate(share, rows, loaded: list[str] | None = None) -> dict[str, bytes]:
    """The scripts of ROWS under the share's current catalog; LOADED: the assessments the step decoded."""
    site = Site(share)

    def load(keys):
        if loaded is not None:
            loaded.extend(keys)
        return site.history.assessments(keys)

    result = scripts_generate(site, rows, load=load)
    assert not result.problems, result.problems
    folder = share.folder("scripts") / current_generation(share.folder("scripts"))
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix == ".bat"}


def _next_catalog(share, tmp_path, *edits: tuple[str, str]) -> None:
    """Month 1's catalog under a later DataVersion, with EDITS (each old text found once), made current."""
    text = MONTH1.read_text(encoding="latin-1").replace('DataVersion="2.0.0.1"', f'DataVersion="{NEXT}"', 1)
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    path = tmp_path / "next.xml"
    path.write_text(text, encoding="latin-1")
    assert import_catalog(share, xml=path, allow_unsigned=True).current


def _month1_rows(share):
    history = Site(share).history
    return history.machines(history.latest_scan(FULL).id)


def test_a_catalog_whose_entries_are_unchanged_decodes_and_plans_no_machine_again(month1_site, tmp_path):
    rows = _month1_rows(month1_site)
    before = _generate(month1_site, rows)
    scripted = InstallLedger(month1_site).scripted()
    old = current_generation(month1_site.folder("scripts"))
    _next_catalog(month1_site, tmp_path)
    loaded: list[str] = []
    after = _generate(month1_site, rows, loaded)
    assert loaded == []  # no assessment decoded: no machine planned again
    scripts = month1_site.folder("scripts")
    new = current_generation(scripts)
    machines = [n for n in after if n.removesuffix(".bat").removesuffix("-rollback") in {r.machine for r in rows}]
    assert new != old and machines and all(after[n] == before[n] for n in machines)  # schedule_nt4.bat names it
    assert all(os.stat(scripts / new / n).st_ino == os.stat(scripts / old / n).st_ino for n in machines)
    # the traces: the generation names the catalog its clients' results come from; the ledger keeps the catalog
    # each package was first scripted under
    assert f"catalog={NEXT}\r\n".encode() in (scripts / new / MANIFEST).read_bytes()
    assert InstallLedger(month1_site).scripted() == scripted and any(scripted.values())


def _changed_by(share, tmp_path, machine: str, *edits: tuple[str, str]) -> bytes:
    """MACHINE's script before and after the catalog's EDITS, the assessments the same: what changed."""
    rows = _month1_rows(share)
    before = _generate(share, rows)[f"{machine}.bat"]
    _next_catalog(share, tmp_path, *edits)
    after = _generate(share, rows)[f"{machine}.bat"]
    assert after != before, "the entry changed the plan, but the machine was not planned again"
    return after


def test_a_missing_patch_whose_entry_changes_is_planned_again(month1_site, tmp_path):
    """NoReboot of a package W2KSRV misses: the script no longer restarts after it."""
    patch = '<Patch PatchName="Q326830_W2K_SP4_X86_EN.exe" PatchLocationID="2" SBID="" SQNumber="Q326830" NoReboot="0"'
    _changed_by(month1_site, tmp_path, "W2KSRV", (patch, patch.replace('NoReboot="0"', 'NoReboot="1"')))


def test_a_missing_patch_the_catalog_no_longer_scripts_is_planned_again(month1_site, tmp_path):
    """An SQNumber a batch line cannot hold: the patch is left out of W2KSRV's script, and says why."""
    old = 'PatchName="Q326830_W2K_SP4_X86_EN.exe" PatchLocationID="2" SBID="" SQNumber="Q326830"'
    after = _changed_by(month1_site, tmp_path, "W2KSRV", (old, old.replace('"Q326830"', '"Q326830&amp;x"')))
    assert b"Q326830_W2K_SP4_X86_EN.exe: the catalog's SQNumber cannot be put into a batch file" in after


def test_a_missing_patch_gone_from_the_catalog_is_planned_again(month1_site, tmp_path):
    old = '<Patch PatchName="Q326830_W2K_SP4_X86_EN.exe"'
    after = _changed_by(month1_site, tmp_path, "W2KSRV", (old, '<Patch PatchName="Q326830_W2K_SP4_X86_EN-v2.exe"'))
    assert b"Q326830_W2K_SP4_X86_EN.exe" not in after


def test_a_bulletin_whose_date_changes_is_planned_again(month1_site, tmp_path):
    """W2KSRV installs MS01-033 before MS02-045 (oldest bulletin first): a later DatePosted swaps them."""
    posted = 'FAQPageName="fq01-033.asp" Title="Unchecked Buffer in Index Server ISAPI Extension Could Enable Web ' \
             'Server Compromise " DatePosted="2001/06/18"'
    after = _changed_by(month1_site, tmp_path, "W2KSRV", (posted, posted.replace("2001/06/18", "2003/01/02")))
    assert after.index(b"rem MS02-045") < after.index(b"rem MS01-033")


def test_the_service_pack_tables_are_read_when_site_ini_names_a_service_pack(month1_site, tmp_path):
    """site.ini names a Windows 2000 service pack package: a machine below the catalog's current service pack
    installs it first; the catalog's current one becomes Gold, and W2KSRV is below it no more."""
    ini = month1_site.site_ini
    ini.write_text(ini.read_text() + "\n[service_packs]\nWindows 2000 Server = w2ksp9.exe\n")
    current = '<Product ProductID="6" Name="Windows 2000 Server" MinimumSupportedServicePackID="74" ' \
              'CurrentServicePackID="4"'
    before = _generate(month1_site, _month1_rows(month1_site))["W2KSRV.bat"]
    assert b"w2ksp9.exe" in before  # below SP4: the step, held (no such package under hotfixes\)
    after = _changed_by(month1_site, tmp_path, "W2KSRV", (current, current.replace('"4"', '"74"')))
    assert b"w2ksp9.exe" not in after
