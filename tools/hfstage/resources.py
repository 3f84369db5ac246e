"""hfstage's own data (templates, tables, the share skeleton, the example site): package data.

Found with importlib.resources, so a wheel or a plain `pip install .` works from any folder.
"""

from __future__ import annotations

import json
from importlib import resources
from importlib.abc import Traversable

from hfstage.errors import InputError

PACKAGE = "hfstage"


def data(*parts: str) -> Traversable:
    """The package data entry at data/PARTS..."""
    node = resources.files(PACKAGE) / "data"
    for part in parts:
        node = node / part
    return node


def data_json(name: str) -> dict:
    """A JSON table shipped with hfstage (products.json, installers.json, ...)."""
    try:
        return json.loads(data(name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"hfstage's own {name} is unreadable ({e}); reinstall hfstage") from e


def walk(node: Traversable, prefix: tuple[str, ...] = ()):
    """(relative parts, file) for every file below NODE, sorted, in any kind of install."""
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            yield from walk(child, (*prefix, child.name))
        elif child.is_file():
            yield (*prefix, child.name), child
