"""The package's layering (DESIGN §9), read from the imports of every module.

Stages import only stages to their left: share < cab < catalog < inventory < assess < history
< packages < scripts < report < central < pipeline < cli; base modules (errors, versions, resources, faults,
notices, progress, workers) import only each other; nothing imports the CLI; one stage reaches another only through its
package (`from hfstage.catalog import ...`), never through its internal modules. The CLI reaches the stages only
through the conductor (pipeline), except the file tools, named below; text tables are made in one place.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "tools" / "hfstage"
STAGES = ["share", "cab", "catalog", "inventory", "assess", "history", "packages", "scripts", "report", "central",
          "pipeline", "cli"]
# The file tools: commands on a file, not a share, that may read it with the stage that knows it (cli/files.py).
FILE_TOOLS = {"cmd_cab_list", "cmd_cab_extract", "cmd_cab_verify", "cmd_facts", "cmd_pe_version", "cmd_scripts_lint"}
FILE_TOOL_MODULE = ("cli", "files.py")
VIEWS = ("pipeline", "views.py")  # the one module that makes text tables
BASE = {"errors", "versions", "resources", "faults", "notices", "progress", "workers", "__init__", "__main__"}


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every hfstage import in PATH, in functions too."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "hfstage":
            if node.module == "hfstage":  # from hfstage import cab, catalog ... (and __version__)
                found += [(node.lineno, f"hfstage.{alias.name}") for alias in node.names
                          if not alias.name.startswith("__")]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] == "hfstage"]
    return found


def _unit(parts: tuple[str, ...]) -> str:
    """The stage (or base module) a module path below the package belongs to."""
    return parts[0].removesuffix(".py")


def violations(package: Path) -> list[str]:
    """Every import that breaks the layering, as 'file:line: why'."""
    out = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).parts
        here = _unit(rel)
        for line, module in _imports(path):
            parts = module.split(".")[1:]
            if not parts:
                continue
            there = parts[0]
            where = f"{path.relative_to(package.parent)}:{line}: imports {module}"
            if there == "cli" and here not in ("cli", "__main__"):
                out.append(f"{where}: nothing imports the CLI")
            elif here in BASE and here != "__main__" and there not in BASE:
                out.append(f"{where}: a base module imports a stage")
            elif here in STAGES and there in STAGES and STAGES.index(there) > STAGES.index(here):
                out.append(f"{where}: {here} may not import {there}, a later stage")
            elif here in STAGES and there in STAGES and there != here and len(parts) > 1:
                out.append(f"{where}: reach {there} through its package (hfstage.{there}), not its modules")
            elif there not in STAGES and there not in BASE:
                out.append(f"{where}: {there} is neither a stage nor a base module")
            elif here == "cli" and there in STAGES and there not in ("cli", "pipeline") and rel != FILE_TOOL_MODULE:
                out.append(f"{where}: the CLI reaches {there} through the conductor (pipeline)")
        out += _file_tool_problems(path, rel) + _table_problems(path, rel)
    return out


def _file_tool_problems(path: Path, rel: tuple[str, ...]) -> list[str]:
    """The file-tool module holds the named file tools' handlers and nothing else."""
    if rel != FILE_TOOL_MODULE:
        return []
    handlers = {n.name for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef)}
    return [f"{'/'.join(rel)}: {name} is not a file tool; a command on a share goes through the conductor"
            for name in sorted(handlers - FILE_TOOLS)]


def _table_problems(path: Path, rel: tuple[str, ...]) -> list[str]:
    """Only pipeline/views.py imports tabulate: text views live in one place."""
    if rel == VIEWS:
        return []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = [n.lineno for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module == "tabulate"
             or isinstance(n, ast.Import) and any(a.name == "tabulate" for a in n.names)]
    return [f"{'/'.join(rel)}:{line}: a text table outside {'/'.join(VIEWS)}" for line in found]


def test_the_package_keeps_its_layers():
    assert violations(PACKAGE) == []


def test_every_stage_exports_its_api():
    for stage in STAGES:
        init = (PACKAGE / stage / "__init__.py").read_text(encoding="utf-8")
        assert "__all__" in init, f"hfstage/{stage}/__init__.py exports nothing"


def test_the_check_finds_each_kind_of_violation(tmp_path):
    """The checker itself, on a package that breaks every rule once."""
    pkg = tmp_path / "hfstage"
    for stage in ("share", "catalog", "report", "cli", "pipeline"):
        (pkg / stage).mkdir(parents=True)
        (pkg / stage / "__init__.py").write_text("")
    (pkg / "errors.py").write_text("from hfstage.share import Share\n")
    (pkg / "share" / "layout.py").write_text("def f():\n    from hfstage.report import x\n")
    (pkg / "catalog" / "store.py").write_text("from hfstage.share.files import atomic_write_text\n")
    (pkg / "report" / "site.py").write_text("import hfstage.cli\nfrom hfstage import mystery\nimport tabulate\n")
    (pkg / "cli" / "commands.py").write_text("from hfstage.catalog import import_catalog\n")
    (pkg / "cli" / "files.py").write_text("from hfstage import catalog\ndef cmd_catalog_list(args): pass\n")
    found = "\n".join(violations(pkg))
    for why in ("a base module imports a stage", "share may not import report, a later stage",
                "reach share through its package", "nothing imports the CLI", "mystery is neither",
                "the CLI reaches catalog through the conductor", "cmd_catalog_list is not a file tool",
                "report/site.py:3: a text table outside pipeline/views.py"):
        assert why in found, why
