"""The project's exceptions: one base class, each kind carrying its CLI exit code."""

from __future__ import annotations

# Exit codes (DESIGN §6): 0 ok, 1 findings, 2 usage, 3 input, 5 signature problem.
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_LOCKED = 4
EXIT_SIGNATURE = 5


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


class SignatureError(HfstageError):
    """A catalog's signature is missing, broken, or not trusted."""

    exit_code = EXIT_SIGNATURE


class LockedError(HfstageError):
    """Another hfstage run holds the share's lock."""

    exit_code = EXIT_LOCKED
