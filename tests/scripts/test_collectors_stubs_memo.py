"""The 9x per-machine stubs have a memo key of their own (issue 20 section 6.3).

The collectors memo used to hold one key for everything in netlogon\\: the collectors, the entry points and
every machine's stub. A month in which one machine was reinstalled with Windows 98 (the 9x collector names
the 9x machines) or a new catalog came (the collectors copy its files) rendered, linted and compared all
5,000 stubs again, though a stub is made from its machine's name and [share] netlogon_unc alone. Now the
stubs are keyed on those alone: such a month renders the collectors, not the stubs. A key that left an input
out would leave a machine with no stub or a stub calling an old dispatcher: each input is changed below, and
the stubs must change with it.
"""

from __future__ import annotations

from hfstage.inventory import machine_folders
from hfstage.pipeline import Site
from hfstage.scripts import collectors as collectors_module
from hfstage.scripts import write_collectors


def _write(share, machines: list[str], nine_x: list[str]):
    site = Site(share)
    result = write_collectors(share, site.scripts, site.rules, site.catalog, machines, nine_x)
    assert not result.problems, result.problems
    return result


def _machines(share) -> list[str]:
    return sorted(f.name for f in machine_folders(share)[0])


def test_a_new_9x_machine_list_renders_the_collectors_not_the_stubs(month1_site, monkeypatch):
    machines, netlogon = _machines(month1_site), month1_site.folder("netlogon")
    _write(month1_site, machines, ["W98"])
    stub = (netlogon / "W98.bat").read_bytes()
    stubs = []
    original = collectors_module.render_stubs
    monkeypatch.setattr(collectors_module, "render_stubs", lambda *a: stubs.append(a) or original(*a))
    result = _write(month1_site, machines, ["W98", "WME"])
    assert stubs == [] and (netlogon / "W98.bat").read_bytes() == stub
    assert any(p.name == "collect_9x.bat" for p in result.written)  # it names the 9x machines
    assert netlogon / "W98.bat" in result.unchanged


def test_each_input_of_the_stubs_makes_them_again(month1_site):
    machines, netlogon = _machines(month1_site), month1_site.folder("netlogon")
    _write(month1_site, machines, ["W98"])
    # a machine the share did not have: its stub
    assert not (netlogon / "NEWPC.bat").exists()
    _write(month1_site, [*machines, "NEWPC"], ["W98"])
    assert b"set HFM=NEWPC\r\n" in (netlogon / "NEWPC.bat").read_bytes()
    # [share] netlogon_unc: each stub calls the dispatcher there
    ini = month1_site.site_ini
    ini.write_text(ini.read_text().replace("[share]\n", "[share]\nnetlogon_unc = \\\\DEMO-DC\\netlogon2\n", 1))
    _write(month1_site, [*machines, "NEWPC"], ["W98"])
    assert b"call \\\\DEMO-DC\\netlogon2\\logon.bat" in (netlogon / "W98.bat").read_bytes()
