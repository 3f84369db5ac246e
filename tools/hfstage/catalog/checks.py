"""What a catalog may hold, checked at import against the strictest consumer of each value (DESIGN §8).

Before parsing: how many elements and attributes (each costs memory in the tree). After: IDs
and names that become paths (refused: the whole catalog), and names safe as paths but not in a
batch line (each counted as an anomaly, and left out of the scripts and collectors on its own).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from hfstage.catalog.model import Anomaly, Catalog
from hfstage.errors import UnsafeInputError
from hfstage.share import (
    batch_file_name_problem,
    batch_location_problem,
    batch_text_problem,
    file_name_problem,
    id_problem,
    location_problem,
)

MAX_DEPTH = 32  # the real schema nests 8 deep
MAX_ELEMENTS = 1_000_000  # the 2001 catalog holds 9,773; [catalog] max_elements in site.ini
ATTRIBUTES_PER_ELEMENT = 8  # the 2001 catalog averages 2.3


def check_size(data: bytes, source: str, max_elements: int = MAX_ELEMENTS) -> None:
    """Refuse, before any parsing, more elements or attributes than MAX_ELEMENTS allows: each costs
    ~100 bytes in the tree, so 40 MB of `<a/>` would be 10 million of them. Counting '<' and '='
    bytes over-counts (end tags, text), never under-counts, and takes milliseconds."""
    elements = data.count(b"<") - data.count(b"</")
    attributes = data.count(b"=")
    if elements > max_elements or attributes > max_elements * ATTRIBUTES_PER_ELEMENT:
        raise UnsafeInputError(f"{source}: refused: about {elements} elements and {attributes} attributes, more "
                               f"than the {max_elements} elements a catalog may hold ([catalog] max_elements in "
                               "site.ini; the 2001 catalog has about 10,000)")


UNSCRIPTABLE = "unscriptable name"


def batch_values(catalog: Catalog) -> list[Anomaly]:
    """Every catalog value a batch line holds, against its strictest consumer (Q326830&W2K.EXE, an SQNumber
    Q326830%PATH%, a non-ASCII letter): each is counted here, at import, and costs only itself later (its patch
    is never scripted, its file never collected, a product name is shown with ? in rem lines)."""
    found = []
    for bulletin in catalog.bulletins.values():
        for patch in bulletin.patches:
            if patch.batch_problem:
                found.append(Anomaly(UNSCRIPTABLE, f"Patch {_printable(patch.name)} ({bulletin.id}, SQNumber "
                                     f"{_printable(patch.sq_number or '-')})",
                                     f"no script will run it: {patch.batch_problem}"))
    for product in catalog.products.values():  # named in the scripts' rem lines: shown there with ? for each
        problem = batch_text_problem(product.name.strip())
        if problem:
            found.append(Anomaly(UNSCRIPTABLE, f"Product {_printable(product.name)} ({product.id})", problem))
    for changes in catalog.file_changes.values():
        for fc in changes:
            problem = batch_file_name_problem(fc.file_name.strip()) or batch_location_problem(fc.location or "")
            if problem:
                found.append(Anomaly(UNSCRIPTABLE, f"File {_printable(fc.file_name)} in "
                                     f"{_printable(fc.location or '?')}", f"no collector will copy it: {problem}"))
    return found


def check_names(catalog: Catalog, data: bytes, source: str) -> None:
    r"""Refuse a catalog whose values would become unsafe file names (DESIGN §8).

    DataVersion names a folder under catalogs\, BulletinIDs name report pages, patch and
    file names name packages and collected files, file locations name folders the
    collector copies into: one traversal in any of them could write outside the share.
    """
    checks = [("BulletinDatastore", "DataVersion", catalog.data_version, id_problem)]
    for bulletin in catalog.bulletins.values():
        checks.append(("Bulletin", "BulletinID", bulletin.id, id_problem))
        checks += [("Patch", "PatchName", p.name, file_name_problem) for p in bulletin.patches]
    for entry in catalog.superseded_by.values():
        checks += [("SupercededBulletin", "BulletinID", bid, id_problem) for bid, _ in entry.bulletins if bid]
    for changes in catalog.file_changes.values():
        for fc in changes:
            checks.append(("File", "Name", fc.file_name, file_name_problem))
            if fc.location:
                checks.append(("Location", "Path", fc.location, location_problem))
    seen = set()  # the 2001 catalog names 7,600 files, most of them many times: each name is checked once
    for element, attribute, value, rule in checks:
        if (rule, value) in seen:
            continue
        seen.add((rule, value))
        problem = rule(value)
        if problem:
            raise UnsafeInputError(f"{source} line {_line_of(data, attribute, value)}: <{element} {attribute}="
                                   f"\"{_printable(value)}\">: refused: not a safe name ({problem})")


def _line_of(data: bytes, attribute: str, value: str) -> int | str:
    """The line where ATTRIBUTE="VALUE" first appears (an error message's pointer), or '?'."""
    for quote in ('"', "'"):
        needle = f"{attribute}={quote}".encode()
        start = 0
        while (at := data.find(needle, start)) >= 0:
            end = data.find(quote.encode(), at + len(needle))
            raw = data[at + len(needle):end].decode("utf-8", "replace")
            if raw.strip() == value:
                return data.count(b"\n", 0, at) + 1
            start = at + 1
    return "?"


def _printable(value: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in value)[:80]


def depth(root: Element) -> int:
    """How deep elements nest (MAX_DEPTH + 1 at most), without recursion (a hostile file may nest 100,000 deep):
    one level at a time, each a list of the elements at that depth."""
    deepest, level = 1, [root]
    while deepest <= MAX_DEPTH:
        level = [child for el in level for child in el]
        if not level:
            break
        deepest += 1
    return deepest
