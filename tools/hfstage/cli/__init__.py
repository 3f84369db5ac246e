"""Command line: the command table (cli.commands) and main(); every error is one line and an exit code."""

from __future__ import annotations

import logging
import sys
import traceback

from hfstage import __version__
from hfstage.cli.about import version_lines
from hfstage.cli.output import err
from hfstage.cli.registry import COMMANDS, GROUPS
from hfstage.cli.table import build
from hfstage.errors import EXIT_ENVIRONMENT, EXIT_INTERNAL, EXIT_INTERRUPTED, HfstageError, os_fault
from hfstage.pipeline import set_wait
from hfstage.progress import interrupted

__all__ = ["build_parser", "main"]


def build_parser():
    return build("hfstage", "Offline patch management for legacy Windows clients, run from a staging share: import "
                 "signed catalogs, inventory machines, assess, report, generate logon scripts.", __version__,
                 GROUPS, COMMANDS)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--version" in argv and set(argv) <= {"--version", "-v", "--verbose"}:
        # argparse's version action prints before it has read a -v that follows it
        print("\n".join(version_lines(verbose=len(set(argv)) > 1)))
        return 0
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    set_wait(args.wait)
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING,
                        format="%(levelname)s: %(message)s", stream=sys.stderr)
    try:
        return args.func(args)
    except HfstageError as e:
        for line in getattr(e, "problems", None) or [str(e)]:
            err(f"Error: {line}")
        return e.exit_code
    except KeyboardInterrupt as e:
        err(f"Interrupted: {_interrupted(e, args)}")
        return EXIT_INTERRUPTED
    except BrokenPipeError as e:
        # output piped into `head`: stdout is gone, which is no error; any other broken pipe is
        if _stdout_gone():
            return 0
        err(f"Error: a pipe hfstage was writing to closed ({e.filename or 'a worker process'}): {e.strerror}")
        return EXIT_ENVIRONMENT
    except OSError as e:
        fault = os_fault(e.filename, e, "use")
        err(f"Error: {fault}")
        return fault.exit_code
    except Exception as e:  # noqa: BLE001 - a bug: one line, and the traceback with -v
        if verbose:
            traceback.print_exc()
        err(f"Error: internal error in hfstage: {type(e).__name__}: {e} (run with -v for the details, and "
            "report it)")
        return EXIT_INTERNAL


def _interrupted(e: KeyboardInterrupt, args) -> str:
    """Which step Ctrl-C stopped and what the share holds: the month says so itself; another command names the
    step its progress had reached (every write is whole: a file is the old one or the new one)."""
    if str(e):
        return str(e)
    where = interrupted()
    path = getattr(args, "command_path", ())
    command = "hfstage " + " ".join(path) if path else "the command"
    return (f"{command} stopped" + (f" at {where}" if where else "") + "; files hfstage writes are replaced whole, "
            "so each is the old one or the new one; run the command again to finish")


def _stdout_gone() -> bool:
    """True when stdout itself is the broken pipe (then it is silenced for the interpreter's last flush)."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return True
    return False
