"""The plan is the contract (issue 21): it lists exactly what the scripts install, and never claims what
it cannot know.

The plan listed only new or revised bulletins, while the scripts install every missing patch: MS01-033
(Critical) was in W2KSRV.bat and WEB01.bat and nowhere in plan.md or plan.html. The plan now opens with
what the published scripts install, per patch with its machines (from the very lists the scripts were
rendered from), and what applies but is not scripted, and why; the set of (machine, patch) pairs in the
scripts equals the set in the plan.

`hfstage plan SHARE` with no full scan recorded printed "0 applicable ... no machine here runs an
affected product" and exited 0: a plan for the change process that said nothing needed doing, when
nothing had been looked at. It now refuses with one line (exit 2) until a full scan of the current
catalog is recorded.
"""

from __future__ import annotations

import re
import shutil

from hfstage.pipeline import Site, build_demo_share, month_plan
from hfstage.share.names import OWN_FILES
from tests.conftest import DATA, EXAMPLES
from tests.published import published


def test_plan_without_a_full_scan_refuses_in_one_line(share, run, real_catalog_path):
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    shutil.copytree(DATA / "inventory" / "W98", share.folder("inventory") / "W98")
    code, out, err = run("plan", share.root, "--format", "text")
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and "no full scan recorded yet" in err and "hfstage scan" in err
    assert run("scan", share.root, "--machine", "W98")[0] in (0, 1)  # a look at one machine is not the record
    assert run("plan", share.root, "--format", "text")[0] == 2
    assert run("scan", share.root, "--fail-on", "none")[0] == 0
    code, out, err = run("plan", share.root, "--format", "text")
    assert code == 0 and "Windows 98" in out, err


STEP = re.compile(r"^rem (\S+) (\S+) (\S+) \([\w-]+\)", re.M)  # each install step's header in a machine script


def script_pairs(share) -> set[tuple[str, str, str]]:
    """(machine, bulletin, package) for every install step of every published machine script."""
    pairs = set()
    for path in published(share).glob("*.bat"):
        machine = path.stem
        if machine.endswith("-rollback") or path.name in OWN_FILES["netlogon"]:
            continue
        pairs |= {(machine, bulletin, patch) for bulletin, _, patch in STEP.findall(path.read_text())}
    return pairs


def test_the_plan_lists_exactly_what_the_scripts_install(tmp_path, run):
    """MS01-033 (Critical) was in W2KSRV.bat and WEB01.bat and nowhere in plan.md or plan.html."""
    share = build_demo_share(tmp_path / "demo")
    for month, day in (("month1", "2003-08-15"), ("month2", "2003-09-15")):
        shutil.copyfile(EXAMPLES / "incoming" / month / "mssecure.cab", share.folder("incoming") / f"{month}.cab")
        code, _, err = run("month", share.root, "--as-of", day, "--fail-on", "none")
        assert code == 0, err
        pairs = script_pairs(share)
        plan = month_plan(Site(share))
        assert pairs and plan.pairs() == pairs, month
    assert ("W2KSRV", "MS01-033", "Q300972_W2K_SP3_x86_en.EXE") in pairs
    for fmt, name in (("md", "plan.md"), ("html", "plan.html")):
        text = (share.folder("reports") / name).read_text()
        section = text.split("What the scripts install", 1)[1].split("Applicable, not scripted", 1)[0]
        assert "MS01-033" in section and "W2KSRV" in section and "WEB01" in section, fmt
    code, out, _ = run("plan", share.root, "--format", "text")
    assert code == 0 and f"WHAT THE SCRIPTS INSTALL ({len({(b, p) for _, b, p in pairs})} patch(es), " \
                         f"{len(pairs)} install(s))" in out


def test_a_manual_share_plans_ring_by_ring_pilot_first(tmp_path, run):
    """With [approval] mode = manual, a pilot ring and only the pilot approved, the plan listed every install in
    one table: an admin could not see what goes to the pilot this week and what waits for everyone else. The
    plan now groups the scripted patches per ring, in site.ini's order (pilot first, as written), then all; the
    pairs printed ring by ring are still exactly the scripts' pairs."""
    share = build_demo_share(tmp_path / "demo")
    share.site_ini.write_text(share.site_ini.read_text() + "\n[approval]\nmode = manual\n[rings]\n"
                              "pilot = W2KSRV, NT4WKS\n")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "m1.cab")
    assert run("month", share.root, "--as-of", "2003-08-15", "--fail-on", "none")[0] == 0
    assert run("approve", share.root, "MS01-033", "MS03-026", "--ring", "pilot")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    plan = month_plan(Site(share))
    pairs = script_pairs(share)
    assert pairs and plan.pairs() == pairs and {m for m, _, _ in pairs} <= {"W2KSRV", "NT4WKS"}
    assert [(r.ring, r.members) for r in plan.rings] == [("pilot", "W2KSRV, NT4WKS"),
                                                          ("all", "every machine no other ring names")]
    assert plan.rings[0].deploy and not plan.rings[1].deploy
    code, out, _ = run("plan", share.root, "--format", "text")
    pilot = out.index("RING pilot (W2KSRV, NT4WKS): ")
    assert code == 0 and pilot < out.index("MS01-033") < out.index("RING all (") < out.index("APPLICABLE, NOT")
    assert "none: no script of this ring installs anything" in out.split("RING all (", 1)[1]
    assert "WEB01: MS01-033 Q300972_W2K_SP3_x86_en.EXE: not approved for ring all" in out
    assert run("approve", share.root, "MS01-033", "--ring", "all")[0] == 0
    assert run("scripts", "generate", share.root)[0] == 0
    plan = month_plan(Site(share))
    assert plan.pairs() == script_pairs(share)
    assert [m for d in plan.rings[1].deploy for m in d.machines if d.bulletin == "MS01-033"] == ["WEB01"]
    assert run("scan", share.root, "--fail-on", "none")[0] == 0  # the report's plan.md and plan.html
    for name, heading in (("plan.md", "### Ring pilot: "), ("plan.html", '<h3 id="ring-pilot">Ring pilot: ')):
        text = (share.folder("reports") / name).read_text()
        assert heading in text and text.index(heading) < text.index(heading.replace("pilot", "all")), name
