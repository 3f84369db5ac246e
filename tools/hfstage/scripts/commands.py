"""The command line each step runs, from installers.json: the kind's switches for the machine's OS and
Windows Installer version, the context's Hotfix.exe user interface, and the exit-code ladders that read
what a package returned on each interpreter (cmd's 32-bit codes, command.com's 8-bit ones)."""

from __future__ import annotations

from hfstage.errors import UsageError
from hfstage.packages import Verdict
from hfstage.scripts.batch import BatchText, check_command
from hfstage.scripts.settings import ScriptSettings
from hfstage.versions import parse_version

# what the exit-code ladder jumps to for each meaning installers.json gives a success code
TARGETS = {"success": "ok", "success-reboot": "okr", "reboot-initiated": "init"}


def exit_ladder(table: dict) -> list[tuple[int, str]]:
    """`if errorlevel N goto TARGET` lines, highest N first, from installers.json's success codes (NT scripts).

    `if errorlevel N` is true for N or more, so each success code C gets a line for C+1 (a
    failure, unless C+1 is a success code too) before its own; everything from 1 up that is
    not a success code is a failure.
    """
    codes = {int(c): meaning for c, meaning in table["success_codes"].items()}
    unknown = sorted(set(codes.values()) - set(TARGETS))
    if unknown:
        raise UsageError(f"installers.json: success_codes meaning {', '.join(unknown)} is not one of "
                         f"{', '.join(TARGETS)}")
    ladder: list[tuple[int, str]] = []
    for code in sorted((c for c in codes if c > 0), reverse=True):
        if code + 1 not in codes and not any(level == code + 1 for level, _ in ladder):
            ladder.append((code + 1, "fail"))
        ladder.append((code, TARGETS[codes[code]]))
    if 1 not in codes:
        ladder.append((1, "fail"))
    return ladder


def rc_ladder(codes: dict[int, str]) -> list[tuple[int, str, str]]:
    """(N, target, code text) per `if errorlevel N` line, highest N first, for exit CODES (code -> target; 0 is
    not listed: it is what no line catches). Each target label sets HF_RC to the code text before it goes on:
    NT 4.0's cmd has no dynamic %ERRORLEVEL% (command extensions version 1), and wine's cmd clears the
    errorlevel at a `set`, so the code is read with `if errorlevel` and gotos alone."""
    ladder: list[tuple[int, str, str]] = []
    for code in sorted((c for c in codes if c > 0), reverse=True):
        if code + 1 not in codes and not any(level == code + 1 for level, _, _ in ladder):
            ladder.append((code + 1, "fail", f"{code + 1}+"))
        ladder.append((code, codes[code], str(code)))
    if 1 not in codes:
        ladder.append((1, "fail", "1+"))
    return ladder


def install_ladder(table: dict) -> list[tuple[int, str, str]]:
    """The NT install scripts' exit-code ladder from installers.json's success codes."""
    exit_ladder(table)  # checks the meanings
    return rc_ladder({int(c): TARGETS[m] for c, m in table["success_codes"].items()})


UNINSTALL_LADDER = rc_ladder({3010: "gone"})  # a removal succeeded: 0, or 3010 (a restart finishes it)


def unattended_ui(table: dict) -> list[tuple[str, str]]:
    """(context, Hotfix.exe switch) pairs for contexts other than the default, and the default last as ('', switch)."""
    ui = table["unattended_ui"]
    return [(c, ui[c]) for c in ("logon", "startup", "scheduled") if ui[c] != ui["other"]] + [("", ui["other"])]


def installer_below(version: str | None, limit: str) -> bool:
    """Whether Windows Installer VERSION is below LIMIT; an unknown version counts as below (the older form)."""
    have, want = parse_version(version or ""), parse_version(limit)
    return have is None or want is None or have < want


def install_line(verdict: Verdict, table: dict, file: str, name: str, settings: ScriptSettings, os_key: str,
                 installer_version: str | None) -> BatchText:
    """The command that installs package FILE (patch NAME) on a machine of OS_KEY with Windows Installer
    INSTALLER_VERSION (msi.dll's file version; None: not known)."""
    if verdict.decision.switches is not None:
        return BatchText(f'"{file}" {check_command(verdict.decision.switches, f"[switches] {name}")}')
    kind = verdict.decision.kind or ""
    if kind not in table["kinds"] or not table["kinds"][kind].get("install"):
        raise UsageError(f"installer kind {kind or '(none)'} for {name} has no install command "
                         f"(kinds: {', '.join(k for k, v in table['kinds'].items() if v.get('install'))})")
    if kind == "update" and settings.passive:
        kind = "update-passive"
    return BatchText(kind_command(table["kinds"][kind], os_key, installer_version).replace("{file}", file))


def kind_command(entry: dict, os_key: str, installer_version: str | None) -> str:
    """A kind's install command for the machine: its OS's own form, or the one before a Windows Installer version."""
    if os_key in entry.get("by_os", {}):
        return entry["by_os"][os_key]["install"]
    before = entry.get("before")
    if before is not None and installer_below(installer_version, before["version"]):
        return before["install"]
    return entry["install"]


def uninstall_line(kind: str, table: dict, file: str, has_folder: bool) -> BatchText | None:
    """The kind's uninstall command; one run from the $NtUninstall folder needs a Q/KB number to find it."""
    template = table["kinds"][kind].get("uninstall")
    if not template or ("%HF_UNDIR%" in template and not has_folder):
        return None
    return BatchText(template.replace("{file}", file))
