"""Caps for what clients write ([limits] in site.ini), checked before the work: a sparse 3 GB
"hive" costs a client nothing to plant and must cost hfstage nothing to refuse; a 16 MiB .reg
of one 8-million-level key path must not cost gigabytes of key objects; a machine whose
parsing still outgrows its worker's address space costs that machine, not the month."""

from __future__ import annotations

from dataclasses import dataclass

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    hive_bytes: int = 512 * MIB  # the largest real SOFTWARE hives of the era are ~100 MB
    export_bytes: int = 128 * MIB  # regedit /e text of the keys the collectors export
    file_bytes: int = 128 * MIB  # a collected system file (the largest, ntoskrnl/mshtml, are ~5 MB)
    tree_entries: int = 100_000  # names below one machine's files\ (a catalog checks a few hundred files)
    reg_entries: int = 1_000_000  # keys + values of one machine's .reg exports (~400 bytes of memory each)
    worker_memory_mib: int = 4096  # address space of one inventory worker (RLIMIT_AS)

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(**{k: config.get("limits", k) for k in cls.__dataclass_fields__})
