"""The share's one home: its layout and every file kept in state\\, the memos (content keys and keyed
records), site.ini (SiteConfig), the lock, atomic writes with the share's modes, safe names, safe
reading of what clients write, and the form of the JSON the month's hot paths write (jsonio)."""

from hfstage.share import jsonio
from hfstage.share.check import ShareCheck, check_share
from hfstage.share.clientfiles import (
    Entry,
    Owners,
    account_name,
    administrators,
    entries,
    make_client_folder,
    move_client_file,
    read_client_file,
    walk_entries,
    walk_files,
)
from hfstage.share.config import DEFAULT_UNC, SiteConfig, did_you_mean, load_site_config, unc_problem
from hfstage.share.files import (
    PRIVATE,
    PUBLIC,
    atomic_text_stream,
    atomic_write_bytes,
    atomic_write_text,
    make_folder,
    read_input,
    staged_dir,
    sync_folders,
    write_if_changed,
    write_many,
)
from hfstage.share.generations import (
    MANIFEST,
    POINTER,
    PublishFailed,
    Release,
    current_generation,
    generations,
    published,
    published_files,
)
from hfstage.share.layout import (
    ACCOUNTS,
    APPROVALS,
    AUDIT,
    CENTRAL_DB,
    CENTRAL_PAGES,
    CLIENT_FOLDERS,
    COLLECTORS,
    COMPILED_TEMPLATES,
    DETECTION,
    FACTS,
    FACTS_FOLDER,
    FOLDERS,
    HISTORY,
    LOCK,
    MACHINES,
    MEMOS,
    PACKAGE_FACTS,
    PINS,
    QUARANTINE,
    RAW_FACTS,
    RAW_FOLDER,
    REPORT,
    ROLLBACK,
    SCANS,
    SCRATCH,
    SCRIPTS,
    SEEN,
    SITE_KEY,
    SITE_RULES,
    STATE_FILES,
    TALLIES,
    TESTING,
    InitReport,
    Share,
    StateFile,
    init_share,
)
from hfstage.share.lock import set_wait
from hfstage.share.memo import STAGES, Memo, Record, fingerprint
from hfstage.share.names import (
    batch_file_name_problem,
    batch_id_problem,
    batch_location_problem,
    batch_text_problem,
    file_name_problem,
    id_problem,
    location_problem,
    machine_name_problem,
    safe_parts,
    unsafe_reason,
)
from hfstage.share.ownership import give_to, new_file_for, new_folder_for, quarantine

__all__ = [
    "ACCOUNTS", "APPROVALS",
    "AUDIT", "CENTRAL_DB", "CENTRAL_PAGES", "COLLECTORS", "COMPILED_TEMPLATES", "DETECTION", "FACTS", "FACTS_FOLDER",
    "HISTORY", "LOCK",
    "MACHINES", "MEMOS", "PACKAGE_FACTS", "PINS", "QUARANTINE", "RAW_FACTS", "RAW_FOLDER", "REPORT", "ROLLBACK",
    "SCANS", "SCRATCH", "SCRIPTS", "TALLIES",
    "SEEN", "SITE_KEY", "SITE_RULES",
    "MANIFEST", "POINTER", "PublishFailed", "Release", "current_generation", "generations", "published",
    "published_files",
    "STAGES", "STATE_FILES", "TESTING", "Memo", "Record", "StateFile", "fingerprint", "jsonio",
    "CLIENT_FOLDERS", "DEFAULT_UNC", "FOLDERS", "PRIVATE", "PUBLIC", "Entry", "InitReport", "Owners", "Share",
    "ShareCheck", "account_name", "administrators", "give_to", "new_file_for", "new_folder_for", "quarantine",
    "SiteConfig", "check_share",
    "atomic_text_stream", "batch_file_name_problem", "batch_id_problem", "batch_location_problem",
    "batch_text_problem",
    "atomic_write_bytes", "atomic_write_text", "did_you_mean", "entries", "file_name_problem",
    "id_problem", "init_share", "load_site_config", "location_problem", "machine_name_problem", "make_client_folder",
    "make_folder", "move_client_file", "read_client_file", "read_input", "safe_parts", "set_wait", "staged_dir",
    "sync_folders", "unc_problem", "unsafe_reason", "walk_entries", "walk_files", "write_if_changed", "write_many",
]
