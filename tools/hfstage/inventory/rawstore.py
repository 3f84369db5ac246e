"""The raw-facts memo: each machine's raw facts (inventory.raw) kept until its inputs change, whatever the catalog.

Its key is the facts memo's without the catalog: the machine's input files' sizes, times and owners, its
folder's listing and binding, the product rules, the caps and the share's path, with the inventory code's
format version. A new catalog finds every unchanged machine here and projects it, without opening a hive
or a collected file; a record or file that cannot be read is nothing remembered, and the machine is read.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from hfstage.catalog import Catalog
from hfstage.inventory.capture import NotCaptured
from hfstage.inventory.detect import CatalogAsks
from hfstage.inventory.facts import MachineFacts
from hfstage.inventory.limits import Limits
from hfstage.inventory.raw import RawFacts, project
from hfstage.share import RAW_FACTS, RAW_FOLDER, Share, sync_folders

log = logging.getLogger(__name__)


class RawStore:
    """Every machine's remembered raw facts on SHARE (state\\raw-facts\\<MACHINE>.json and its record)."""

    def __init__(self, share: Share, limits: Limits) -> None:
        self.record = share.record(RAW_FACTS)
        self.folder = share.state_file(RAW_FOLDER)
        self.limits = limits

    @staticmethod
    def key(salt: str, evidence: str, listing: list, who: list | None) -> str:
        return RAW_FACTS.key(salt, evidence, listing, who)

    def project(self, machine: str, key: str, catalog: Catalog | None, rules: dict,
                asks: CatalogAsks | None = None) -> MachineFacts | None:
        """MACHINE's facts under CATALOG (ASKS: CatalogAsks.of(CATALOG)) from its remembered raw facts, or None
        when they are not remembered for KEY or cannot tell (the machine is then read)."""
        if not self.record.known(machine, key):
            return None
        try:
            data = json.loads((self.folder / f"{machine}.json").read_bytes())
            return project(RawFacts.recall(data, self.limits), catalog, rules, asks)
        except NotCaptured:
            return None
        except Exception as e:  # noqa: BLE001 - a damaged or foreign record is nothing remembered: read it again
            log.info("%s: remembered raw facts unusable (%s: %s): read again", machine, type(e).__name__, e)
            return None

    def begin(self, machines) -> None:
        """Forget MACHINES before they are read again (a run killed meanwhile vouches for none)."""
        self.record.begin(machines)

    def keep(self, machine: str, key: str, written: bool, content: list | None = None) -> None:
        """Remember MACHINE's raw facts, WRITTEN to its file in this folder (inventory.encoded.FactsFiles: by the
        worker that read it, or here), for KEY, with CONTENT (`content`'s, for a collection of exports); WRITTEN
        False (none were kept) remembers nothing."""
        if written:
            self.record.put(machine, key, content)

    @staticmethod
    def content(salt: str, digest: str | None, names: list, who: list | None) -> list | None:
        """[the collection's digest (inventory.evidence), the key of its content with its names, owners and
        binding]: what tells the same collection written again (new times, the same bytes)."""
        return None if digest is None else [digest, RAW_FACTS.key(salt, "content", digest, names, who)]

    def digest(self, machine: str) -> str | None:
        """The digest of MACHINE's collection of exports its raw facts were read from (None for hives)."""
        value = self.record.value(machine)
        return value[0] if isinstance(value, list) and len(value) == 2 else None

    def same_collection(self, machine: str, key: str, content: list | None) -> bool:
        """Whether MACHINE's raw facts were read from CONTENT (its exports written again with the same bytes):
        then they are remembered for KEY, its inputs' key now."""
        value = self.record.value(machine)
        if content is None or not (isinstance(value, list) and value == content):
            return False
        self.record.put(machine, key, content)
        return True

    def commit(self, machines: list[str] | None) -> None:
        """Store what was kept; with MACHINES (every machine on the share), forget the others."""
        sync_folders([self.record.path])
        if machines is not None:
            self.record.keep_only(machines)
        self.record.commit()

    @property
    def path(self) -> Path:
        return self.record.path
