"""An inventory worker loads no signature-checking code: it reads machines with a catalog already parsed.

Each month starts one worker per 100 machines, each a fresh interpreter (spawn) that imports the inventory;
through `hfstage.catalog` that used to load the catalog importer and with it the cabinet verifier
(hfstage.cab, cryptography, asn1crypto): about 0.1 s of every worker's start spent on code it never runs.
The importer is now loaded when a caller first names it, which every caller still can.
"""

from __future__ import annotations

import subprocess
import sys

SIGNATURE_CODE = ("hfstage.cab", "hfstage.catalog.importer", "cryptography", "asn1crypto")


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_a_worker_imports_no_signature_code():
    loaded = _loaded_after("import hfstage.inventory.workers")
    assert "hfstage.inventory.workers" in loaded
    assert sorted(m for m in loaded if m.startswith(SIGNATURE_CODE)) == []


def test_the_importer_is_still_there_when_named():
    loaded = _loaded_after("from hfstage.catalog import import_catalog, ImportResult, incoming_cabs, no_cab\n"
                           "assert import_catalog.__module__ == 'hfstage.catalog.importer'")
    assert {"hfstage.cab", "hfstage.catalog.importer"} <= loaded
    probe = subprocess.run([sys.executable, "-c", "import hfstage.catalog as c; c.no_such_name"],
                           capture_output=True, text=True)
    assert probe.returncode != 0 and "has no attribute 'no_such_name'" in probe.stderr
