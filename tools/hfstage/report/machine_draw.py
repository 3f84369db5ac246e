"""A machine's part of the site report, its page and its fragments of scan.txt/csv/json, drawn in this process
for a few machines and in the project's worker pool (hfstage.workers) for many: machines are independent, and
decoding their stored assessments and rendering their pages is most of the report's CPU.

Each worker gets what every page needs once (the page maker's shared part, the templates' context); per
machine it decodes the assessment, builds its page beside the findings, renders it and sends it back when it
differs from the page written (its SHA-256 is the memo's key of what it shows), and makes its fragments (but
the scan.json one of a stored assessment: its stored bytes, which this process holds); this process only
writes and joins them, in the machines' order, so the files are the bytes a serial report writes. A machine
whose drawing kills its worker (and then its own process, alone) gets a page and fragments made from its row
that say so, vouched for by no memo key: the next report draws it again.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from hfstage.assess import Assessment
from hfstage.faults import crash_point
from hfstage.history import MachineRow, stored_assessment
from hfstage.report.compiled import CompiledTemplates
from hfstage.report.compiled import use as use_compiled
from hfstage.report.html import html_env
from hfstage.report.machine_page import MachinePage
from hfstage.report.scan_files import fragments
from hfstage.scripts import plan_reads
from hfstage.workers import Job, each_in_workers

# Fewer machines to draw than this are drawn in this process. Measured as the scan's POOL_THRESHOLD was
# (pipeline/assessing.py), with bench/report_pool.py on the shared 2-core server (load 3-5; a full month's report
# drawn anew, every page): a machine costs a worker what it costs here (1.3 ms), but the two workers' start
# (spawn, import, the page maker and templates) and sending each machine (0.3 ms here) cost more than they save
# at 500 machines (wall 1.3-1.5 s here, 3.7-4.0 s in workers), 1,000 (1.9-3.5 / 4.5-5.7 s) and 2,000 (3.6-5.7 /
# 7.4-8.5 s); at 5,000 the workers took 16.7-36.6 s where this process took 36.9-43.9 s (CPU 17.5 / 13.4 s).
POOL_THRESHOLD = 3000
# Per worker, two tasks of _CHUNK machines in flight (fewer round trips, a worker kept busy). 64, not the scan's 16:
# this process hands out and takes back every task while it writes what comes back, and is the pool's slowest
# process at 5,000 machines; 2,000 machines drawn in 2 workers took it 0.52-0.56 s of CPU in tasks of 16, 0.42-0.45 s
# in tasks of 64 (the drawing alone, 3 runs interleaved; the workers' CPU the same). A worker's death makes at most
# 2 x 2 x 64 machines suspects, drawn again one at a time per worker.
_AHEAD, _CHUNK = 2, 64
PAGE_TEMPLATES = ("machine.html.j2", "_base.html.j2", "_style.html.j2")  # a machine page and what it extends
WORKER_MEMORY_MIB = 4096  # [limits] worker_memory_mib's default, for callers without a site.ini

_worker: dict = {}  # what every machine needs, set once in each worker


@dataclass(frozen=True)
class Easel:
    """What every machine's drawing needs: the pages' template context, the page maker."""

    common: dict  # the page template's context beside the machine's own
    more: Callable[..., MachinePage] | None  # SiteExtras.page (its `shared()` part in a worker)
    templates: dict[str, bytes] | None = None  # in a worker: the page's templates as this process compiled them


@dataclass(frozen=True)
class Drawing:
    """One machine to draw: its row, its assessment as stored (bytes), as made this run, or None (its row is all
    there is), whether its page is due and what that page showed, whether its fragments are to be made."""

    row: MachineRow
    source: bytes | Assessment | None
    page: bool
    shown: object
    fragments: bool
    rollback: list[str]
    mine: tuple | None = None  # the page maker's inputs of this machine alone (None: it has them)


@dataclass(frozen=True)
class Drawn:
    """A machine drawn: the key of what its page shows and the page (UTF-8) when that changed; its fragments, and
    whether they may be copied next time; DIED: how the process drawing it died (then nothing is vouched for)."""

    shows: str | None = None
    html: bytes | None = None  # encoded once, where it is drawn: for its SHA-256 and the file (a worker sends bytes)
    parts: list[bytes] | None = None
    stored: bool = False
    died: str | None = None
    reads: str | None = None  # the catalog entries its plan reads (page_catalog), when its page was due


def drawn(drawings: Iterable[Drawing], easel: Easel, workers: int,
          memory_mib: int = WORKER_MEMORY_MIB) -> Iterator[Drawn]:
    """Each of DRAWINGS drawn, in order: here, or in WORKERS processes."""
    if not workers:
        for d in drawings:
            yield draw(d, easel)
        return
    shared = replace(easel, more=easel.more.shared() if hasattr(easel.more, "shared") else easel.more,
                     templates=_compiled())
    job = Job(_draw_in_worker, _load, (shared,), memory_mib)
    # handed to the pool and not drawn yet: a window of them, not all 5,000 (a whole report of 2,000 machines in 2
    # workers, peak RSS of this process 162-163 MiB when the pool took a list, 122-123 MiB with this generator)
    taken: deque[Drawing] = deque()

    def items() -> Iterator[tuple[Drawing]]:
        for d in drawings:
            taken.append(d)
            yield (d,)

    for result, death in each_in_workers(job, items(), workers, ahead=_AHEAD, chunk=_CHUNK):
        d = taken.popleft()
        yield _with_blob(result, d) if death is None else _died(d, death, easel)


def draw(d: Drawing, easel: Easel) -> Drawn:
    """D's page (when due; sent back when it differs from the one written) and fragments (when due)."""
    m = d.row
    a = stored_assessment(d.source) if isinstance(d.source, bytes) else d.source or from_row(m)
    shows = html = reads = None
    if d.page:
        page = (easel.more(a, d.mine) if d.mine is not None else easel.more(a)) if easel.more else None
        html = html_env().get_template("machine.html.j2").render(root="../", generated="", a=a, page=page,
                                                                 rollback=d.rollback, **easel.common).encode("utf-8")
        shows = page_shows(html)
        if d.shown == shows:
            html = None  # the page on the share is this one
        reads = plan_reads(a)
    parts = fragments(a, d.source if isinstance(d.source, bytes) else None) if d.fragments else None
    return Drawn(shows, html, parts, d.source is not None, reads=reads)


def page_shows(html: bytes) -> str:
    """The key of what a machine page shows: its bytes' SHA-256. The page is made whole to know it (as cheap as
    keying everything it is made from: the assessment, its findings' rows, what the pipeline gathered beside
    it), and only a page that differs from the one written is sent back and written."""
    return hashlib.sha256(html).hexdigest()


def from_row(m: MachineRow) -> Assessment:
    """A page for a machine recorded before hfstage kept whole assessments: its row is all there is."""
    return Assessment(m.machine, m.os, m.service_pack, error=m.error, status=m.status, status_detail=m.status_detail,
                      role=m.role, standing=m.standing, binding=m.binding)


def _compiled() -> dict[str, bytes] | None:
    """The machine page's templates compiled (read from the run's cache, or compiled here once and added to it),
    for the workers: none compiles them again."""
    env = html_env()
    if not isinstance(env.bytecode_cache, CompiledTemplates):
        return None
    for name in PAGE_TEMPLATES:
        env.get_template(name)
    return dict(env.bytecode_cache.entries)


def _load(easel: Easel) -> None:
    use_compiled(easel.templates)
    _worker["easel"] = easel


def _draw_in_worker(d: Drawing) -> Drawn:
    crash_point(f"draw:{d.row.machine}")  # a test can kill the worker here
    made = draw(d, _worker["easel"])
    if made.parts is not None and isinstance(d.source, bytes):  # scan.json's is D.SOURCE: not sent back
        return replace(made, parts=made.parts[:2])
    return made


def _with_blob(made: Drawn, d: Drawing) -> Drawn:
    """MADE as a worker sent it back, with the scan.json fragment it left out (D's stored bytes) put back."""
    if made.parts is not None and len(made.parts) == 2:
        return replace(made, parts=[*made.parts, d.source])
    return made


def _died(d: Drawing, death: str, easel: Easel) -> Drawn:
    """The page and fragments of a machine whose drawing killed the process that drew it, alone: from its row,
    saying so; drawn here without the page maker (what killed that process is not run again here)."""
    error = (f"{d.row.machine}: its report page could not be drawn: the process drawing it died ({death}); the "
             "other machines were drawn, and the next report draws it again")
    made = draw(replace(d, source=None, shown=None, row=replace(d.row, error=error, status_detail=error)),
                replace(easel, more=None))
    return replace(made, stored=False, died=death)
