"""The NT 4.0 job file is rendered only when what it is made from changed (issue 20 section 6.3).

schedule_nt4.bat (what an admin runs to copy each NT 4.0 machine's script and packages to its ADMIN$ and
schedule it) and hfstage_run.bat were rendered in every run, a loop over every NT 4.0 machine's packages,
even in a month where nothing changed: a fixed cost of the no-change month. Now the scripts memo keeps the
key of what they are made from (site.ini's share path, each NT 4.0 machine's packages, the catalog's
version the file names, the templates through the memo's format), and a run whose key is unchanged carries
both files into the next set as they are. A key that left one input out would leave an admin running last
month's jobs: each input below is changed, and the file must change with it.
"""

from __future__ import annotations

import shutil

from hfstage.catalog import import_catalog
from hfstage.history import FULL
from hfstage.pipeline import Site
from hfstage.pipeline.scripts import scripts_generate
from hfstage.scripts import write as write_module
from hfstage.share import current_generation
from tests.conftest import EXAMPLES

JOB = "schedule_nt4.bat"


def _generate(share) -> dict[str, bytes]:
    site = Site(share)
    rows = site.history.machines(site.history.latest_scan(FULL).id)
    result = scripts_generate(site, rows)
    assert not result.problems, result.problems
    folder = share.folder("scripts") / current_generation(share.folder("scripts"))
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_run_with_nothing_changed_renders_no_job_file(month1_site, monkeypatch):
    before = _generate(month1_site)
    assert b"NT4WKS" in before[JOB]  # the demo's NT 4.0 workstation has packages to install
    rendered = []
    original = write_module.scheduled_jobs
    monkeypatch.setattr(write_module, "scheduled_jobs", lambda *a: rendered.append(a) or original(*a))
    assert _generate(month1_site) == before and rendered == []


def test_each_input_of_the_job_file_makes_it_again(month1_site, tmp_path):
    before = _generate(month1_site)[JOB]
    # the catalog's version, which the file names (a catalog that changes no machine's plan)
    text = (EXAMPLES / "catalog" / "month1.xml").read_text(encoding="latin-1")
    (tmp_path / "next.xml").write_text(text.replace('DataVersion="2.0.0.1"', 'DataVersion="2.0.0.9"', 1),
                                       encoding="latin-1")
    import_catalog(month1_site, xml=tmp_path / "next.xml", allow_unsigned=True)
    after = _generate(month1_site)[JOB]
    assert after != before and b"2.0.0.9" in after
    # the share path in site.ini
    ini = month1_site.site_ini
    ini.write_text(ini.read_text().replace("[share]\n", "[share]\nunc = \\\\OTHER-DC\\hfstage\n", 1)
                   .replace("unc = \\\\DEMO-DC\\hfstage\n", "", 1))
    before, after = after, _generate(month1_site)[JOB]
    assert after != before and b"\\\\OTHER-DC\\hfstage" in after
    # an NT 4.0 machine's packages: its package leaves hotfixes\, so its job copies it no more
    package = "WindowsNT4Workstation-KB823980-x86-ENU.exe"
    assert package.encode() in after
    shutil.move(month1_site.folder("hotfixes") / package, tmp_path / package)
    before, after = after, _generate(month1_site)[JOB]
    assert after != before and package.encode() not in after
