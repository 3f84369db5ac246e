"""One rule for every name that becomes a path: cabinet members, catalog IDs, machine names.

A name from a cabinet, a catalog or a client folder becomes a file or folder name on the
share (catalogs\\<DataVersion>, reports\\bulletins\\<BulletinID>.html, scripts\\<MACHINE>.bat):
it must stay inside its folder on Windows and on Linux, and must not collide with the
files hfstage writes itself, compared case-insensitively as Windows compares them.
"""

from __future__ import annotations

import re

from hfstage.errors import UnsafeInputError

# Windows device names are special in every folder and with any extension (CON.txt).
_DEVICES = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"} | {
    f"{stem}{n}" for stem in ("COM", "LPT") for n in range(10)
} | {f"{stem}{d}" for stem in ("COM", "LPT") for d in "¹²³"}
_DRIVE = re.compile(r"^[A-Za-z]:")
_FORBIDDEN_CHARS = set('<>:"|?*')
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# NetBIOS computer names as hfstage accepts them: 1-15 of letters, digits and - _ . $, which
# are also safe inside every batch line and file name.
_MACHINE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.$-]{0,14}$")
ROLLBACK_SUFFIX = "-rollback"
# Every name hfstage itself writes into a folder where it also writes files named after
# machines (netlogon\<M>.bat stubs, scripts\<M>.bat, inventory\<M>\, results\<M>.log,
# reports\machines\<M>.html, state\facts\): the one list the writers and the name checks
# share. A machine whose name is the stem of one of them would overwrite it, or be
# overwritten, on a Windows folder, where HFSTAGE_RUN.bat and hfstage_run.bat are one file.
OWN_FILES: dict[str, tuple[str, ...]] = {
    "netlogon": ("logon.bat", "startup.bat", "collect_nt.bat", "collect_9x.bat", "schedule_nt4.bat",
                 "hfstage_run.bat", "README.txt"),
    "scripts": ("README.txt", "hfday.pre", "generation.txt"),  # in each generation: hfday.pre beside the
    # collectors, generation.txt its manifest (share.generations.MANIFEST)
    "inventory": ("_unnamed", "README.txt"),
    "results": ("README.txt",),
    "state\\facts": ("index.json", "seen.json"),
}


def _stem(name: str) -> str:
    return name.rsplit(".", 1)[0] if "." in name else name


RESERVED_MACHINE_NAMES = frozenset({_stem(n).casefold() for names in OWN_FILES.values() for n in names}
                                   | {"hfstage"})
# Programs the collectors, the dispatcher and the install scripts (and reboot commands) run by bare name.
# command.com and cmd look in the current folder before PATH, and for a logon script that folder is
# NETLOGON, where netlogon\<MACHINE>.bat stubs are copied: a machine named FIND would put a FIND.BAT there
# that every 9x collector runs in place of find.exe. Built-in commands (copy, del, set...) are never shadowed.
COMMAND_NAMES = frozenset({
    "find", "findstr", "regedit", "reg", "xcopy", "start", "rundll32", "rundll", "cacls", "at", "cmd", "command",
    "msiexec", "shutdown", "qchain", "attrib", "move", "deltree", "choice", "net", "ping", "sort", "more", "subst",
    "label", "xcacls", "cscript", "wscript", "runas", "sc", "ntbackup", "expand", "extract", "mem", "edit",
})


def unsafe_reason(name: str) -> str | None:
    """Why NAME (a relative path, \\ or / separated) could escape or misbehave in a folder, or None."""
    if name == "":
        return "empty name"
    if "\0" in name:
        return "embedded NUL"
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "control character in name"
    if name.startswith(("\\\\", "//")):
        return "UNC path"
    if _DRIVE.match(name):
        return "drive letter"
    if name.startswith(("\\", "/")):
        return "absolute path"
    for part in re.split(r"[\\/]", name):
        reason = _component_reason(part)
        if reason:
            return reason
    return None


def _component_reason(part: str) -> str | None:
    if part in ("..", "."):
        return "parent-folder ('..') component" if part == ".." else "'.' component"
    if part == "":
        return "empty path component"
    if part.rstrip(" .") != part:
        return "component ends with a space or dot"
    if part.split(".")[0].upper().rstrip() in _DEVICES:
        return f"device name {part.split('.')[0].upper()}"
    if _FORBIDDEN_CHARS & set(part):
        return "character not allowed in Windows file names"
    return None


def safe_parts(name: str, source: str) -> list[str]:
    """NAME split into path components, or UnsafeInputError naming the member and why."""
    reason = unsafe_reason(name)
    if reason:
        raise UnsafeInputError(f"{source}: refusing member '{name}': {reason}")
    return re.split(r"[\\/]", name)


def id_problem(value: str) -> str | None:
    """Why VALUE cannot be an ID that becomes a file name (a BulletinID, a DataVersion), or None."""
    if not _ID.fullmatch(value):
        return "only letters, digits and . _ - are allowed (at most 64, starting with a letter or digit)"
    return unsafe_reason(value)


def file_name_problem(value: str) -> str | None:
    """Why VALUE cannot be a single file name (a patch's package name), or None."""
    if "\\" in value or "/" in value:
        return "a file name may not contain \\ or /"
    if len(value) > 128:
        return "longer than 128 characters"
    return unsafe_reason(value)


# What a batch line may hold of a file name, on command.com and cmd alike: the strictest consumer of
# the catalog's package and file names (scripts\, collectors). Checked once, at the catalog's import.
_BATCH_FILE = re.compile(r"^[A-Za-z0-9_.$()+,;=@#~ -]{1,128}$")
_BATCH_FOLDER = re.compile(r"^[A-Za-z0-9_.$()+,;=@#~ -]{1,128}$")


def batch_file_name_problem(value: str) -> str | None:
    """Why VALUE cannot be a file name in a batch line (a package a script runs, a file a collector copies)."""
    if not _BATCH_FILE.fullmatch(value):
        return ("only ASCII letters, digits, spaces and _ . $ ( ) + , ; = @ # ~ - may be put into a batch file "
                "(command.com and cmd read &, %, ^, quotes and other characters as commands)")
    return None


# A Q/SQ/KB number goes into rem and echo lines, results lines split at ';', marker file names and
# Hotfix key paths: letters, digits and . _ - only (the catalogs of 1999-2003 hold Q326830, q326830, KB824146).
_BATCH_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
# What a `rem` line shows as it is: anything else a batch file could act on, or a legacy client cannot read.
_BATCH_TEXT = re.compile(r"^[\x20-\x7e]*$")
_BATCH_TEXT_ACTS = set('"%&|<>^')


def batch_id_problem(value: str) -> str | None:
    """Why VALUE (a Q or SQ number, a bulletin ID) cannot go into a script's lines, or None."""
    if not _BATCH_ID.fullmatch(value):
        return "only ASCII letters, digits and . _ - may be put into a batch line's IDs (at most 32)"
    return None


def batch_text_problem(value: str) -> str | None:
    """Why VALUE (a product name) would be shown altered in a script's rem line, or None."""
    if not _BATCH_TEXT.fullmatch(value) or set(value) & _BATCH_TEXT_ACTS:
        return "characters a batch file would act on (or not ASCII): shown as ? in the scripts' rem lines"
    return None


def batch_location_problem(value: str) -> str | None:
    """Why VALUE ('%windir%\\system32') cannot be a folder a collector's batch line names, or None."""
    rest = re.sub(r"^%[A-Za-z0-9_]+%\\?", "", value.strip()).rstrip("\\")
    if rest and not all(_BATCH_FOLDER.fullmatch(p) for p in rest.split("\\")):
        return "a folder name with characters a batch file would interpret (or not ASCII)"
    return None


def location_problem(value: str) -> str | None:
    """Why VALUE ('%windir%\\system32') cannot be a folder below a machine's drive, or None."""
    rest = re.sub(r"^%[A-Za-z0-9_]+%\\?", "", value.strip()).rstrip("\\/")
    return unsafe_reason(rest) if rest else None


def machine_name_problem(name: str) -> str | None:
    """Why NAME cannot be a machine hfstage writes scripts for, or None."""
    if not _MACHINE.fullmatch(name or ""):
        return "not a valid NetBIOS name (1-15 letters, digits, - _ . $)"
    folded = name.casefold()
    if folded in RESERVED_MACHINE_NAMES or folded.endswith(ROLLBACK_SUFFIX):
        return "collides with a file hfstage writes itself (compared without case, as Windows does)"
    if folded in COMMAND_NAMES:
        return (f"the name of a program the scripts run ({name.upper()}): its netlogon\\{name}.bat stub would run "
                "in that program's place from NETLOGON")
    return unsafe_reason(name)
