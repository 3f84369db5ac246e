"""What clients wrote back to results\\<MACHINE>.log, parsed strictly.

Lines are `HFRESULT;date;time;bulletin;qnumber;patch;exit code;meaning`. Windows 9x
scripts cannot put the date on the line; they write command.com's "Current date is ..."
line before it, which is used instead. A run that installs nothing says why on a line of
its own (`-;context;-;-;no-rights`, busy, reboot-pending, outside-window); before a package runs, a
script called through the dispatcher names its generation (`-;-;G000123;-;generation`: the lines after it
come from that set, whose generation.txt names the catalog); before
no-rights the script writes the `USERNAME=` line of `set USERNAME`. Any user on any machine can write these files:
they are read with the client-file rules (no links, plain files, capped), every field is
checked against what the scripts write, and a line that does not fit is counted, never
half-used.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from hfstage import notices
from hfstage.errors import InputError, shown
from hfstage.inventory import Accounts, FolderSeen, folder_binding
from hfstage.notices import Notice
from hfstage.share import Entry, Owners, Share, entries, machine_name_problem, read_client_file

FAILED, GAVE_UP, REBOOT = "failed", "gave-up", "reboot"
REBOOT_INITIATED, REBOOT_REQUIRED, REBOOT_PENDING = "reboot-initiated", "reboot-required", "reboot-pending"
REBOOTED = "rebooted"  # the collector saw that a restart asked for has happened
NO_RIGHTS = "no-rights"
SUCCESS = ("success", "success-reboot", "already-installed", REBOOT_INITIATED)
# a run that stopped before installing anything, and why
BLOCKED = {NO_RIGHTS: "the script ran without administrator rights", "busy": "another run held the machine's lock",
           REBOOT_PENDING: "a reboot was already pending", "outside-window": "outside the maintenance window"}
UNINSTALL_FAILED = "uninstall-failed"
UNKNOWN_EXIT = "unknown-exit"  # Windows 9x: a non-zero 8-bit exit code; the next scan decides
UNGUARDED = "unguarded"  # no reg.exe: the registry rights check and the pending-reboot check could not run
STARTUP_TOO_SHORT = "startup-too-short"  # a service pack left out of a startup script (MaxGPOScriptWait)
GENERATION = "generation"  # the set of scripts (%HFG%) the lines after it come from
MEANINGS = frozenset({*SUCCESS, *BLOCKED, FAILED, GAVE_UP, REBOOT, REBOOT_REQUIRED, REBOOTED, "qchain",
                      "rescan-required", "rescan-pending", "uninstalled", "manual-rollback", UNINSTALL_FAILED,
                      UNKNOWN_EXIT, UNGUARDED, STARTUP_TOO_SHORT, GENERATION})
_GENERATION = re.compile(r"^G\d{6}$")
_USER = re.compile(r"USERNAME=([-A-Za-z0-9_.$ ]{1,64})")
_FIELDS = {
    "date": re.compile(r"^[-A-Za-z0-9/.,: ]{0,40}$"),
    "time": re.compile(r"^[-A-Za-z0-9/.,: ]{0,40}$"),
    "bulletin": re.compile(r"^(-|SP|[A-Za-z0-9][A-Za-z0-9._-]{0,63})$"),
    "qnumber": re.compile(r"^(-|[A-Za-z0-9._-]{1,32})$"),
    "patch": re.compile(r"^[A-Za-z0-9_.$()+,=@#~ -]{1,128}$"),
    "code": re.compile(r"^(-|-?\d{1,10}|\d{1,10}\+|neg)$"),
}
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
# what the rollback history takes as "the script installed it" (already-installed is not: the script
# found it there) and as "the rollback removed it"
INSTALLED_BY_SCRIPT = ("success", "success-reboot", REBOOT_INITIATED)
UNINSTALLED = "uninstalled"


@dataclass
class InstallEvent:
    """The last install or removal a machine's logs report for one patch, and where in them."""

    bulletin: str
    patch: str
    state: str  # installed or uninstalled
    line: int  # its line in the machine's logs: later lines are later events
    when: str


@dataclass
class PatchResult:
    bulletin: str
    qnumber: str
    patch: str
    attempts: int = 0
    failures: int = 0
    last_code: str = ""
    last_meaning: str = ""
    last_when: str = ""
    gave_up: bool = False
    generation: str = ""  # the set of scripts its last attempt came from ("": a script of before, or a job)

    @property
    def ok(self) -> bool:
        return self.last_meaning in SUCCESS


@dataclass
class MachineResults:
    machine: str
    patches: list[PatchResult] = field(default_factory=list)
    reboots: int = 0
    loop: bool = False
    malformed: int = 0
    error: str | None = None
    blocked: str | None = None  # the last run installed nothing: one of BLOCKED
    blocked_context: str = ""  # logon, startup or scheduled
    blocked_user: str = ""  # who ran it, for no-rights
    blocked_when: str = ""
    reboot_required: str | None = None  # since when the machine waits for an admin's restart
    uninstall_failed: list[str] = field(default_factory=list)  # rollbacks that left a patch in place
    events: list[InstallEvent] = field(default_factory=list)  # per patch, its last install or removal
    unguarded: str | None = None  # when its last run could not check rights and pending reboots (no reg.exe)
    startup_too_short: list[str] = field(default_factory=list)  # packages a startup script left out
    generation: str = ""  # the set of scripts its last run that tried a package came from (its catalog)

    def problems(self) -> list[Notice]:
        """What the machine's logs say needs an admin, each a notice of its kind about the machine."""
        out = [self._notice(notices.RESULTS, f"results: {self.error}")] if self.error else []
        if self.blocked:
            who = f" as {self.blocked_user}" if self.blocked_user else ""
            out.append(self._notice(notices.INSTALL, f"install: nothing installed on {self.blocked_when or '?'} "
                                    f"({self.blocked_context} script{who}): {BLOCKED[self.blocked]}"))
        if self.reboot_required is not None:
            out.append(self._notice(notices.REBOOT, f"reboot: required since {self.reboot_required or '?'}: "
                                    "restart the machine"))
        if self.unguarded is not None:
            out.append(self._notice(notices.INSTALL, f"install: the run of {self.unguarded or '?'} had no reg.exe: "
                                    "the registry rights check and the pending-reboot check "
                                    "(PendingFileRenameOperations) could not run; put reg.exe in netlogon\\"))
        out += [self._notice(notices.INSTALL, f"install: {what} was not run from the startup script: it takes longer "
                             "than the machine's MaxGPOScriptWait allows; raise it (README) or install it at an "
                             "administrator's logon") for what in self.startup_too_short]
        out += [n for p in self.patches if (n := self._patch_notice(p)) is not None]
        out += [self._notice(notices.ROLLBACK, f"rollback: {what}: the uninstall failed; the patch is still "
                             "installed") for what in self.uninstall_failed]
        if self.malformed:
            out.append(self._notice(notices.RESULTS, f"results: {self.malformed} line(s) not in the form hfstage's "
                                    "scripts write were ignored"))
        if self.loop:
            out.append(self._notice(notices.INSTALL, f"install: {self.reboots} reboots without a successful install "
                                    "between them: reboot loop?"))
        return out

    def _patch_notice(self, p: PatchResult) -> Notice | None:
        """What one patch's install attempts need an admin to know, if anything."""
        if p.gave_up:
            return self._notice(notices.INSTALL, f"install: {p.bulletin} {p.patch} gave up after {p.attempts} "
                                f"failed attempt(s) (last exit code {p.last_code or '?'})")
        if p.last_meaning == UNKNOWN_EXIT:
            return self._notice(notices.INSTALL, f"install: {p.bulletin} {p.patch} ended with a non-zero exit code, "
                                "which Windows 9x passes on in 8 bits (3010 arrives as 194): the next scan says "
                                "whether it installed")
        if not p.ok and p.failures:
            return self._notice(notices.INSTALL, f"install: {p.bulletin} {p.patch} failed {p.failures} time(s) "
                                f"(last exit code {p.last_code or '?'})")
        return None

    def _notice(self, kind: str, text: str) -> Notice:
        return Notice(kind, self.machine, text)

    def to_dict(self) -> dict:
        return {**asdict(self), "problems": [p.text for p in self.problems()]}


def _fields(line: str) -> dict[str, str] | None:
    parts = line.split(";")
    if len(parts) != 8 or parts[0] != "HFRESULT":
        return None
    named = dict(zip(("date", "time", "bulletin", "qnumber", "patch", "code", "meaning"),
                     (p.strip() for p in parts[1:]), strict=True))
    if named["meaning"] not in MEANINGS:
        return None
    if any(not pattern.fullmatch(named[name]) for name, pattern in _FIELDS.items()):
        return None
    if named["meaning"] == GENERATION and not _GENERATION.fullmatch(named["patch"]):
        return None
    return named


def parse_log(machine: str, text: str) -> MachineResults:
    result = MachineResults(machine)
    by_patch: dict[tuple[str, str], PatchResult] = {}
    events: dict[tuple[str, str], InstallEvent] = {}
    when = user = ""
    success_since_reboot = True
    for number, raw in enumerate(text.splitlines()):
        line = raw.strip()
        m = re.fullmatch(r"Current (date|time) is ([-A-Za-z0-9/.,: ]{1,40})", line)
        if m:
            when = m.group(2).strip() if m.group(1) == "date" else f"{when} {m.group(2).strip()}".strip()
            continue
        m = _USER.fullmatch(line)
        if m:
            user = m.group(1).strip()
            continue
        if not line.startswith("HFRESULT"):
            continue
        f = _fields(line)
        if f is None:
            result.malformed += 1
            continue
        stamp = f"{f['date']} {f['time']}".strip(" -") or when
        meaning = f["meaning"]
        if meaning in INSTALLED_BY_SCRIPT or meaning == UNINSTALLED:
            state = "installed" if meaning in INSTALLED_BY_SCRIPT else UNINSTALLED
            events[(f["bulletin"], f["patch"].casefold())] = InstallEvent(f["bulletin"], f["patch"], state, number,
                                                                          stamp)
        if meaning == GENERATION:
            result.generation = f["patch"]
            continue
        if meaning == UNGUARDED:
            result.unguarded = stamp
            continue
        if meaning == STARTUP_TOO_SHORT:
            if f["patch"] not in result.startup_too_short:
                result.startup_too_short.append(f["patch"])
            continue
        if meaning in BLOCKED:
            result.blocked, result.blocked_context, result.blocked_when = meaning, f["qnumber"], stamp
            result.blocked_user = user if meaning == NO_RIGHTS else ""
            if meaning == REBOOT_PENDING:
                result.reboot_required = result.reboot_required or stamp
            user = ""
            continue
        if meaning == REBOOTED:
            result.reboot_required = None
            if result.blocked == REBOOT_PENDING:
                result.blocked = None
            continue
        result.blocked = None
        if meaning == REBOOT_REQUIRED:
            result.reboot_required = result.reboot_required or stamp
            continue
        if meaning != GAVE_UP:  # an install ran: the pending check had passed, so the restart happened
            result.reboot_required = None
        if meaning == REBOOT:
            result.reboots += 1
            if not success_since_reboot:
                result.loop = True
            success_since_reboot = False
            continue
        if meaning == UNINSTALL_FAILED:
            result.uninstall_failed.append(f"{f['bulletin']} {f['patch']} (exit code {f['code'] or '?'})")
            continue
        if f["patch"] == "qchain.exe" or meaning in ("qchain", "rescan-required", "rescan-pending", "uninstalled",
                                                      "manual-rollback"):
            continue
        entry = by_patch.setdefault((f["bulletin"], f["patch"]), PatchResult(f["bulletin"], f["qnumber"], f["patch"]))
        if meaning in ("success", "success-reboot", REBOOT_INITIATED, FAILED, UNKNOWN_EXIT):
            entry.attempts += 1
        if meaning == FAILED:
            entry.failures += 1
        if meaning == GAVE_UP:
            entry.gave_up = True
        else:
            entry.last_code, entry.last_meaning, entry.last_when = f["code"], meaning, stamp
            entry.generation = result.generation
        if meaning in SUCCESS:
            success_since_reboot = True
            entry.gave_up = False
    result.patches = sorted(by_patch.values(), key=lambda p: (p.bulletin, p.patch))
    result.events = sorted(events.values(), key=lambda e: e.line)
    return result


SHOWN_NAMES = 20


def results_summary(machines: list[MachineResults]) -> list[str]:
    """The groups of machines an admin acts on, one line each: scripts without rights, restarts owed."""
    no_rights = [m for m in machines if m.blocked == NO_RIGHTS]
    never = [m.machine for m in no_rights if not any(p.ok for p in m.patches)]
    stopped = [m.machine for m in no_rights if any(p.ok for p in m.patches)]
    restart = [m.machine for m in machines if m.reboot_required is not None]
    lines = []
    if never:
        lines.append(f"{len(never)} machine(s) never patched: scripts ran without administrator rights: "
                     f"{_names(never)} (run them as startup scripts, or schedule_nt4.bat for NT 4.0)")
    if stopped:
        lines.append(f"{len(stopped)} machine(s) not patched on their last run: the script ran without "
                     f"administrator rights: {_names(stopped)}")
    if restart:
        lines.append(f"{len(restart)} machine(s) wait for an administrator to restart them: {_names(restart)}")
    return lines


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


LOCAL_RESULTS = "local-results.log"  # a scheduled run's own log, copied back by the collector


def collect_results(share: Share, max_bytes: int = DEFAULT_MAX_BYTES, accounts: Accounts | None = None,
                    seen: Mapping[str, FolderSeen] | None = None) -> tuple[list[MachineResults], list[str]]:
    """Every machine's results log, and a line for each name under results\\ that is not one, or is refused.

    A scheduled run (NT 4.0 through ADMIN$) logs on the machine; the collector copies that log
    to inventory\\<MACHINE>\\local-results.log, read here after the share's log. Each log must belong to
    whoever the machine's inventory folder is given to (inventory.binding); two logs whose names differ
    only in case are one file on Windows: both are refused by name, never one chosen. SEEN: the inventory's
    listing of the machine folders this run (InventoryResult.folders): a folder it holds is not listed, nor its
    binding worked out, again (a folder it lacks is, as without it).
    """
    seen = seen or {}
    root, inventory = share.folder("results"), share.folder("inventory")
    texts: dict[str, list[str]] = {}
    errors: dict[str, str] = {}
    refused: list[str] = []
    logs: dict[str, list[Entry]] = {}
    for entry in entries(root):
        if not entry.name.lower().endswith(".log"):
            continue
        machine = entry.name[:-4]
        if machine_name_problem(machine):
            refused.append(f"{shown(entry.path)}: ignored: '{shown(machine)}' is not a machine name hfstage writes "
                           "scripts for")
            continue
        logs.setdefault(machine.casefold(), []).append(entry)
    folders = {f.name.casefold(): f for f in entries(inventory) if f.is_folder and not machine_name_problem(f.name)}
    for key, found in logs.items():
        log = _one(found, refused)
        if log is not None:
            owners = _owners(folders.get(key), log.name[:-4], accounts, seen)
            _read_log(root, log, log.name[:-4], max_bytes, texts, errors, refused, owners)
    for key, folder in folders.items():
        look = seen.get(folder.name)
        local = _one(list(look.local_results) if look is not None else entries(folder.path, _local_results), refused)
        if local is not None:
            name = next((m for m in texts if m.casefold() == key), folder.name)
            _read_log(inventory, local, name, max_bytes, texts, errors, refused,
                      _owners(folder, folder.name, accounts, seen))
    out = [MachineResults(m, error=errors[m]) if m in errors else parse_log(m, "\n".join(texts[m]))
           for m in sorted(set(texts) | set(errors), key=str.casefold)]
    return out, refused


def _local_results(name: str) -> bool:
    return name.casefold() == LOCAL_RESULTS


def _one(found: list[Entry], refused: list[str]) -> Entry | None:
    """The one log of a name, or None when there are several that Windows would hold as one (each named)."""
    if len(found) == 1:
        return found[0]
    if found:
        refused.append(f"{', '.join(shown(e.path) for e in sorted(found, key=lambda e: e.name))}: refused: "
                       f"{len(found)} logs for one machine (Windows holds one file of that name; which its script "
                       "wrote cannot be told): none is read; remove the one the machine did not write")
    return None


def _owners(folder: Entry | None, machine: str, accounts: Accounts | None,
            seen: Mapping[str, FolderSeen]) -> Owners | None:
    """Whose logs are the machine's: whoever its inventory folder is given to (anyone's, without a folder); the
    inventory's binding of the folder when it saw it this run (the same account lookup, remembered)."""
    if folder is None:
        return None
    look = seen.get(folder.name)
    return look.owners if look is not None else folder_binding(folder.path, machine, accounts).owners


def _read_log(root, entry, machine: str, max_bytes: int, texts: dict, errors: dict, refused: list,
              owners: Owners | None = None) -> None:
    if not entry.is_file:
        refused.append(f"{shown(entry.path)}: refused: it is {entry.described}, not a regular file")
        return
    if owners is not None and entry.uid >= 0 and entry.uid not in owners.uids:
        refused.append(f"{owners.refusal(entry.path, entry.uid)}; it is not read")
        return
    try:
        texts.setdefault(machine, []).append(read_client_file(root, entry.path, max_bytes, "results log", owners)
                                             .decode("latin-1"))
    except InputError as e:
        errors[machine] = str(e)
