"""Packages read from their own bytes (issue 15): engines, signatures, the kind decision and its source,
confirmation and pins, and what `hfstage packages` shows. Fixtures: tests/data/packages/make_packages.sh
(mingw-w64, gcab, osslsigncode)."""

from __future__ import annotations

import json
import shutil

import pytest

from hfstage.cab import load_trust
from hfstage.packages import decide, detect_engine, inspect_package, load_engines, load_installers
from tests.conftest import DATA, EXAMPLES, PKI, accept_machines

PACKAGES = DATA / "packages"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    trust = tmp_path_factory.mktemp("trust")
    shutil.copyfile(PKI / "root.pem", trust / "root.pem")
    return load_trust(trust)


@pytest.mark.parametrize("name, engine, evidence", [
    ("iexpress.exe", "iexpress", "RCDATA CABINET and RUNPROGRAM (rundll32.exe advpack.dll,LaunchINFSection"),
    ("ohotfix.exe", "ohotfix", "ohotfix.exe and ohotfix.ini"),
    ("update.exe", "update", "appended cabinet holds update.exe 5.3.18.6"),
    ("update2004.exe", "update", "Installer Engine = Update.exe, Installer Version = 6.1.22.4"),
    ("hotfix.exe", "hotfix", "appended cabinet holds hotfix.exe and hotfix.inf"),
    ("servicepack.exe", "servicepack", "i386\\update\\update.exe"),
    ("sample.msi", "msi", "MSI root CLSID"),
    ("sample.msp", "msp", "MSP root CLSID"),
])
def test_each_engine_is_read_from_the_package_itself(name, engine, evidence, store):
    facts = inspect_package(name, (PACKAGES / name).read_bytes(), store)
    found = detect_engine(facts)
    assert facts.problem is None and found is not None
    assert (found.name, evidence in found.evidence) == (engine, True), found


def test_a_program_that_shows_no_engine_has_none(store):
    facts = inspect_package("plain.exe", (PACKAGES / "plain.exe").read_bytes(), store)
    assert facts.format == "pe" and detect_engine(facts) is None


@pytest.mark.parametrize("data, problem", [
    (b"placeholder for the real package\r\n", "not a program or Windows Installer file"),
    (b"MSCF\0\0\0\0" + b"\0" * 40, "a bare cabinet"),
    (b"MZ" + b"\0" * 100, "not a PE file"),
])
def test_what_is_not_a_package_is_refused_with_its_name(data, problem, store):
    facts = inspect_package("Q123456i.exe", data, store)
    assert problem in (facts.problem or "")


def test_the_signature_of_a_pe_package_is_verified_like_a_catalogs(store):
    signed = inspect_package("update-signed.exe", (PACKAGES / "update-signed.exe").read_bytes(), store)
    assert (signed.signed, signed.signature_intact, signed.signature_ok) == (True, True, True)
    assert signed.signer == "hfstage Test Catalog Signer"
    tampered = inspect_package("x.exe", (PACKAGES / "update-tampered.exe").read_bytes(), store)
    assert tampered.signed and not tampered.signature_intact
    assert any("modified after signing" in p for p in tampered.signature_problems)
    unsigned = inspect_package("update.exe", (PACKAGES / "update.exe").read_bytes(), store)
    assert not unsigned.signed


def test_every_byte_of_the_signed_package_is_covered(store):
    """Flip one byte in each 64-byte block: the package never still verifies (CheckSum aside)."""
    data = (PACKAGES / "update-signed.exe").read_bytes()
    checksum_at = int.from_bytes(data[0x3C:0x40], "little") + 24 + 64
    still_ok = []
    for offset in range(0, len(data), 64):
        if checksum_at <= offset < checksum_at + 4:
            continue
        changed = bytearray(data)
        changed[offset] ^= 0x01
        if inspect_package("x.exe", bytes(changed), store).signature_ok:
            still_ok.append(offset)
    assert still_ok == []


def _decide(name, product="Windows 2000 Server", family="NT", facts=None, kinds=None, switches=None):
    return decide(name, product, family, facts, load_installers(), load_engines(), kinds or {}, switches or {})


def test_the_kind_comes_from_site_ini_then_the_package_then_product_then_name(store):
    hotfix_shaped = inspect_package("WindowsXP-KB1-x86-ENU.exe", (PACKAGES / "hotfix.exe").read_bytes(), store)
    # the package beats its name: a KB-named Hotfix.exe package runs as a hotfix
    d = _decide("WindowsXP-KB824146-x86-ENU.exe", facts=hotfix_shaped)
    assert (d.kind, d.source, d.confirmed) == ("hotfix", "package", True)
    # site.ini beats the package
    d = _decide("WindowsXP-KB824146-x86-ENU.exe", facts=hotfix_shaped,
                kinds={"windowsxp-kb824146-x86-enu.exe": "update"})
    assert (d.kind, d.source) == ("update", "site.ini")
    # the product: NT 4.0 packages are Hotfix.exe, whatever the name says (KB 296861)
    d = _decide("WindowsNT4Workstation-KB824146-x86-ENU.exe", product="Windows NT Workstation 4.0")
    assert (d.kind, d.source, d.confirmed) == ("hotfix", "product", False) and "KB 296861" in d.why
    d = _decide("q316059.exe", product="Internet Explorer 6")
    assert (d.kind, d.source) == ("iexpress", "product")
    # the name, then nothing
    assert (_decide("Windows2000-KB1-x86-ENU.exe").kind, _decide("Windows2000-KB1-x86-ENU.exe").source) == \
        ("update", "name")
    assert _decide("q300000_sql.exe").source == "default"


def _share(run, share, tmp_path, hotfixes: dict[str, str]):
    """The example catalog and machines; HOTFIXES: file name -> fixture (or None for the example's own)."""
    catalog = EXAMPLES / "catalog" / "month2.xml"
    assert run("catalog", "import", share.root, "--xml", catalog, "--allow-unsigned")[0] == 0
    for machine in ("XPSP1", "NT4WKS", "DC01"):
        shutil.copytree(DATA / "inventory" / machine, share.folder("inventory") / machine)
    accept_machines(share)
    for example in (EXAMPLES / "hotfixes").iterdir():
        shutil.copyfile(PACKAGES / hotfixes[example.name] if example.name in hotfixes else example,
                        share.folder("hotfixes") / example.name)
    shutil.copytree(EXAMPLES / "trust", share.folder("trust"), dirs_exist_ok=True)
    share.site_ini.write_text("[share]\nunc = \\\\DC1\\hfstage\n")
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    return share


def test_a_guessed_kind_is_held_back_until_an_admin_confirms_it(run, share, tmp_path):
    xp = "WindowsXP-KB824146-x86-ENU.exe"
    _share(run, share, tmp_path, {xp: "plain.exe"})
    code, out, err = run("scripts", "generate", share.root)
    assert code == 0
    assert f"XPSP1: not scripted: MS03-039 {xp}: its kind (update) is a guess from its name" in err
    held = (share.folder("scripts") / "XPSP1.bat").read_text()
    assert f'"%HF_PKG%\\{xp}"' not in held  # not run; the script says why it installs nothing
    assert "XPSP1 has nothing it can install yet" in held and f"rem not scripted: MS03-039 {xp}: its kind" in held
    code, out, _ = run("packages", share.root)
    assert code == 1 and "4 package(s) needed, 4 on the share: 3 detected from the package itself, 3 confirmed, " \
                         "1 guessed; 3 scripted" in out
    code, out, err = run("packages", "confirm", share.root, xp)  # a guess is not confirmed as it stands
    assert code == 2 and "cannot tell its installer kind" in err and "--kind KIND" in err
    code, out, _ = run("packages", "confirm", share.root, xp, "--kind", "update")
    assert code == 0 and f"confirmed {xp}: SHA-256" in out and "installs as update" in out
    run("scripts", "generate", share.root)
    assert f'"%HF_PKG%\\{xp}" -u -q -z' in (share.folder("scripts") / "XPSP1.bat").read_text()
    assert run("packages", share.root)[0] == 0
    # the confirmed file is swapped: held back again, and verify says so
    (share.folder("hotfixes") / xp).write_bytes((PACKAGES / "plain.exe").read_bytes() + b"\0")
    code, out, _ = run("packages", "verify", share.root)
    assert code == 1 and f"{xp}: changed since it was confirmed" in out
    code, out, err = run("scripts", "generate", share.root)
    assert "changed on the share since it was confirmed" in err
    assert f"{xp}: changed since it was confirmed on" in err and "not scripted until confirmed again" in err
    assert f'"%HF_PKG%\\{xp}"' not in (share.folder("scripts") / "XPSP1.bat").read_text()


def test_placeholders_are_refused_by_name_and_the_fetch_list_is_written(run, share, tmp_path):
    _share(run, share, tmp_path, {})
    (share.folder("hotfixes") / "WindowsXP-KB824146-x86-ENU.exe").write_text("placeholder\r\n")
    (share.folder("hotfixes") / "Windows2000-KB824146-x86-ENU.exe").unlink()
    code, out, _ = run("packages", share.root, "--missing", "--json")
    data = json.loads(out)
    rows = {r["file"]: r for r in data["packages"]}
    assert "not a program or Windows Installer file" in rows["WindowsXP-KB824146-x86-ENU.exe"]["problem"]
    assert rows["Windows2000-KB824146-x86-ENU.exe"]["found"] is None
    fetch = (share.folder("reports") / "missing-packages.txt").read_text().splitlines()
    assert fetch[1].split("\t")[:3] == ["MS03-039", "Q824146", "Windows2000-KB824146-x86-ENU.exe"]
    signed = rows["WindowsNT4Workstation-KB824146-x86-ENU.exe"]
    assert (signed["kind"], signed["source"], signed["signer"]) == ("hotfix", "package", "unsigned")


def test_qchain_is_never_used_for_iexpress_packages(run, share, tmp_path):
    nt4 = "WindowsNT4Workstation-KB824146-x86-ENU.exe"
    _share(run, share, tmp_path, {nt4: "iexpress.exe"})
    run("scripts", "generate", share.root)
    text = (share.folder("scripts") / "NT4WKS.bat").read_text()
    assert f'"%HF_PKG%\\{nt4}" /Q:A /R:N' in text and "qchain.exe" not in text
