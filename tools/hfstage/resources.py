"""Where the project's data folders are (share_layout/, batch_templates/, examples/)."""

from __future__ import annotations

from pathlib import Path

from hfstage.errors import UsageError

# tools/hfstage/resources.py -> repository root is two levels above the package.
_REPO_ROOT = Path(__file__).resolve().parents[2]


def resource_dir(name: str) -> Path:
    """A data folder at the repository root; hfstage runs from its checkout (pip -e)."""
    path = _REPO_ROOT / name
    if not path.is_dir():
        raise UsageError(
            f"{path}: hfstage's {name}/ folder is missing; install hfstage from its "
            "checkout with `pip install -e .` so its data folders stay beside it"
        )
    return path
