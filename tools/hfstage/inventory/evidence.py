"""What a collection says, as one digest: the same collection written again is not read again.

Every logon or startup writes a machine's collection again: keys mode rewrites its exports with the
same bytes when nothing changed (regedit /e text has no timestamps), and a collector's hive copies come
back byte for byte when the hive did not change; their times change, so the facts memo, keyed by sizes
and times, would miss for every machine of the site every month. The digest of what the facts are read
from (the hives' and exports' bytes, the manifest's key=value lines without its date and time, the done
markers, the copied files' sizes and times) lets the inventory keep the facts it has. Hashing a hive
costs less than reading facts from it (SHA-256 ran at 1.2 GB/s on the 2-core server: 16 ms for a 20 MB
SOFTWARE hive, whose facts take some 30 ms and more: bench/inventory_facts.py); a hive saved again with
other bytes (a new time in its header) is only read again, as before.
"""

from __future__ import annotations

import hashlib

from hfstage.errors import InputError
from hfstage.inventory.gather import DONE_MARKERS, DONE_MAX
from hfstage.inventory.limits import Limits
from hfstage.share import fingerprint


def content_digest(inputs, limits: Limits, manifest: dict[str, str], tree: list[tuple]) -> str | None:
    """A digest of everything the facts of INPUTS are read from, or None when it cannot be made (a mounted
    drive, refused evidence, a file over its cap: the facts are read, and the problem said, by them)."""
    if inputs.kind != "folder" or inputs.refused:
        return None
    parts: list[object] = [sorted(manifest.items()), tree]
    for role, path in (("software", inputs.software), ("system", inputs.system)):
        if path is not None:
            try:
                parts.append((role, path.name, hashlib.sha256(inputs.read(path, limits.hive_bytes, "registry hive"))
                              .hexdigest()))
            except InputError:
                return None
    for path in sorted(inputs.reg_files):
        try:
            parts.append((path.name, hashlib.sha256(inputs.read(path, limits.export_bytes, "registry export"))
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
