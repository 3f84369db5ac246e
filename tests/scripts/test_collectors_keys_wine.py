"""The NT collector in keys mode, run by wine's cmd: what it writes, and when it writes nothing.

A logon storm of 5,000 machines each saving two hives of tens of MB is what issue 24 ends. Here a
wine client runs collect_nt.bat as the dispatcher does: it exports the needed keys with regedit /e
(no hive reaches the share), lists them in its manifest, and the inventory reads the same machine
back with nothing missing. A second call on the same day writes nothing at all on the share. On
another day (the stamp the client keeps says so) it collects again, and the catalog's files whose
dir line did not change are not copied again, unless the share lost its copy. After an install
script's run (which deletes the stamp) the next call collects whatever the interval. With interval = 3
the stamp counts distinct days: the 3rd after the collection's day collects, a day seen twice counts once.
A changed collector (its version in the stamp) collects the same day.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from hfstage.catalog import import_catalog
from hfstage.inventory.gather import gather_facts
from tests.conftest import DATA, EXAMPLES
from tests.published import published
from tests.winehelp import client, needs_wine, windows_dir, wine, wine_path

pytestmark = needs_wine


def _state(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


@pytest.fixture
def keys_client(trusted_share, run, tmp_path, tmp_path_factory):
    env = client(tmp_path / "prefix", tmp_path_factory)
    catalog = import_catalog(trusted_share, EXAMPLES / "incoming" / "month1" / "mssecure.cab").catalog
    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp")) / "s"
    short.symlink_to(trusted_share.root)
    trusted_share.site_ini.write_text(f"[share]\nunc = {wine_path(short)}\n")
    assert run("scripts", "collectors", trusted_share.root)[0] == 0
    collector = wine_path(published(trusted_share) / "collect_nt.bat")
    yield env, catalog, lambda: wine(env, "cmd", "/c", collector)
    shutil.rmtree(short.parent, ignore_errors=True)


def _machine(share) -> Path:
    (machine,) = [p for p in share.folder("inventory").iterdir() if p.is_dir() and p.name != "_unnamed"]
    return machine


def test_keys_mode_exports_the_keys_and_is_read_back_whole(trusted_share, keys_client):
    env, catalog, collect = keys_client
    collect()
    machine = _machine(trusted_share)
    names = {p.name for p in machine.iterdir()}
    assert not names & {"SOFTWARE", "SYSTEM"} and not [n for n in names if n.endswith(".tmp")]
    manifest = [ln.strip() for ln in (machine / "manifest.txt").read_text(errors="replace").splitlines()]
    assert "mode=keys" in manifest and "tool=regedit /e" in manifest
    listed = [ln.split("=", 1)[0] for ln in manifest if ln[:2] == "hf" and "=" in ln]
    assert len(listed) > 10 and {f"{n}.reg" for n in listed} >= {n for n in names if n.endswith(".reg")}
    facts = gather_facts(machine, catalog, on_share=True)
    assert facts.error is None and facts.version and facts.computer_name.upper() == machine.name.upper()
    assert not [m for m in facts.missing if "not taken" in m]
    assert facts.file(f"{facts.system_root}\\system32\\rpcrt4.dll").found
    stamp = windows_dir(env) / "hfstage" / "collect.txt"
    assert stamp.read_text(errors="replace").startswith("v=")


def test_a_second_call_the_same_day_writes_nothing(trusted_share, keys_client):
    env, _, collect = keys_client
    collect()
    machine = _machine(trusted_share)
    before = _state(machine)
    collect()
    assert _state(machine) == before


def test_another_day_collects_again_and_copies_only_changed_files(trusted_share, keys_client):
    env, _, collect = keys_client
    collect()
    machine = _machine(trusted_share)
    stamp = windows_dir(env) / "hfstage" / "collect.txt"
    version = stamp.read_text(errors="replace").splitlines()[0]
    stamp.write_text(f"{version}\r\nd=Mon 01/01/2001\r\n")  # the day of the last collection, long ago
    before = _state(machine)
    collect()
    after = _state(machine)
    assert after["manifest.txt"] != before["manifest.txt"]  # collected
    copies = [n for n in before if n.startswith("files")]
    assert copies and all(after[n] == before[n] for n in copies)  # unchanged files are not copied again
    gone = machine / copies[0]
    gone.unlink()
    stamp.unlink()  # what the install script does after a run that tried a package
    collect()
    assert gone.is_file()  # a copy the share lost is copied again


def test_interval_3_collects_on_the_third_distinct_day_after(trusted_share, run, keys_client):
    """[collect] interval = 3: the stamp lists the collection's day and each later day a call saw; a call on the
    3rd distinct day after collects. The earlier days are written as a client would have written them (the
    test's clock is one day: tests/winehelp.py); today's line is the collector's own."""
    env, _, _ = keys_client
    trusted_share.site_ini.write_text(trusted_share.site_ini.read_text() + "[collect]\ninterval = 3\n")
    assert run("scripts", "collectors", trusted_share.root)[0] == 0
    collector = wine_path(published(trusted_share) / "collect_nt.bat")

    def collect() -> None:
        wine(env, "cmd", "/c", collector)

    collect()
    machine, stamp = _machine(trusted_share), windows_dir(env) / "hfstage" / "collect.txt"
    version, today = stamp.read_text(errors="replace").splitlines()
    assert version.startswith("v=") and today.startswith("d=")
    days = ["d=Mon 01/01/2001", "d=Tue 01/02/2001"]  # the collection's day and one more: today is the 2nd after
    stamp.write_text("\r\n".join([version, *days, ""]))
    before = _state(machine)
    collect()
    collect()  # the same day counts once
    assert _state(machine) == before
    assert stamp.read_text(errors="replace").splitlines() == [version, *days, today]
    stamp.write_text("\r\n".join([version, *days, "d=Wed 01/03/2001", ""]))  # today is the 3rd
    collect()
    assert _state(machine)["manifest.txt"] != before["manifest.txt"]
    assert stamp.read_text(errors="replace").splitlines() == [version, today]  # the list starts again


def test_a_changed_collector_collects_the_same_day(trusted_share, run, keys_client):
    """A new collector (here another interval, in a new set of scripts) carries another version: the client's
    stamp names the old one, so the next call collects though the day is the same; the one after does not."""
    env, _, collect = keys_client
    collect()
    machine = _machine(trusted_share)
    before = _state(machine)
    trusted_share.site_ini.write_text(trusted_share.site_ini.read_text() + "[collect]\ninterval = 2\n")
    assert run("scripts", "collectors", trusted_share.root)[0] == 0
    collector = wine_path(published(trusted_share) / "collect_nt.bat")
    wine(env, "cmd", "/c", collector)
    after = _state(machine)
    assert after["manifest.txt"] != before["manifest.txt"]
    wine(env, "cmd", "/c", collector)
    assert _state(machine) == after


def test_values_by_reg_query_give_the_facts_regedit_gives(trusted_share, keys_client):
    """Where reg.exe is found, keys read for their own values are taken with reg query: the facts are those
    of regedit /e's subtrees (which tests/test_inventory_keys.py holds equal to the whole hives')."""
    env, catalog, collect = keys_client
    source = DATA / "machines-src" / "NT4WKS"
    for name in ("SOFTWARE.reg", "SYSTEM.reg"):  # the example machine's registry in the client's
        wine(env, "regedit", "/s", wine_path(source / name))
    collect()
    machine = _machine(trusted_share)
    assert [p.name for p in machine.glob("hf*.txt")]  # reg query's outputs
    by_query = gather_facts(machine, catalog, on_share=True).to_dict()
    reg = windows_dir(env) / "system32" / "reg.exe"
    reg.rename(reg.with_suffix(".hidden"))  # NT 4.0 or 2000 without reg.exe in netlogon
    (windows_dir(env) / "hfstage" / "collect.txt").unlink()
    collect()
    assert not list(machine.glob("hf*.txt"))
    by_regedit = gather_facts(machine, catalog, on_share=True).to_dict()
    by_query.pop("inputs"), by_regedit.pop("inputs")
    assert by_query["os"] is not None and by_query["hotfixes"]
    assert by_query == by_regedit
