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

import dataclasses

from hfstage.inventory import machine_folders
from hfstage.pipeline import Site
from hfstage.scripts import collectors as collectors_module
from hfstage.scripts import write_collectors
from hfstage.scripts.batch import template_env, to_crlf
from hfstage.scripts.write import ANONYMOUS


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


def test_a_new_9x_machine_list_renders_the_9x_collector_alone(month1_site, monkeypatch):
    """The 9x collector names the 9x machines; the NT collector (255 KB at the bench's catalog) and the entry
    points name none: a month in which only that list changed renders and lints the 9x one alone (fails
    before: both collectors were one memo item)."""
    machines, netlogon = _machines(month1_site), month1_site.folder("netlogon")
    _write(month1_site, machines, ["W98"])
    rendered = []
    original = template_env().get_template

    def counted(name, *args, **kwargs):
        rendered.append(name)
        return original(name, *args, **kwargs)

    monkeypatch.setattr(template_env(), "get_template", counted)
    result = _write(month1_site, machines, ["W98", "WME"])
    assert rendered == ["collect_9x.bat.j2"]
    assert [p.name for p in result.written] == ["collect_9x.bat"]
    assert b"WME" in result.written[0].read_bytes()
    assert netlogon / "logon.bat" in result.unchanged


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


def _one_by_one(settings, machines: list[str]) -> dict[str, bytes]:
    """Each stub rendered for its machine alone: what render_stubs made before it rendered one text for all."""
    template = template_env().get_template("machine_stub.bat.j2")
    return {f"{m.upper()}.bat": to_crlf(template.render(machine=m.upper(), netlogon=settings.netlogon))
            for m in machines}


def test_the_stubs_made_from_one_text_are_each_machines_own(month1_site):
    """render_stubs renders one text with the placeholder name and puts each name in (issue 20: 5,000 stubs
    rendered and linted one by one): each stub must be byte for byte its own rendering, for names of every
    length; a [share] netlogon_unc that holds the placeholder has each stub rendered on its own."""
    settings = Site(month1_site).scripts
    machines = ["A", "pc-1", "W98", "WORKSTATION-0.1", "ABCDEFGHIJKLMNO"]
    made: dict = {}
    assert collectors_module.render_stubs(settings, machines, made) == _one_by_one(settings, machines)
    assert made == {f"{m.upper()}.bat": (m.upper(), made["A.bat"][1]) for m in machines}  # one shared text
    odd = dataclasses.replace(settings, netlogon=f"\\\\DC1\\{ANONYMOUS}")
    made = {}
    assert collectors_module.render_stubs(odd, machines, made) == _one_by_one(odd, machines) and made == {}


def test_a_stub_problem_is_found_in_every_stub_linted_once(month1_site):
    """Stubs are linted once per shared text (SharedLint): a text with a problem is linted stub by stub, so a
    netlogon path too long for command.com's 127 characters is named in every stub, as when each was linted."""
    settings = Site(month1_site).scripts
    long = dataclasses.replace(settings, netlogon="\\\\DC1\\" + "n" * 120)
    machines = ["A", "W98", "WORKSTATION-0.1"]
    made: dict = {}
    stubs = collectors_module.render_stubs(long, machines, made)
    shared = collectors_module.lint_collectors(stubs, long.unc, long.netlogon, made)
    alone = collectors_module.lint_collectors(stubs, long.unc, long.netlogon)
    assert shared == alone and {p.path for p in shared} == set(stubs)
    clean = collectors_module.render_stubs(settings, machines, made := {})
    assert collectors_module.lint_collectors(clean, settings.unc, settings.netlogon, made) == []
