"""Every catalog value a batch line holds is checked at import; one odd value costs only its own patch.

The story (review finding 5): the PatchName member of the class was fixed, the Q number was not. An
unsigned catalog (--allow-unsigned) whose MS02-045 QNumber/SQNumber is `Q326830&X` (or holds a non-ASCII
letter, or %PATH%) was imported without a word, and `month` then stopped at step 6 for EVERY machine:
"template value 'Q326830&X' contains '&'" (the Q number goes into each step's rem and HFRESULT lines).
Now each value is checked against its strictest consumer when the catalog is imported: a patch whose
SQNumber or BulletinID a batch line cannot hold is named and left out of the scripts on its own; a product
name a rem line cannot show as it is is named too, and shown there with ? in its place.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from hfstage.catalog import parse_catalog
from tests.conftest import EXAMPLES
from tests.published import published

MONTH2 = (EXAMPLES / "catalog" / "month2.xml").read_text()


def _hf(*args):
    return subprocess.run([sys.executable, "-m", "hfstage", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("qnumber", ["Q326830&amp;X", "Q32683\u00c9", "Q326830%PATH%"])
def test_one_odd_q_number_costs_that_patch_only(tmp_path, qnumber):
    """The reviewer's month: the import names the patch, and step 6 writes every machine's script."""
    from hfstage.pipeline import build_demo_share

    share = build_demo_share(tmp_path / "share")
    shutil.copyfile(EXAMPLES / "incoming" / "month1" / "mssecure.cab", share.folder("incoming") / "m1.cab")
    assert _hf("month", share.root, "--fail-on", "none").returncode == 0
    xml = MONTH2.replace('<QNumber QNumber="Q326830"/>', f'<QNumber QNumber="{qnumber}"/>') \
                .replace('SQNumber="Q326830"', f'SQNumber="{qnumber}"')
    (tmp_path / "odd.xml").write_text(xml, encoding="utf-8")
    imported = _hf("catalog", "import", share.root, "--xml", tmp_path / "odd.xml", "--allow-unsigned")
    assert imported.returncode == 0 and "SQNumber" in imported.stdout + imported.stderr, imported
    done = _hf("month", share.root, "--fail-on", "none")
    assert done.returncode == 0 and "[6/7] scripts:" in done.stdout, done.stderr
    assert "WindowsNT4Workstation-KB824146-x86-ENU.exe" in (published(share) / "NT4WKS.bat").read_text()


@pytest.mark.parametrize("sq, ok", [
    ("Q326830", True), ("q326830", True), ("KB824146", True),
    ("Q326830;X", False),  # a results line is split at ';': a field of its own
    ("Q326830 X", False), ("Q326830^", False), ('Q3"26830', False), ("Q326830!X", False), ("Q" * 40, False),
])
def test_each_patch_is_judged_by_every_id_its_lines_hold(sq, ok):
    """An SQNumber goes into rem, echo and HFRESULT lines and marker names: letters, digits and . _ - only; the
    patch alone is named as unscriptable, the rest of the catalog stays usable."""
    xml = MONTH2.replace('SQNumber="Q326830"', f'SQNumber="{sq.replace(chr(34), "&quot;")}"', 1)
    catalog = parse_catalog(xml.encode(), "odd.xml")
    (patch,) = [p for p in catalog.patches() if p.name.strip() == "Q326830i.EXE"]
    assert (patch.batch_problem is None) == ok, patch.batch_problem
    named = [a.where for a in catalog.anomalies if a.kind == "unscriptable name"]
    assert any("Q326830i.EXE" in w for w in named) == (not ok), named
    assert all(p.batch_problem is None for p in catalog.patches() if p.name.strip() != "Q326830i.EXE")


def test_a_product_name_a_rem_line_cannot_show_is_named_at_import():
    """Product names go into the scripts' first rem line: one with & or % is named, not silently mangled."""
    xml = MONTH2.replace('Name="Windows NT Server 4.0"', 'Name="Windows NT Server 4.0 &amp; %PATH%"')
    catalog = parse_catalog(xml.encode(), "odd.xml")
    named = [a.where for a in catalog.anomalies if a.kind == "unscriptable name"]
    assert any(w.startswith("Product Windows NT Server 4.0 & %PATH%") for w in named), named
