"""Nothing of one OS family is applied to the other (issue 19, item 3).

The genuine 2001 catalog lists Windows 98, 98 SE and Me for MS00-091's NT 4.0 package
q275567i.exe, a Hotfix.exe package checked by its Hotfix\\Q275567 key: hfstage reported
Windows 98 "Patch NOT Found" and wrote `start /w ...\\q275567i.exe -z -m` into its script,
which could never pass. The other way round, it lists NT products for files in the
Windows 9x system folder (%windir%\\system). These tests derive every such case from the
catalog with their own reading of it, and show that each is a Note naming the catalog's
inconsistency, that nothing is scripted for it (nor for a 9x patch whose package turns
out to be Hotfix.exe), and that the catalog's %windir%\\system32 is looked for, and
collected, in Windows 98's %windir%\\SYSTEM.
"""

from __future__ import annotations

import shutil

import pytest

from hfstage.assess import NOTE, CatalogIndex, SitePolicy, assess_machine
from hfstage.assess.model import GAP_CATALOG
from hfstage.catalog import parse_catalog_file
from hfstage.inventory import MachineFacts, ProductFact, gather_facts
from tests.conftest import DATA, REAL_CATALOG, accept_machines
from tests.winehelp import PACKAGES

MACHINES = DATA / "families"
# The test's own reading of what belongs to Windows NT (the keys Hotfix.exe and Windows 2000's
# Update.exe packages write) and to Windows 9x (its system folder), independent of families.json.
NT_KEYS = ("\\windows nt\\currentversion\\hotfix\\", "\\updates\\windows 2000\\")
NINE_X_FOLDER = "%windir%\\system"
NINE_X_OS = {"Windows 95", "Windows 98", "Windows 98 SE", "Windows Me"}
CATALOG_FAMILY = {1: "NT", 2: "NT", 3: "9x"}  # the catalog's own ProductFamily IDs (Windows NT, 2000, 9x)
# (bulletin, patch, product, family of the machine): every case the 2001 catalog holds
EXPECTED = {
    ("MS00-091", "q275567i.exe", "Windows 98", "9x"), ("MS00-091", "q275567i.exe", "Windows 98 SE", "9x"),
    ("MS00-091", "q275567i.exe", "Windows Me", "9x"),
    ("MS00-037", "Q259166_W2K_SP1_x86_en.EXE", "Internet Explorer 5.01", "9x"),
    ("MS00-081", "Q287030_W2K_SP2_x86_en.EXE", "Microsoft Virtual Machine (VM)", "9x"),
    ("MS98-002", "ssl-fixi.exe", "Exchange Server 5.5", "9x"),
    ("MS98-003", "iis4fixi.exe", "Personal Web Server 4.0", "9x"),
    ("MS00-088", "Q278523ENGI.EXE", "Exchange 2000 Server", "9x"),
    ("MS00-088", "Q278523ENGI.EXE", "Exchange 2000 Enterprise Server", "9x"),
    ("MS00-088", "Q278523ENGI.EXE", "Exchange 2000 Server", "NT"),
    ("MS00-088", "Q278523ENGI.EXE", "Exchange 2000 Enterprise Server", "NT"),
    ("MS00-016", "WMRMU8912_NT4.EXE", "Windows Media Rights Manager 1", "NT"),
    ("MS00-068", "WMSU28412.EXE", "Windows Media Player 7.0", "NT"),
    ("MS00-077", "NM30.EXE", "NetMeeting", "NT"),
    ("MS00-082", "Q248838engI.EXE", "Exchange Server 5.5", "NT"),
    ("MS01-010", "wmsu38041", "Windows Media Player 7.0", "NT"),
}


@pytest.fixture(scope="module")
def catalog():
    if not REAL_CATALOG.is_file():
        pytest.skip("the genuine 2001 catalog is not beside the project")
    return parse_catalog_file(REAL_CATALOG)


def _families(product, catalog) -> set[str]:
    name = product.name.strip()
    if name in NINE_X_OS:
        return {"9x"}
    if name.startswith(("Windows NT", "Windows 2000")):
        return {"NT"}
    return {CATALOG_FAMILY[i] for i in product.family_ids if i in CATALOG_FAMILY} or {"NT", "9x"}


def _other_family_checks(patch, catalog, family: str) -> list[str]:
    """Checks of PATCH that can never pass on FAMILY, found without hfstage's families table."""
    found = []
    if family == "9x":
        for rc in (catalog.reg_changes.get(i) for i in patch.reg_change_ids):
            if rc is not None and any(k in (rc.key or "").lower() for k in NT_KEYS):
                found.append(rc.key)
    else:
        for fc in (fc for i in patch.file_change_ids for fc in catalog.file_changes.get(i, [])):
            if (fc.location or "").strip().lower() == NINE_X_FOLDER and fc.command in ("c", "a"):
                found.append(f"{fc.location}\\{fc.file_name}")
    return found


def _cases(catalog):
    for patch in catalog.patches():
        for ap in patch.affected:
            product = catalog.products.get(ap.product_id)
            for family in sorted(_families(product, catalog)) if product else ():
                if _other_family_checks(patch, catalog, family):
                    yield patch, ap, product, family


def _machine(catalog, family: str, product, sp_id: int | None) -> MachineFacts:
    """A machine of FAMILY running PRODUCT at SP_ID (with an OS of that family if PRODUCT is not one)."""
    facts = MachineFacts("M", os_family=family, system_root="C:\\WINDOWS" if family == "9x" else "C:\\WINNT",
                         files_absent="not present on the machine", registry_checked=True)
    name = product.name.strip()
    if name in NINE_X_OS or name.startswith(("Windows NT", "Windows 2000")):
        facts.os = ProductFact(name, product_id=product.id, service_pack_id=sp_id)
        return facts
    os_id, os_sp = (10, 53) if family == "9x" else (2, 7)  # Windows 98 Gold, NT Server 4.0 SP6a
    facts.os = ProductFact(catalog.products[os_id].name, product_id=os_id, service_pack_id=os_sp)
    facts.applications = [ProductFact(name, product_id=product.id, service_pack_id=sp_id)]
    return facts


def test_every_case_of_the_2001_catalog_is_a_note_naming_the_inconsistency(catalog):
    cases = list(_cases(catalog))
    assert {(p.bulletin_id, p.name, prod.name.strip(), fam) for p, _, prod, fam in cases} == EXPECTED
    index = CatalogIndex.build(catalog)
    for patch, ap, product, family in cases:
        level = (ap.service_pack_ids or [product.current_service_pack_id])[0]  # none listed: every level
        a = assess_machine(_machine(catalog, family, product, level), index, SitePolicy())
        (f,) = [f for f in a.findings if f.bulletin == patch.bulletin_id and f.patch == patch.name]
        assert (f.status, f.gap) == (NOTE, GAP_CATALOG), (patch.bulletin_id, patch.name, family, f.reason)
        assert f.reason.startswith("the catalog's inconsistency: it lists "), f.reason
        assert "nothing is scripted for it" in f.reason
        assert all(check.lower() in f.reason.lower() for check in _other_family_checks(patch, catalog, family))


def test_a_check_only_if_present_in_the_other_familys_folder_is_left_out_and_said(catalog):
    """MS01-041's NT 4.0 rollup names ntkrnlmp.exe and wldap32.dll in %windir%\\system, "only if present":
    they are not applied on NT, the patch is still decided by its own checks, and the evidence says so."""
    nt4 = catalog.products[1]
    facts = _machine(catalog, "NT", nt4, 7)
    a = assess_machine(facts, CatalogIndex.build(catalog), SitePolicy())
    (f,) = [f for f in a.findings if f.bulletin == "MS01-041" and f.patch == "Q299444i.exe"]
    assert f.status == "missing" and "Hotfix\\Q299444 not found" in f.reason
    assert "not applied: file %windir%\\system\\wldap32.dll is in the Windows 95/98/Me system folder" in \
        " ".join(f.evidence)


def test_windows_98_finds_the_catalogs_system32_files_in_its_system_folder(catalog):
    facts = gather_facts(MACHINES / "F98", catalog)
    assert facts.error is None
    by_path = {f.path: f for f in facts.files}
    assert by_path["C:\\WINDOWS\\system\\msjava.dll"].file_version == "5.0.3802.0"
    (a,) = [assess_machine(facts, CatalogIndex.build(catalog), SitePolicy())]
    found = {(f.bulletin, f.patch): f for f in a.findings}
    assert found[("MS99-031", "msjavx86.exe")].status == "installed"
    assert "file C:\\WINDOWS\\system\\msjava.dll has version 5.0.3802.0" in found[("MS99-031", "msjavx86.exe")].reason
    nt = found[("MS00-091", "q275567i.exe")]
    assert nt.status == NOTE and "Hotfix\\Q275567 is the key Hotfix.exe packages write" in nt.reason


def _share_with(tmp_path, run, machine: str, packages: dict[str, str], catalog_path):
    from hfstage.share import Share, init_share

    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    assert run("catalog", "import", share.root, "--xml", catalog_path, "--allow-unsigned")[0] == 0
    shutil.copytree(MACHINES / machine, share.folder("inventory") / machine)
    accept_machines(share)
    for name, shape in packages.items():
        shutil.copyfile(PACKAGES / shape, share.folder("hotfixes") / name)
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n[reboot]\n9x = {share}\\hotfixes\\reboot.exe /r\n")
    shutil.copyfile(PACKAGES / "plain.exe", share.folder("hotfixes") / "reboot.exe")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, out, err = run("scripts", "generate", share.root)
    assert code == 0, err
    return share


def test_no_nt_package_is_scripted_for_windows_98(tmp_path, run, real_catalog_path):
    """q275567i.exe (its check is NT's) and a 9x patch whose file turns out to be a Hotfix.exe package:
    neither is run by W98's script; the script says why."""
    share = _share_with(tmp_path, run, "F98", {"q275567i.exe": "hotfix.exe", "238453US8.EXE": "hotfix.exe"},
                        real_catalog_path)
    text = (share.folder("scripts") / "F98.bat").read_text()
    runs = [line for line in text.splitlines() if line.startswith("start /w")]
    assert not [line for line in runs if "q275567i" in line.lower() or "238453us8" in line.lower()], runs
    assert "rem not scripted: MS99-034 238453US8.EXE: a Hotfix.exe package, which runs only on Windows NT, " \
           "but the catalog lists it for Windows 98: not scripted" in text


def test_the_9x_collector_copies_system32_files_from_the_system_folder(tmp_path, run, real_catalog_path):
    from hfstage.scripts.collectors import collected_files_9x

    files = {(f["folder"], f["name"]) for f in collected_files_9x(parse_catalog_file(real_catalog_path))}
    assert ("system", "msjava.dll") in files and ("system", "msawt.dll") in files
    assert not {f for f in files if f[0].lower() == "system32"}
    share = _share_with(tmp_path, run, "F98", {}, real_catalog_path)
    assert run("scripts", "collectors", share.root)[0] == 0
    text = (share.folder("netlogon") / "collect_9x.bat").read_text()
    assert "copy %windir%\\system\\msjava.dll %HFF%\\system >nul" in text.splitlines()
    assert "copy %windir%\\system32\\msjava.dll" not in text
