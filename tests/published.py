"""Where a client finds hfstage's files now: the generation scripts\\current.bat names (its machine scripts,
rollback scripts, collectors and the NT 4.0 job), the one helper every test reads them through."""

from __future__ import annotations

from pathlib import Path

from hfstage.share import Share, current_generation


def published(share: Share | Path) -> Path:
    """The folder of the set clients run now (scripts\\ itself while nothing is published)."""
    scripts = share.folder("scripts") if isinstance(share, Share) else Path(share) / "scripts"
    generation = current_generation(scripts)
    return scripts / generation if generation else scripts


def published_set(share: Share | Path) -> dict[str, bytes]:
    """Every file of that set, by name: what a client of this moment can run."""
    return {p.name: p.read_bytes() for p in sorted(published(share).iterdir()) if p.is_file()}


def short_unc(share: Share) -> str:
    """The share as a short wine path (a link in /tmp, removed at exit): logon.bat's 9x lines name
    UNC\\scripts\\<generation>\\<machine>.bat and must fit command.com's 127 characters."""
    import atexit
    import shutil
    import tempfile

    short = Path(tempfile.mkdtemp(prefix="hf", dir="/tmp"))
    short.chmod(0o755)
    atexit.register(shutil.rmtree, short, True)
    (short / "s").symlink_to(share.root)
    return "Z:" + str(short / "s").replace("/", "\\")
