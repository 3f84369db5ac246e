"""Hostile catalog XML (tests/data/attacks/xml, made by make_attacks.py): entities, DTDs and deep nesting are
refused with a one-line message naming the file, before any parse does work for them.
"""

from __future__ import annotations

import pytest

from hfstage.catalog.parser import parse_catalog_file
from hfstage.errors import UnsafeInputError
from tests.conftest import ATTACKS, one_line


@pytest.mark.parametrize("name, message", [
    ("xxe-file.xml", "declares a DTD or entities"), ("xxe-parameter.xml", "declares a DTD or entities"),
    ("billion-laughs.xml", "declares a DTD or entities"), ("quadratic-blowup.xml", "declares a DTD or entities"),
    ("deep-nesting.xml", "nested more than 32 deep"),
])
def test_hostile_xml_is_refused(name, message):
    with pytest.raises(UnsafeInputError, match=message) as e:
        parse_catalog_file(ATTACKS / "xml" / name)
    one_line(e.value)
    assert str(e.value).startswith(str(ATTACKS / "xml" / name))
