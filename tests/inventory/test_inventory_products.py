"""Every machine the genuine 2001 catalog covers is assessed at its real level (issue 23, section 1).

Machines built as MBSA-era administrators would collect them (tests/data/make_families.sh:
hives merged by hivexregedit, regedit exports for 9x) showed: Windows 98 SE and Me got no
patch at all (their products have no AvailableSPs), NT 4.0 at SP6 without SP6a was
"incomplete inventory" with no SP6a step, every Windows 95 was taken as Gold (and
MS00-072's Windows 95 package, listed with no service pack, was never applicable), an MSDE
2000 named instance was not seen, MDAC / MSXML / the Microsoft VM were not detected, and
an XP machine was "not covered by the catalog" because Windows Media Player was not in it.
"""

from __future__ import annotations

import shutil

import pytest

from hfstage.assess import INCOMPLETE, NOT_COVERED, SERVICE_PACK_MISSING, CatalogIndex, SitePolicy, assess_machine
from hfstage.catalog import parse_catalog_file
from hfstage.inventory import gather_facts, load_rules
from hfstage.inventory.regfile import parse_reg_text
from hfstage.inventory.regtree import Hklm, walk
from tests.conftest import DATA, EXAMPLES, REAL_CATALOG, accept_machines
from tests.winehelp import PACKAGES

MACHINES = DATA / "families"


@pytest.fixture(scope="module")
def catalog():
    if not REAL_CATALOG.is_file():
        pytest.skip("the genuine 2001 catalog is not beside the project")
    return parse_catalog_file(REAL_CATALOG)


def _assess(machine: str, catalog):
    facts = gather_facts(MACHINES / machine, catalog)
    assert facts.error is None, facts.error
    return facts, assess_machine(facts, CatalogIndex.build(catalog), SitePolicy())


def _found(a) -> dict:
    return {(f.bulletin, f.patch): f for f in a.findings}


def test_windows_98_se_and_me_get_their_patches(catalog):
    for machine, level, patch in (("F98SE", 88, "273991USA8.EXE"), ("FME", 89, "273991usam.exe")):
        facts, a = _assess(machine, catalog)
        assert facts.os.service_pack_id == level  # "Windows 98se Gold", "Windows Me Gold"
        assert not [w for w in a.warnings if "service pack level is not in the catalog" in w.text], a.warnings
        assert ("MS00-072", patch) in _found(a)
        assert _found(a)[("MS00-091", "q275567i.exe")].status == "note"  # NT's package: never scripted


def test_windows_95_oem_service_releases_limit_its_patches(catalog, run):
    b, a_b = _assess("F95B", catalog)
    c, a_c = _assess("F95C", catalog)
    assert (b.os.service_pack_label, b.os.service_pack_id) == ("OSR2.1", 51)  # "Windows 95 SR 2.1"
    assert (c.os.service_pack_label, c.os.service_pack_id) == ("OSR2.5", 80)  # "Windows 95 SR 2.5"
    assert ("MS99-031", "msjavx86.exe") in _found(a_b)  # Gold and SR 2.1 only
    assert ("MS99-031", "msjavx86.exe") not in _found(a_c)
    for a in (a_b, a_c):  # listed with no AffectedServicePack: every Windows 95
        assert _found(a)[("MS00-072", "273991USA5.EXE")].status == "note"
        assert not [f for f in a.findings if f.kind == "service pack"]  # OEM releases are not updates to install
    code, out, _ = run("facts", MACHINES / "F95C", "--catalog", REAL_CATALOG, "-v")
    assert code == 0 and "Windows 95 OSR2.5 [ProductID 9, ServicePackID 80]" in out
    assert "service_pack: HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\SubVersionNumber = ' C': OSR2.5" in out


def test_nt4_sp5_sp6_and_sp6a_each_stand_where_they_are(catalog):
    from hfstage.assess import service_pack_position

    levels = {}
    for machine in ("FNT4SP5", "FNT4SP6", "FNT4SP6A"):
        facts, a = _assess(machine, catalog)
        levels[machine] = facts.os.service_pack_id
        assert not [w for w in a.warnings if "service pack level is not in the catalog" in w.text], a.warnings
        sps = [f for f in a.findings if f.kind == "service pack" and f.product.startswith("Windows NT")]
        if machine == "FNT4SP6A":
            assert sps == []
        else:
            assert a.status == SERVICE_PACK_MISSING
            assert sps[0].patch == "Windows NT4 Service Pack 6a" and sps[0].status == "missing"
    assert levels == {"FNT4SP5": 5, "FNT4SP6": 6, "FNT4SP6A": 7}
    # SP6 (ID 6, not among NT 4.0's AvailableSPs) is placed by its release date: after SP5, before SP6a
    at = [service_pack_position(catalog, 2, sp) for sp in (5, 6, 7)]
    assert at[0] < at[1] < at[2]


def test_nt4_sp6_gets_the_sp6a_service_pack_step(tmp_path, run):
    from hfstage.share import Share, init_share

    init_share(tmp_path / "share")
    share = Share(tmp_path / "share")
    assert run("catalog", "import", share.root, "--xml", REAL_CATALOG, "--allow-unsigned")[0] == 0
    shutil.copytree(MACHINES / "FNT4SP6", share.folder("inventory") / "FNT4SP6")
    accept_machines(share)
    shutil.copyfile(PACKAGES / "servicepack.exe", share.folder("hotfixes") / "sp6a.exe")
    shutil.copyfile(PACKAGES / "plain.exe", share.folder("hotfixes") / "reboot.exe")
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n[reboot]\nnt4 = \"{packages}\\reboot.exe\" /r\n"
                              "[service_packs]\nWindows NT Server 4.0 = sp6a.exe\n")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, _, err = run("scripts", "generate", share.root)
    assert code == 0, err
    assert '"%HF_PKG%\\sp6a.exe" -u -z' in (share.folder("scripts") / "FNT4SP6.bat").read_text()


def test_an_msde_named_instance_is_its_own_product(catalog):
    from hfstage.inventory import rule_keys

    facts, a = _assess("FW2KSQL", catalog)
    (msde,) = [p for p in facts.applications if p.name == "SQL Server Desktop Engine (MSDE) 2000"]
    assert (msde.instance, msde.product_id, msde.service_pack_id) == ("NETSDK", 32, 99)
    assert msde.evidence == ("HKLM\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\NETSDK\\MSSQLServer\\CurrentVersion"
                             "\\CurrentVersion = '8.00.194' (named instance NETSDK)")
    found = _found(a)
    for patch in (("MS00-092", "s80233i.exe"), ("MS01-032", "s80296i.exe")):
        assert found[patch].product == "SQL Server Desktop Engine (MSDE) 2000 (NETSDK)"
    assert a.status == SERVICE_PACK_MISSING and "SQL Server Desktop Engine (MSDE) 2000 (NETSDK) is at service pack " \
        "0, below the catalog's current SQL Server Desktop Engine (MSDE) 2000 SP1" in a.status_detail
    # the 9x collector exports where named instances live (MSDE 2000 runs on 98 and Me too)
    keys = {k for rule in load_rules()["applications"] for k in rule_keys(rule, load_rules())}
    assert {"SOFTWARE\\Microsoft\\Microsoft SQL Server", "SOFTWARE\\Microsoft\\MSSQLServer\\Setup"} <= keys


def test_an_instance_name_that_cannot_be_one_is_not_followed():
    from hfstage.inventory.rules import instance_roots

    text = ("REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Microsoft SQL Server]\r\n"
            '"InstalledInstances"=hex(7):4d,53,53,51,4c,53,45,52,56,45,52,00,2e,2e,5c,58,00,'
            "41,41,41,41,41,41,41,41,41,41,41,41,41,41,41,41,41,00,4f,4b,00,00\r\n")
    export = parse_reg_text(text.encode("cp1252"), "x.reg")
    hklm = Hklm(walk(walk(export.root, "HKEY_LOCAL_MACHINE"), "SOFTWARE"), None)
    roots = instance_roots(hklm, load_rules()["instances"]["sql"])
    # MSSQLSERVER is the default instance; "..\X" and a 17-character name are not instance names
    assert roots == [(None, "SOFTWARE\\Microsoft\\MSSQLServer"),
                     ("OK", "SOFTWARE\\Microsoft\\Microsoft SQL Server\\OK")]


def test_products_mbsa_covered_are_detected_with_their_evidence(run):
    code, out, _ = run("facts", MACHINES / "FNT4SP6A", "--catalog", REAL_CATALOG, "-v")
    assert code == 0
    assert "product:   Microsoft Virtual Machine (VM) [ProductID 36, ServicePackID 100]  <- HKLM\\SOFTWARE\\" \
           "Microsoft\\Active Setup\\Installed Components\\{08B0E5C0-4FCB-11CF-AAA5-00401C608500}\\Version = " \
           "'5,00,3805,0'" in out
    assert "product:   MDAC 2.6 [not in catalog 1.0.1.148: not covered]  <- HKLM\\SOFTWARE\\Microsoft\\DataAccess\\" \
           "FullInstallVer = '2.60.6526.3'" in out
    assert "product:   MSXML 3.0 [not in catalog 1.0.1.148: not covered]  <- HKLM\\SOFTWARE\\Classes\\CLSID\\" \
           "{F5078F32-C551-11D3-89B9-0000F81FE221}\\InProcServer32 exists" in out
    code, out, _ = run("facts", MACHINES / "FNT4SP6", "--catalog", REAL_CATALOG, "-v")
    assert "product:   Exchange Server 5.5 [ProductID 35, ServicePackID 57]  <- HKLM\\SOFTWARE\\Microsoft\\" \
           "Exchange\\Setup\\NewestBuild = 2653" in out
    code, out, _ = run("facts", MACHINES / "FXPWMP", "--catalog", REAL_CATALOG, "-v")
    for product in ("Windows Media Player for Windows XP", "MDAC 2.7", "MSXML 4.0"):
        assert f"product:   {product} [not in catalog 1.0.1.148: not covered]" in out
    code, out, _ = run("facts", MACHINES / "FME", "--catalog", REAL_CATALOG, "-v")
    assert "product:   Windows Media Player 7.0 [ProductID 20, ServicePackID 94]" in out


def test_a_product_the_catalog_does_not_know_limits_only_itself(catalog):
    month1 = parse_catalog_file(EXAMPLES / "catalog" / "month1.xml")  # a catalog that knows Windows XP
    facts = gather_facts(MACHINES / "FXPWMP", month1)
    a = assess_machine(facts, CatalogIndex.build(month1), SitePolicy())
    assert a.status == INCOMPLETE  # its one XP patch has only a registry key as proof, and IE 6 SP1 is unknown
    assert a.status_detail.endswith("; not covered by the catalog: Windows Media Player for Windows XP, MDAC 2.7, "
                                    "MSXML 4.0")
    assert "not covered by the catalog: Windows Media Player for Windows XP (its patches are not assessed)" in \
        [w.text for w in a.warnings]
    _, a = _assess("FXPWMP", catalog)  # the 2001 catalog has no Windows XP: that, and only that, is not covered
    assert (a.status, a.status_detail) == (NOT_COVERED, "the catalog does not cover Windows XP Professional")


def test_nt4_terminal_server_edition_is_its_own_product(catalog, run):
    facts, a = _assess("FTSE", catalog)
    assert (facts.os.name, facts.os.product_id, facts.os.service_pack_id) == (
        "Windows NT Server 4.0, Terminal Server Edition", 4, 83)  # "Windows NT4 Terminal Server Service Pack 5"
    assert "ProductOptions\\ProductSuite includes 'Terminal Server'" in facts.os.evidence
    found = _found(a)
    assert found[("MS99-046", "Q243835i.EXE")].product == "Windows NT Server 4.0, Terminal Server Edition SP5"
    assert ("MS00-091", "q275567i.exe") not in found  # the catalog gives TSE only at its SP6
    assert "below the catalog's current Windows NT4 Terminal Server Service Pack 6" in a.status_detail
    code, out, _ = run("facts", MACHINES / "FTSE", "--catalog", REAL_CATALOG, "-v")
    assert "ProductSuite includes 'Terminal Server'" in out


def test_a_terminal_server_at_sp6_is_not_taken_for_sp6a(tmp_path, catalog):
    """Q246009 tells NT 4.0 SP6a from SP6; Terminal Server Edition has its own SP6 and no SP6a."""
    folder = tmp_path / "TSE6"
    folder.mkdir()
    (folder / "hf01.reg").write_bytes((
        "REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion]\r\n"
        '"CurrentVersion"="4.0"\r\n"CSDVersion"="Service Pack 6"\r\n"SystemRoot"="C:\\\\WINNT"\r\n\r\n'
        "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Hotfix\\Q246009]\r\n"
        '"Installed"=dword:00000001\r\n\r\n'
        "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions]\r\n"
        '"ProductType"="ServerNT"\r\n'
        '"ProductSuite"=hex(7):54,65,72,6d,69,6e,61,6c,20,53,65,72,76,65,72,00,00\r\n').encode("cp1252"))
    facts = gather_facts(folder, catalog)
    assert (facts.os.name, facts.os.service_pack_label, facts.os.service_pack_id) == (
        "Windows NT Server 4.0, Terminal Server Edition", "6", 8)  # "Windows NT4 Terminal Server Service Pack 6"
