"""Catalogs: mssecure.xml parsing, the catalog model, stored catalogs, imports and diffs."""

from hfstage.catalog.diff import CatalogDiff, diff_catalogs, superseding
from hfstage.catalog.model import (
    AffectedProduct,
    Anomaly,
    Bulletin,
    Catalog,
    FileChange,
    Patch,
    Product,
    RegChange,
    ServicePack,
    SupersededBy,
)
from hfstage.catalog.parser import parse_catalog, parse_catalog_file
from hfstage.catalog.present import (
    bulletin_dict,
    bulletin_text,
    diff_text,
    summary_dict,
    summary_text,
)
from hfstage.catalog.store import (
    StoredCatalog,
    current_version,
    diff_pair,
    find_catalog,
    list_catalogs,
    load_catalog_arg,
    previous_version,
    use_catalog,
    version_key,
)
from hfstage.catalog.supplements import apply_supplements, load_supplements, supplements_key

# The importer (signature checks: cab, cryptography, asn1crypto) is loaded when first named: the inventory's
# workers read machines with a parsed catalog and never import one, and loading it cost each worker ~0.1 s.
_IMPORTER = ("ImportResult", "import_catalog", "incoming_cabs", "no_cab")


def __getattr__(name: str):
    if name in _IMPORTER:
        from hfstage.catalog import importer

        return getattr(importer, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AffectedProduct", "Anomaly", "Bulletin", "Catalog", "CatalogDiff", "FileChange", "ImportResult", "Patch",
    "Product", "RegChange", "ServicePack", "StoredCatalog", "SupersededBy", "apply_supplements", "bulletin_dict",
    "bulletin_text", "current_version", "diff_catalogs", "diff_pair", "diff_text", "find_catalog", "import_catalog",
    "incoming_cabs", "list_catalogs", "load_catalog_arg", "load_supplements", "no_cab", "parse_catalog",
    "parse_catalog_file", "previous_version", "summary_dict", "summary_text", "superseding", "supplements_key",
    "use_catalog", "version_key",
]
