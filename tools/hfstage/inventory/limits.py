"""Caps for what clients write ([limits] in site.ini), checked before the work: a sparse 3 GB
"hive" costs a client nothing to plant and must cost hfstage nothing to refuse; a 16 MiB .reg
of one 8-million-level key path must not cost gigabytes of key objects; a machine whose
parsing still outgrows its worker's address space costs that machine, not the month."""

from __future__ import annotations

from dataclasses import dataclass, replace

MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    hive_bytes: int = 512 * MIB  # the largest real SOFTWARE hives of the era are ~100 MB
    export_bytes: int = 128 * MIB  # regedit /e text of the keys the collectors export
    file_bytes: int = 128 * MIB  # a collected system file (the largest, ntoskrnl/mshtml, are ~5 MB)
    tree_entries: int = 100_000  # names below one machine's files\ (a catalog checks a few hundred files)
    reg_entries: int = 1_000_000  # keys + values of one machine's .reg exports (~400 bytes of memory each)
    worker_memory_mib: int = 4096  # address space of one inventory worker (RLIMIT_AS)

    def in_this_process(self) -> Limits:
        """These limits with every bound at most its default: the bounds that keep one client input's reading to
        some hundreds of MiB, for what is read in the run's own process, which has no address-space cap."""
        default = Limits()
        return replace(self, **{name: min(getattr(self, name), getattr(default, name))
                                for name in self.__dataclass_fields__ if name != "worker_memory_mib"})

    def contain_reading_here(self) -> bool:
        """Whether a machine read in the run's own process is as contained as in a worker: no bound above its
        default (in_this_process), and no cap tighter than the default asked of the workers. A site that raised a
        bound (a machine that needs it), or lowered the cap, has every machine read in a worker, however few."""
        return self.worker_memory_mib >= Limits().worker_memory_mib and self.in_this_process() == self

    @classmethod
    def from_config(cls, config) -> Limits:
        return cls(**{k: config.get("limits", k) for k in cls.__dataclass_fields__})
