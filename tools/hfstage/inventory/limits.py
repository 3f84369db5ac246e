"""Size caps for what clients write ([limits] in site.ini): a sparse 3 GB "hive" costs a
client nothing to plant and must cost hfstage nothing to refuse."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    hive_bytes: int = 512 * MIB  # the largest real SOFTWARE hives of the era are ~100 MB
    export_bytes: int = 128 * MIB  # regedit /e text of the keys the collectors export
    file_bytes: int = 128 * MIB  # a collected system file (the largest, ntoskrnl/mshtml, are ~5 MB)

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(**{k: config.get("limits", k) for k in ("hive_bytes", "export_bytes", "file_bytes")})
