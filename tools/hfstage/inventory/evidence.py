"""What a collection of exports says, as one digest: the same collection written again is not read again.

A machine in keys mode collects every day and rewrites its exports with the same bytes when nothing
changed (regedit /e text has no timestamps); their times change, so the facts memo, keyed by sizes
and times, misses for every machine of the site every month. The digest of what the facts are read
from (the exports' bytes, the manifest's key=value lines without its date and time, the done markers,
the copied files' sizes and times) lets the inventory keep the facts it has. Whole hives are not
hashed: Windows rewrites a hive's header and key times on every save, so two saves are never the
same bytes, and hashing tens of MB a machine would cost what reading them does.
"""

from __future__ import annotations

import hashlib

from hfstage.errors import InputError
from hfstage.inventory.gather import DONE_MARKERS, DONE_MAX, read_manifest
from hfstage.inventory.limits import Limits
from hfstage.share import fingerprint


def content_digest(inputs, limits: Limits, tree: list[tuple]) -> str | None:
    """A digest of everything the facts of INPUTS are read from, or None for hives (not worth hashing: nor is
    their manifest read for it) and for exports larger than the default cap: they are read here, in the run's
    own process, which has no address-space cap (a sparse 1.4 GB export under a site-raised export_bytes cost
    it 1.4 GB, a cold review); such a machine is read again, in a capped worker."""
    if inputs.kind != "folder" or inputs.software is not None or inputs.system is not None or inputs.refused:
        return None
    parts: list[object] = [sorted(read_manifest(inputs).items()), tree]
    cap = limits.in_this_process().export_bytes
    for path in sorted(inputs.reg_files):
        try:
            parts.append((path.name, hashlib.sha256(inputs.read(path, cap, "registry export"))
                          .hexdigest()))
        except InputError:
            return None  # read again, and said, by the facts
    done = inputs.own_file(DONE_MARKERS)
    if done is not None:
        try:
            parts.append(("done", hashlib.sha256(inputs.read(done, DONE_MAX, "install markers")).hexdigest()))
        except InputError:
            return None
    return fingerprint(parts)
