"""Several sites, one picture (issue 16): signed bundles, a central folder that refuses what it cannot
trust, and the report across sites."""

from __future__ import annotations

import datetime as dt
import io
import json
import sqlite3
import zipfile

import pytest

from hfstage.central import load_private_key, write_bundle
from hfstage.pipeline import Site, build_demo_share, month
from hfstage.pipeline.demo import BRANCH_SITE_INI, MONTHS
from hfstage.share import Share
from tests.conftest import EXAMPLES


def _site(tmp_path, run, name, ini=None, months=MONTHS) -> Share:
    share = build_demo_share(tmp_path / name, *([ini] if ini else []))
    for label, as_of in months:
        cab = share.folder("incoming") / f"{label}.cab"
        cab.write_bytes((EXAMPLES / "incoming" / label / "mssecure.cab").read_bytes())
        month(Site(share), cab, as_of=as_of)
    assert run("site", "keygen", share.root)[0] == 0
    return share


@pytest.fixture
def world(tmp_path, run):
    hq = _site(tmp_path, run, "hq")
    branch = _site(tmp_path, run, "branch", BRANCH_SITE_INI, MONTHS[:1])
    central = tmp_path / "central"
    assert run("central", "init", central)[0] == 0
    for share, site_id in ((hq, "hq"), (branch, "branch")):
        (central / "trust" / f"{site_id}.pem").write_bytes((share.folder("reports") / "site-key.pub.pem").read_bytes())
    return hq, branch, central


def _export(run, share, path):
    code, out, err = run("export", share.root, path)
    assert code == 0, err
    return path


def _bundles(central) -> int:
    with sqlite3.connect(central / "central.sqlite") as conn:
        return conn.execute("SELECT COUNT(*) FROM bundles").fetchone()[0]


def _craft(share: Share, path, site_id="hq", name="Head office", created=None, month="2003-09", extra=None,
           key_share: Share | None = None, records=None):
    key = load_private_key((key_share or share).state / "site-key.pem")
    manifest = {"site_id": site_id, "site_name": name, "month": month, "catalog_version": "2.0.0.2",
                "hfstage_version": "x", "created_at": (created or dt.datetime.now(dt.timezone.utc)).isoformat(),
                **(extra or {})}
    members = records or {"machines.json": [{"machine": "PC1", "status": "compliant", "missing": 0}],
                          "findings.json": [], "plan.json": [], "results.json": []}
    path.write_bytes(write_bundle(path, manifest, members, key))
    return path


def test_export_import_report_end_to_end(world, run, tmp_path):
    hq, branch, central = world
    a, b = _export(run, hq, tmp_path / "hq.hfb"), _export(run, branch, tmp_path / "branch.hfb")
    with zipfile.ZipFile(a) as zf:  # nothing but the summary travels
        assert sorted(zf.namelist()) == ["findings.json", "machines.json", "manifest.json", "manifest.sig",
                                         "plan.json", "results.json"]
        machines = json.loads(zf.read("machines.json"))
    assert {m["machine"] for m in machines} >= {"DC01", "XPSP1"} and all("last_reported" in m for m in machines)
    code, out, _ = run("central", "import", central, a, b)
    assert code == 0 and "site hq, 2003-09: imported" in out and "site branch, 2003-08: imported" in out
    code, out, _ = run("central", "import", central, a)
    assert code == 0 and "already imported; nothing changed" in out and _bundles(central) == 2
    code, out, _ = run("central", "report", central, "--format", "json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["hq"]["catalog"] == "2.0.0.2" and rows["hq"]["behind"] == 0
    assert rows["branch"]["catalog"] == "2.0.0.1" and rows["branch"]["behind"] == 1
    assert rows["hq"]["machines"] == 12 and rows["hq"]["unreadable"] == 1
    html = (central / "reports" / "index.html").read_text()
    assert "Head office" in html and "1 catalog(s) behind 2.0.0.2" in html and "<script" not in html
    assert (central / "reports" / "sites" / "hq.html").read_text().count("<tr>") >= 12
    code, out, _ = run("central", "report", central, "--format", "csv")
    assert out.splitlines()[0].startswith("site,name,machines")


def test_a_new_bundle_rerenders_only_its_site(world, run, tmp_path):
    hq, branch, central = world
    run("central", "import", central, _export(run, hq, tmp_path / "hq.hfb"), _export(run, branch, tmp_path / "b.hfb"))
    run("central", "report", central)
    code, out, _ = run("central", "report", central)
    assert "0 site page(s) rendered, 2 unchanged" in out
    _month_two = MONTHS[1]
    cab = branch.folder("incoming") / "month2.cab"
    cab.write_bytes((EXAMPLES / "incoming" / "month2" / "mssecure.cab").read_bytes())
    month(Site(branch), cab, as_of=_month_two[1])
    run("central", "import", central, _export(run, branch, tmp_path / "b2.hfb"))
    code, out, _ = run("central", "report", central)
    assert "1 site page(s) rendered, 1 unchanged" in out


@pytest.mark.parametrize("case", ["truncated", "tampered member", "tampered manifest", "another site's key",
                                  "unknown site", "future", "not a zip"])
def test_bad_bundles_get_one_line_and_store_nothing(world, run, tmp_path, case):
    hq, branch, central = world
    good = _export(run, hq, tmp_path / "hq.hfb")
    bad = tmp_path / "bad.hfb"
    data = good.read_bytes()
    if case == "truncated":
        bad.write_bytes(data[: len(data) // 2])
    elif case in ("tampered member", "tampered manifest"):
        with zipfile.ZipFile(good) as zf:
            parts = {n: zf.read(n) for n in zf.namelist()}
        target = "machines.json" if case == "tampered member" else "manifest.json"
        parts[target] = parts[target][:-1] + b" ]" if case == "tampered member" else \
            parts[target].replace(b"2003-09", b"2003-10")
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for n, d in parts.items():
                zf.writestr(n, d)
        bad.write_bytes(out.getvalue())
    elif case == "another site's key":
        _craft(hq, bad, key_share=branch)  # says hq, signed by the branch office's key
    elif case == "unknown site":
        _craft(hq, bad, site_id="elsewhere")
    elif case == "future":
        _craft(hq, bad, created=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=3))
    else:
        bad.write_bytes(b"just some text\n")
    code, out, err = run("central", "import", central, bad)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code != 0 and len(lines) == 1 and str(bad) in lines[0], err
    assert _bundles(central) == 0


def test_replays_and_renames_are_refused_newer_fields_are_reported(world, run, tmp_path):
    hq, _, central = world
    now = dt.datetime.now(dt.timezone.utc)
    newer = _craft(hq, tmp_path / "new.hfb", created=now)
    older = _craft(hq, tmp_path / "old.hfb", created=now - dt.timedelta(hours=2))
    assert run("central", "import", central, newer)[0] == 0
    code, _, err = run("central", "import", central, older)
    assert code != 0 and "older than the bundle stored for site hq, 2003-09" in err and _bundles(central) == 1
    renamed = _craft(hq, tmp_path / "renamed.hfb", name="HQ Frankfurt", created=now + dt.timedelta(minutes=1))
    code, _, err = run("central", "import", central, renamed)
    assert code != 0 and "stored as 'Head office' but the bundle calls it 'HQ Frankfurt'" in err
    assert run("central", "import", central, renamed, "--renamed")[0] == 0
    future_fields = _craft(hq, tmp_path / "future-fields.hfb", name="HQ Frankfurt",
                           created=now + dt.timedelta(minutes=2),
                           extra={"weather": "sunny"},
                           records={"machines.json": [{"machine": "PC1", "status": "compliant", "missing": 0,
                                                       "mood": "happy"}],
                                    "findings.json": [], "plan.json": [], "results.json": []})
    code, out, _ = run("central", "import", central, future_fields)
    assert code == 0 and "skipped: manifest fields this hfstage does not know: weather" in out
    assert "machines.json: fields this hfstage does not know were skipped: mood" in out
