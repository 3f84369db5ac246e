"""One module knows every file the run keeps state in (share/layout.py): the run lock, the audit log, the
history, the pins, the site key, the site's own tables, the facts folder and every memo's record.

The story: thirteen names under state\\ used to be defined in ten modules while the share's layout knew
two; a new cache could appear that nobody listed (and nobody would know to back up, or to move aside when
damaged). Now no module joins a name onto state\\ itself, everything a demo run leaves in a share's state\\
(and in the central office's folder) is a registered name, and the share skeleton's state\\README.txt tells
the admin what each one is.
"""

from __future__ import annotations

import ast
import fnmatch

from hfstage import pipeline
from hfstage.share import CENTRAL_DB, CENTRAL_PAGES, MEMOS, STATE_FILES
from tests.conftest import REPO

PACKAGE = REPO / "tools" / "hfstage"
HOMES = {"share/layout.py", "share/memo.py"}


def _state_joins(path) -> list[int]:
    """Lines where PATH builds a path below a share's state folder itself (`x.state / ...`)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div)
            and isinstance(node.left, ast.Attribute) and node.left.attr == "state"]


def test_no_module_names_a_state_file_itself():
    found = [f"{p.relative_to(PACKAGE)}:{line}" for p in sorted(PACKAGE.rglob("*.py"))
             if str(p.relative_to(PACKAGE)) not in HOMES for line in _state_joins(p)]
    assert found == [], "use share.state_file(<a name registered in share/layout.py>)"


def _registered(rel: str) -> bool:
    names = [f.name for f in STATE_FILES] + [m.path for m in MEMOS]
    top = rel.split("/", 1)[0]
    if rel.startswith("facts/"):
        return True  # the facts folder: <MACHINE>.json and the facts memo's index
    return any(fnmatch.fnmatchcase(rel, n) or fnmatch.fnmatchcase(top, n) for n in names) or \
        rel in {"history.sqlite-wal", "history.sqlite-shm"}


def test_everything_a_demo_leaves_in_state_is_registered(tmp_path, capsys):
    pipeline.demo(tmp_path / "demo")
    capsys.readouterr()
    found = []
    for site in ("demo", "demo-branch"):
        state = tmp_path / site / "state"
        found += [f"{site}: {p.relative_to(state).as_posix()}" for p in state.rglob("*")
                  if not _registered(p.relative_to(state).as_posix())]
    assert found == []
    central = tmp_path / "demo-central"
    assert (central / CENTRAL_DB.name).is_file() and (central / "state" / CENTRAL_PAGES.path).is_file()
    assert sorted(p.name for p in (central / "state").iterdir()) == [CENTRAL_PAGES.path]


def test_the_skeleton_tells_the_admin_what_each_state_file_is():
    readme = (PACKAGE / "data" / "share_layout" / "state" / "README.txt").read_text(encoding="utf-8")
    missing = [entry.name for entry in STATE_FILES if entry.name not in readme]
    missing += [memo.path for memo in MEMOS if memo.path not in readme]
    assert missing == []
