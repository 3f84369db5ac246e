"""The project's exceptions and exit codes: one base class, each kind carrying its exit code.

Exit codes, the same for every command (README "Exit codes"):
  0  done, nothing to report at or above --fail-on
  1  findings at or above --fail-on (missing patches, unreadable machines, failed installs)
  2  usage: the command line or site.ini asks for something impossible
  3  bad input: a catalog, cabinet, package or other input file is malformed or unsafe
  4  busy: another hfstage run holds the share's lock
  5  signature: a catalog or bundle signature is missing, broken or not trusted
  6  environment: the disk is full, the share read-only, a permission or a system library missing
  7  damaged state: the share's own history database or stored data is damaged
  70 internal error: a bug in hfstage (the message says how to report it)
"""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_LOCKED = 4
EXIT_SIGNATURE = 5
EXIT_ENVIRONMENT = 6
EXIT_STATE = 7
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130


class HfstageError(Exception):
    """Base of every error hfstage reports to a user; str() is a one-line message."""

    exit_code = EXIT_INPUT


class UsageError(HfstageError):
    """The command line or site configuration asks for something impossible."""

    exit_code = EXIT_USAGE


class InputError(HfstageError):
    """An input file is malformed, truncated or unreadable."""


class UnsupportedError(HfstageError):
    """An input file is valid but uses a feature hfstage cannot handle."""


class UnsafeInputError(InputError):
    """An input would make hfstage write outside its folders or exhaust resources."""


class LimitError(UnsafeInputError):
    """An input over a size or count cap, most of them [limits] in site.ini (some fixed, as the install markers')."""


class SignatureError(HfstageError):
    """A catalog's signature is missing, broken, or not trusted."""

    exit_code = EXIT_SIGNATURE


class LockedError(HfstageError):
    """Another hfstage run holds the share's lock."""

    exit_code = EXIT_LOCKED


class EnvironmentFault(HfstageError):
    """The machine stops hfstage: disk full, read-only share, no permission, a missing library."""

    exit_code = EXIT_ENVIRONMENT


class StateError(HfstageError):
    """The share's own state (history database, stored catalog) is damaged."""

    exit_code = EXIT_STATE


_WHY = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the share is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EDQUOT: "the disk quota is used up",
    errno.ENOENT: "no such file or folder",
    errno.ELOOP: "it is a symbolic link",
    errno.ENOTDIR: "a folder in its path is not a folder",
    errno.EISDIR: "it is a folder",
}


def os_fault(path: object, e: OSError, doing: str) -> HfstageError:
    """One line for an OSError while DOING ('write', 'read') PATH; environment faults exit 6."""
    why = _WHY.get(e.errno or 0, e.strerror or str(e))
    message = f"{e.filename or path}: cannot {doing}: {why}"
    if e.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT):
        return EnvironmentFault(message)
    return InputError(message)


def shown(value: object) -> str:
    """VALUE (a client's file name, a path below a client folder) inside a one-line message: every character
    that is not printable (newline, CR, an escape, a byte that is not UTF-8) shown as ?, so a name cannot
    start a forged line on the admin's terminal or in a log."""
    return "".join(c if c.isprintable() else "?" for c in str(value))


def q(value: object) -> str:
    """VALUE for a message: text in single quotes with its backslashes as they are (no Python repr,
    which doubles them) and control characters shown as ?; other values as they print."""
    if isinstance(value, str):
        return "'" + (value if value.isprintable() else "".join(c if c.isprintable() else "?" for c in value)) + "'"
    return repr(value) if isinstance(value, bytes) else str(value)
