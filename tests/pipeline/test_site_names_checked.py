"""site.ini's names are checked against what they name, and only what some section names is gathered.

Each month starts by checking that [service_packs], [installers], [switches] and [reboot_machines] name things that
exist (a typo there silently changes nothing). The check listed every folder under inventory\\ for
[reboot_machines] every month, although most sites name no machine there: 5,000 directory entries read and
checked as machine names, then read again by the inventory step. Now a section's names are gathered only when
the section names something; the warnings are what they were (one per name that matches nothing, with its
nearest match), and a site that names no machine has inventory\\ listed once, by the inventory step.
"""

from __future__ import annotations

from hfstage.catalog import import_catalog
from hfstage.pipeline import Site, site
from tests.conftest import demo_with_cabinet


def _imported(tmp_path, extra: str):
    """The demo share with month 1's catalog imported (as the month's first step does) and EXTRA in site.ini."""
    share = demo_with_cabinet(tmp_path / "share", "month1")
    import_catalog(share)
    share.site_ini.write_text(share.site_ini.read_text() + extra)
    return share


def _listings(monkeypatch) -> list[object]:
    listed: list[object] = []
    original = site.machine_folders
    monkeypatch.setattr(site, "machine_folders", lambda share, *a: listed.append(share) or original(share, *a))
    return listed


def test_a_site_that_names_no_machine_does_not_list_inventory_to_check_its_names(tmp_path, monkeypatch):
    share = _imported(tmp_path, "\n[service_packs]\nWindows 2000 Srever = w2ksp4_en.exe\n")
    listed = _listings(monkeypatch)
    warnings = Site(share).check()
    assert listed == []
    named = [w for w in warnings if "[service_packs]" in w or "[reboot_machines]" in w]
    assert len(named) == 1 and "[service_packs] Windows 2000 Srever: the catalog names no such product; did you " \
                               "mean Windows 2000 Server?" in named[0]


def test_a_machine_named_in_site_ini_is_still_checked_against_inventory(tmp_path, monkeypatch):
    share = _imported(tmp_path, "\n[reboot_machines]\nWEBO1 = never\nWEB01 = never\n")
    listed = _listings(monkeypatch)
    warnings = Site(share).check()
    assert len(listed) == 1
    named = [w for w in warnings if "[reboot_machines]" in w]
    assert len(named) == 1 and "[reboot_machines] WEBO1: no machine of that name under inventory\\; did you " \
                               "mean WEB01?" in named[0]
