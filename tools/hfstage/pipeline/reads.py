"""Reads during a run: `report`, `plan`, `packages`, `results`, `scan` and dry runs while another run (a
month, say) holds the share. They wait for it, as long as --wait allows, and then read what it left; past
that they read the state committed before it. Either way they say which, and a read that finds nothing
recorded while another run may be recording it says so instead of "nothing recorded"."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from hfstage.errors import HfstageError, LockedError
from hfstage.pipeline.site import Site


@contextlib.contextmanager
def committed_read(site: Site, say: Callable[[str], None]) -> Iterator[None]:
    """Run the body with the share as one run left it; SAY gets one line when another run was in the way."""
    holder = site.share.lock_holder()
    if holder is None:
        yield
        return
    start = time.monotonic()
    lock = site.share.lock()
    try:
        lock.__enter__()
    except LockedError:
        lock = None
    if lock is not None:
        say(f"waited {time.monotonic() - start:.1f} s for the run holding the share ({holder}) to finish: "
            "this is what it left")
        try:
            yield
        finally:
            lock.__exit__(None, None, None)
        return
    say(f"another hfstage run holds the share ({holder}): this is the state committed before it began "
        "(give --wait SECONDS to wait for it)")
    try:
        yield
    except HfstageError as e:
        if isinstance(e, LockedError):
            raise
        busy = LockedError(f"{e} - but another hfstage run ({holder}) holds the share and may be recording it "
                           "now: run again when it ends, or give --wait SECONDS")
        raise busy from e
