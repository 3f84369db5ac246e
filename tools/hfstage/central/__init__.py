"""Several sites, one picture: signed site bundles (export), a central folder that verifies and stores
them (import), and the central report across sites."""

from hfstage.central.bundle import FORMAT, key_fingerprint, load_private_key, new_site_key, write_bundle
from hfstage.central.importer import ImportOutcome, central_init, import_bundle
from hfstage.central.report import CentralReport, central_report

__all__ = [
    "FORMAT", "CentralReport", "ImportOutcome", "central_init", "central_report", "import_bundle", "key_fingerprint",
    "load_private_key", "new_site_key", "write_bundle",
]
