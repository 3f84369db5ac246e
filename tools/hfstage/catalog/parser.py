"""Parse mssecure.xml (defusedxml) into a Catalog, resolving IDs and counting anomalies.

Real catalogs are dirty (Version="na", trailing spaces, Size="v", SBID=""): every such
value becomes None or a trimmed string and one Anomaly, never an exception.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from hfstage.catalog.checks import MAX_DEPTH, MAX_ELEMENTS, batch_values, check_names, check_size, depth
from hfstage.catalog.model import (
    AffectedProduct,
    Anomaly,
    Bulletin,
    Catalog,
    FileChange,
    Patch,
    Product,
    ProductFamily,
    RegChange,
    ServicePack,
    SupersededBy,
    Version,
)
from hfstage.errors import InputError, UnsafeInputError, q
from hfstage.share import read_input
from hfstage.versions import parse_version

ROOT_TAG = "BulletinDatastore"
_DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%Y", "%Y-%m-%d")
MAX_BYTES = 256 * 1024 * 1024


@functools.lru_cache(maxsize=4096)
def _parsed_date(value: str) -> dt.date | None:
    """VALUE in one of the catalog's date formats, or None. Cached: 7,600 dates of the 2001 catalog are a few
    hundred distinct strings, and strptime is the slowest call of the parse."""
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    return None


class _Reader:
    """Attribute access that records every value it had to work around."""

    def __init__(self) -> None:
        self.anomalies: list[Anomaly] = []

    def note(self, kind: str, where: str, detail: str) -> None:
        self.anomalies.append(Anomaly(kind, where, detail))

    def text(self, el: Element, name: str, where: str) -> str:
        raw = el.get(name, "")
        value = raw.strip()
        if value != raw:
            self.note("untrimmed value", where, f"{name}={q(raw)}")
        return value

    def ident(self, el: Element, name: str, where: str) -> str | None:
        value = self.text(el, name, where)
        if not value:
            self.note("blank id", where, f"{name} is blank")
            return None
        return value

    def number(self, el: Element, name: str, where: str, blank_ok: bool = True) -> int | None:
        value = self.text(el, name, where)
        if value == "":
            if not blank_ok:
                self.note("blank id", where, f"{name} is blank")
            return None
        try:
            return int(value, 16) if value.lower().startswith("0x") else int(value)
        except ValueError:
            self.note("unparsable number", where, f"{name}={q(value)}")
            return None

    def version(self, el: Element, name: str, where: str) -> Version | None:
        value = self.text(el, name, where)
        parsed = parse_version(value)
        if parsed is not None:
            return parsed
        self.note("unparsable version" if value else "blank version", where, f"{name}={q(value)}")
        return None

    def date(self, el: Element, name: str, where: str) -> dt.date | None:
        value = self.text(el, name, where)
        if not value:
            return None
        parsed = _parsed_date(value)
        if parsed is None:
            self.note("unparsable date", where, f"{name}={q(value)}")
        return parsed

    def ids(self, el: Element | None, child: str, name: str, where: str) -> list[int]:
        if el is None:
            return []
        found = (self.number(c, name, where, blank_ok=False) for c in el.iter(child))
        return [i for i in found if i is not None]


def parse_catalog_file(path: Path) -> Catalog:
    """Parse mssecure.xml at PATH; errors name the file."""
    return parse_catalog(read_input(path, MAX_BYTES, "catalog"), str(path))


def parse_catalog(data: bytes, source: str = "mssecure.xml", max_elements: int = MAX_ELEMENTS) -> Catalog:
    """Parse catalog bytes; SOURCE names the file in error messages."""
    check_size(data, source, max_elements)
    try:
        root = fromstring(data, forbid_dtd=True)
    except DefusedXmlException as e:
        raise UnsafeInputError(f"{source}: refused: the document declares a DTD or entities ({type(e).__name__}); "
                               "a catalog never needs one, and entities can expand without end or read local "
                               "files") from e
    except ParseError as e:
        raise InputError(f"{source}: not well-formed XML: {e}") from e
    deepest = depth(root)
    if deepest > MAX_DEPTH:
        raise UnsafeInputError(f"{source}: refused: elements nested more than {MAX_DEPTH} deep; the catalog "
                               "schema nests 8 deep")
    if root.tag != ROOT_TAG:
        raise InputError(f"{source}: root element is <{root.tag}>, expected <{ROOT_TAG}> (not an mssecure.xml)")
    r = _Reader()
    catalog = Catalog(
        data_version=r.text(root, "DataVersion", ROOT_TAG),
        last_data_update=r.date(root, "LastDataUpdate", ROOT_TAG),
        schema_version=r.text(root, "SchemaVersion", ROOT_TAG),
        tool_version=r.text(root, "ToolVersion", ROOT_TAG),
    )
    if not catalog.data_version:
        raise InputError(f"{source}: <{ROOT_TAG}> has no DataVersion; cannot store it")
    _lookups(root, r, catalog)
    _products(root, r, catalog)
    _files(root, r, catalog)
    _registry(root, r, catalog)
    _supersedence(root, r, catalog)
    _bulletins(root, r, catalog)
    check_names(catalog, data, source)
    catalog.anomalies = r.anomalies + batch_values(catalog)
    return catalog


def _table(root: Element, section: str, item: str) -> list[Element]:
    el = root.find(section)
    return [] if el is None else el.findall(item)


def _put(table: dict, key, value, r: _Reader, where: str) -> None:
    if key is None:
        return
    if key in table:
        r.note("duplicate id", where, f"id {key} defined again; the first definition is kept")
        return
    table[key] = value


def _lookups(root: Element, r: _Reader, c: Catalog) -> None:
    for el in _table(root, "Locations", "Location"):
        _put(c.locations, r.number(el, "LocationID", "Location", False), r.text(el, "Path", "Location"), r, "Location")
    for el in _table(root, "Comments", "Comment"):
        _put(c.comments, r.number(el, "CommentID", "Comment", False), r.text(el, "Text", "Comment"), r, "Comment")
    for el in _table(root, "Severities", "Severity"):
        sid = r.number(el, "SeverityID", "Severity", False)
        _put(c.severities, sid, r.text(el, "Description", "Severity"), r, "Severity")
    for el in _table(root, "MSSeverities", "MSSeverity"):
        sid = r.number(el, "MSSeverityID", "MSSeverity", False)
        name = el.get("Severity") or el.get("Name") or el.get("Description") or ""
        _put(c.ms_severities, sid, name.strip(), r, "MSSeverity")
    for el in _table(root, "Commands", "Command"):
        _put(c.commands, r.ident(el, "CommandID", "Command"), r.text(el, "Name", "Command"), r, "Command")
    for el in _table(root, "WellKnownURLs", "WellKnownURL"):
        key = el.get("URLID") or el.get("ID") or el.get("Name") or el.get("Type")
        _put(c.well_known_urls, key.strip() if key else None, (el.get("URL") or "").strip(), r, "WellKnownURL")
    for el in _table(root, "ServicePacks", "ServicePack"):
        where = f"ServicePack {el.get('ServicePackID')}"
        sp = ServicePack(
            id=r.number(el, "ServicePackID", where, False) or 0,
            name=r.text(el, "Name", where),
            url=r.text(el, "URL", where) or None,
            release_date=r.date(el, "ReleaseDate", where),
        )
        _put(c.service_packs, sp.id if el.get("ServicePackID", "").strip() else None, sp, r, where)
    for el in _table(root, "ProductFamilies", "ProductFamily"):
        fid = r.number(el, "ProductFamilyID", "ProductFamily", False)
        _put(c.product_families, fid, ProductFamily(fid or 0, r.text(el, "Name", "ProductFamily")), r,
             f"ProductFamily {fid}")


def _ref(table: dict, key, r: _Reader, where: str, what: str):
    """TABLE[KEY], or None with a dangling-reference anomaly."""
    if key is None:
        return None
    if key not in table:
        r.note("dangling reference", where, f"{what} {key} is not defined")
        return None
    return table[key]


def _products(root: Element, r: _Reader, c: Catalog) -> None:
    for el in _table(root, "Products", "Product"):
        pid = r.number(el, "ProductID", "Product", False)
        where = f"Product {pid}"
        product = Product(
            id=pid or 0,
            name=r.text(el, "Name", where),
            minimum_service_pack_id=r.number(el, "MinimumSupportedServicePackID", where),
            current_service_pack_id=r.number(el, "CurrentServicePackID", where),
            current_version=r.version(el, "CurrentVersion", where) if el.get("CurrentVersion") else None,
            family_ids=r.ids(el.find("ProductFamilies"), "ProductFamily", "ProductFamilyID", where),
            available_service_pack_ids=r.ids(el.find("AvailableSPs"), "AvailableSP", "ServicePackID", where),
        )
        for fid in product.family_ids:
            _ref(c.product_families, fid, r, where, "ProductFamilyID")
        for sid in product.available_service_pack_ids:
            _ref(c.service_packs, sid, r, where, "ServicePackID")
        _put(c.products, pid, product, r, where)


def _files(root: Element, r: _Reader, c: Catalog) -> None:
    for file_el in _table(root, "Files", "File"):
        c.file_count += 1
        where = f"File {file_el.get('FileID')}"
        name = r.ident(file_el, "Name", where) or ""
        location = _ref(c.locations, r.number(file_el, "LocationID", where), r, where, "LocationID")
        for el in file_el.iter("FileChange"):
            fcid = r.number(el, "FileChangeID", where, False)
            fwhere = f"FileChange {fcid} ({name})"
            change = FileChange(
                id=fcid or 0, file_name=name, location=location,
                date=r.date(el, "Date", fwhere),
                version=r.version(el, "Version", fwhere),
                version_text=r.text(el, "Version", fwhere),
                size=r.number(el, "Size", fwhere),
                command=r.text(el, "CommandID", fwhere),
                checksum=r.text(el, "Checksum", fwhere) or None,
            )
            _ref(c.commands, change.command or None, r, fwhere, "CommandID")
            if fcid is None:
                continue
            # A real catalog reuses FileChangeID 177 for two files; a FileChg naming it
            # then means both, so every change is kept under its id.
            if fcid in c.file_changes:
                r.note("duplicate id", fwhere, f"FileChangeID {fcid} is shared with another file; "
                       "references to it check both")
            c.file_changes.setdefault(fcid, []).append(change)


def _registry(root: Element, r: _Reader, c: Catalog) -> None:
    for key_el in _table(root, "RegKeys", "RegKey"):
        key_id = r.number(key_el, "RegKeyID", "RegKey", False)
        where = f"RegKey {key_id}"
        value_name = r.text(key_el, "Name", where)
        value_type = r.text(key_el, "Type", where) or None
        for el in key_el.iter("RegChange"):
            rcid = r.number(el, "RegChangeID", where, False)
            rwhere = f"RegChange {rcid}"
            # Some RegChanges carry a RegKeyID of their own that contradicts the RegKey
            # they sit in; the enclosing element is the one HFNetChk used.
            own = el.get("RegKeyID")
            if own is not None and own.strip() != str(key_id):
                r.note("conflicting reference", rwhere, f"RegKeyID={q(own)} inside RegKey {key_id}")
            change = RegChange(
                id=rcid or 0,
                key=_ref(c.locations, r.number(el, "LocationID", rwhere), r, rwhere, "LocationID"),
                value_name=value_name, value_type=value_type,
                value=r.text(el, "RegChangeValue", rwhere),
                command=r.text(el, "CommandID", rwhere),
            )
            _ref(c.commands, change.command or None, r, rwhere, "CommandID")
            _put(c.reg_changes, rcid, change, r, rwhere)


def _supersedence(root: Element, r: _Reader, c: Catalog) -> None:
    for el in _table(root, "SupercededBys", "SupercededBy"):
        sbid = r.number(el, "SBID", "SupercededBy", False)
        entry = SupersededBy(sbid or 0, r.text(el, "Description", f"SupercededBy {sbid}"))
        for b in el.iter("SupercededBulletin"):
            bid = r.ident(b, "BulletinID", f"SupercededBy {sbid}") or ""
            names = [r.text(p, "PatchName", f"SupercededBy {sbid}") for p in b.iter("SupercededPatch")]
            entry.bulletins.append((bid, [n for n in names if n]))
        if not entry.bulletins:
            r.note("empty supersedence", f"SupercededBy {sbid}", "names no superseding bulletin")
        _put(c.superseded_by, sbid, entry, r, f"SupercededBy {sbid}")


def _bulletins(root: Element, r: _Reader, c: Catalog) -> None:
    for el in _table(root, "Bulletins", "Bulletin"):
        bid = r.ident(el, "BulletinID", "Bulletin")
        where = f"Bulletin {bid}"
        base = _ref(c.locations, r.number(el, "BulletinLocationID", where), r, where, "BulletinLocationID")
        faq = r.text(el, "FAQPageName", where)
        bulletin = Bulletin(
            id=bid or "", title=r.text(el, "Title", where),
            date_posted=r.date(el, "DatePosted", where), date_revised=r.date(el, "DateRevised", where),
            supported=r.text(el, "Supported", where).lower() != "no",
            summary=r.text(el, "Summary", where), issue=r.text(el, "Issue", where),
            url=f"{base.rstrip('/')}/{bid}.asp" if base and bid else None,
            faq_url=f"{base.rstrip('/')}/{faq}" if base and faq else None,
            qnumbers=[q for q in (r.text(q, "QNumber", where) for q in el.iter("QNumber")) if q],
            comments=_comments(el.find("BulletinComments"), "BulletinComment", r, c, where),
            severity_ids={k: v for k in ("ImpactSeverityID", "PreReqSeverityID", "MitigationSeverityID",
                                         "PopularitySeverityID") if (v := r.number(el, k, where)) is not None},
            ms_severity_id=r.number(el, "MSSeverityID", where),
        )
        patches = el.find("Patches")
        for p in [] if patches is None else patches.findall("Patch"):
            bulletin.patches.append(_patch(p, bulletin, r, c))
        if bid is not None:
            _put(c.bulletins, bid, bulletin, r, where)


def _comments(el: Element | None, child: str, r: _Reader, c: Catalog, where: str) -> list[str]:
    ids = r.ids(el, child, "CommentID", where)
    return [t for t in (_ref(c.comments, i, r, where, "CommentID") for i in ids) if t is not None]


def _patch(el: Element, bulletin: Bulletin, r: _Reader, c: Catalog) -> Patch:
    name = r.ident(el, "PatchName", f"Bulletin {bulletin.id} Patch") or ""
    where = f"Patch {name} ({bulletin.id})"
    sbid = r.number(el, "SBID", where, blank_ok=False) or None  # 0 means "not superseded"
    patch = Patch(
        name=name, bulletin_id=bulletin.id, sq_number=r.text(el, "SQNumber", where) or None,
        sbid=sbid, no_reboot=r.text(el, "NoReboot", where) == "1",
        url=_ref(c.locations, r.number(el, "PatchLocationID", where), r, where, "PatchLocationID"),
        comments=_comments(el.find("PatchComments"), "PatchComment", r, c, where) + (
            [r.text(el, "ShavlikPatchComment", where)] if el.get("ShavlikPatchComment", "").strip() else []),
        file_change_ids=r.ids(el.find("FileChgs"), "FileChg", "FileChangeID", where),
        reg_change_ids=r.ids(el.find("RegChgs"), "RegChg", "RegChangeID", where),
        ms_severity_id=r.number(el, "MSSeverityID", where),
        cve_ids=_list_attr(el, "CVEID"), bugtraq_ids=_list_attr(el, "BugtraqID"),
    )
    if patch.ms_severity_id is None:
        patch.ms_severity_id = bulletin.ms_severity_id
    _ref(c.superseded_by, sbid, r, where, "SBID")
    _ref(c.ms_severities, patch.ms_severity_id, r, where, "MSSeverityID") if c.ms_severities else None
    for fcid in patch.file_change_ids:
        _ref(c.file_changes, fcid, r, where, "FileChangeID")
    for rcid in patch.reg_change_ids:
        _ref(c.reg_changes, rcid, r, where, "RegChangeID")
    for ap in el.findall("AffectedProduct"):
        patch.affected.append(_affected(ap, r, c, where))
    return patch


def _list_attr(el: Element, name: str) -> list[str]:
    return [v for v in re.split(r"[,;\s]+", el.get(name, "")) if v]


def _affected(el: Element, r: _Reader, c: Catalog, where: str) -> AffectedProduct:
    pid = r.number(el, "ProductID", where, False)
    _ref(c.products, pid, r, where, "ProductID")
    fixed = r.number(el, "FixedInSP", where) or None
    _ref(c.service_packs, fixed, r, where, "FixedInSP")
    sps = r.ids(el, "AffectedServicePack", "ServicePackID", where)
    for sid in sps:
        _ref(c.service_packs, sid, r, where, "ServicePackID")
    return AffectedProduct(pid or 0, fixed, sps)
