"""Machines have a lifecycle: pending, accepted, retired (issue 22, section 1; DESIGN §8).

Any user could pre-create inventory\\NEWPC\\ with forged hives before the real machine reported: NEWPC
was "compliant", got no script, and one user's 300 such folders moved the site from 0 of 12 to 300 of
312 compliant, the central office's figures with it. Now a folder the server has not seen before is
pending: assessed and shown (with its standing) but not counted in compliance, given no script and
left out of the central bundle until an administrator accepts it (`hfstage machines accept`) or its
evidence is bound to its own computer account, when it is accepted by itself. `hfstage machines retire`
removes a machine's scripts and stubs. A share from before lifecycles keeps every machine its history
knows (accepted on upgrade, said once), so a site does not go dark. Forged machines are XPSP1's hives
with its name rewritten in place and MS03-039's key merged in by hivexregedit.
"""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest

from hfstage.pipeline import build_demo_share
from tests.bindhelp import forge_machines, give, machine_account, need_root_and_hivex
from tests.conftest import EXAMPLES


@pytest.fixture
def site(tmp_path, run):
    need_root_and_hivex()
    share = build_demo_share(tmp_path / "share")  # its site.ini names the site (hq) for `export`
    shutil.copyfile(EXAMPLES / "incoming" / "month2" / "mssecure.cab", share.folder("incoming") / "m2.cab")
    assert run("month", share.root, "--fail-on", "none")[0] == 0
    assert run("site", "keygen", share.root)[0] == 0
    return share


def _forge(share, tmp_path, names: list[str]) -> None:
    forge_machines(share, tmp_path, names)


def _scan(share) -> dict:
    return json.loads((share.folder("reports") / "scan.json").read_text())


def _bundle_machines(share, run, tmp_path) -> list[str]:
    bundle = tmp_path / "site.hfb"
    assert run("export", share.root, bundle)[0] == 0
    with zipfile.ZipFile(bundle) as zf:
        return [m["machine"] for m in json.loads(zf.read("machines.json"))]


@pytest.mark.parametrize("count", [1, 25])
def test_a_folder_nobody_accepted_is_shown_but_not_counted_scripted_or_exported(site, run, tmp_path, count):
    before = _scan(site)["summary"]
    names = [f"FK{i:03d}" for i in range(count)]
    _forge(site, tmp_path, names)
    code, out, err = run("month", site.root, "--fail-on", "none")
    assert code == 0, err
    data = _scan(site)
    assert data["summary"]["machines"] == before["machines"] == 12
    assert data["summary"]["compliant"] == before["compliant"] and data["summary"]["pending"] == count
    shown = {m["machine"]: m for m in data["machines"]}
    assert all(shown[n]["standing"] == "pending" for n in names)  # shown, with its standing
    assert not any((site.folder("scripts") / f"{n}.bat").exists() for n in names)
    assert f"{count} machine(s) pending" in out
    assert not set(names) & set(_bundle_machines(site, run, tmp_path))
    code, out, _ = run("machines", site.root)
    assert code == 1 and all(f"{n}  " in out for n in names) and f"{count} pending" in out


def test_an_accepted_machine_is_counted_and_scripted(site, run, tmp_path):
    _forge(site, tmp_path, ["NEWPC"])
    run("month", site.root, "--fail-on", "none")
    code, out, _ = run("machines", "accept", site.root, "NEWPC")
    assert code == 0 and "NEWPC: accepted" in out
    assert "machine NEWPC: accepted (accepted by root)" in (site.state / "audit.log").read_text()
    assert run("month", site.root, "--fail-on", "none")[0] == 0
    assert _scan(site)["summary"]["machines"] == 13
    assert (site.folder("scripts") / "NEWPC.bat").is_file()
    assert "NEWPC" in _bundle_machines(site, run, tmp_path)


def test_a_folder_bound_to_its_computer_account_is_accepted_when_its_evidence_arrives(site, run, tmp_path):
    _forge(site, tmp_path, ["BNDPC"])
    with machine_account("BNDPC") as uid:
        give(site.folder("inventory") / "BNDPC", uid)  # written by its startup script, as bndpc$
        assert run("month", site.root, "--fail-on", "none")[0] == 0
        code, out, _ = run("machines", site.root, "--json")
    (line,) = [m for m in json.loads(out) if m["machine"] == "BNDPC"]
    assert line["standing"] == "accepted" and line["how"].startswith("bound")
    assert line["evidence"] == "bound to the machine account: bndpc$"
    (row,) = [m for m in _scan(site)["machines"] if m["machine"] == "BNDPC"]
    assert row["standing"] == "accepted" and row["binding"] == "machine account"
    assert (site.folder("scripts") / "BNDPC.bat").is_file()


def test_retiring_a_machine_removes_its_scripts_and_stubs_and_it_is_no_longer_read(site, run, tmp_path):
    assert run("scripts", "collectors", site.root)[0] == 0
    for name in ("XPSP1.bat", "XPSP1-rollback.bat"):
        assert (site.folder("scripts") / name).is_file()
    assert (site.folder("netlogon") / "W98.bat").is_file()
    code, out, _ = run("machines", "retire", site.root, "XPSP1", "W98")
    assert code == 0 and "XPSP1: removed scripts\\XPSP1.bat" in out and "W98: removed netlogon\\W98.bat" in out
    assert run("month", site.root, "--fail-on", "none")[0] == 0
    assert not (site.folder("scripts") / "XPSP1.bat").exists() and not (site.folder("netlogon") / "W98.bat").exists()
    data = _scan(site)
    assert data["summary"]["machines"] == 10 and not {"XPSP1", "W98"} & {m["machine"] for m in data["machines"]}
    lines = {m["machine"]: m for m in json.loads(run("machines", site.root, "--json")[1])}
    assert lines["XPSP1"]["standing"] == lines["W98"]["standing"] == "retired"


def test_a_share_from_before_lifecycles_keeps_its_machines_and_is_told_once(site, run, tmp_path):
    (site.state / "machines.json").unlink()  # as an older hfstage left the share
    _forge(site, tmp_path, ["NEWPC"])
    code, out, _ = run("month", site.root, "--fail-on", "none")
    assert "machine lifecycles: the 12 machine(s) the latest scan counted are accepted" in out
    assert _scan(site)["summary"]["machines"] == 12 and (site.folder("scripts") / "XPSP1.bat").is_file()
    assert not (site.folder("scripts") / "NEWPC.bat").exists()
    code, out, _ = run("month", site.root, "--fail-on", "none")
    assert "machine lifecycles" not in out  # once
