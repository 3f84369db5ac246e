"""Is one patch installed on one machine? Registry values, file versions and checksums.

Follows HFNetChk: any registry or file mismatch means "Patch NOT Found"; a file newer
than the catalog expects is a "Warning"; a patch whose evidence cannot be read is a
"Note" that says what could not be checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.assess.families import ForeignChecks, foreign_checks, foreign_reason
from hfstage.assess.model import GAP_CATALOG, GAP_INVENTORY, INSTALLED, MISSING, NOTE, WARNING
from hfstage.catalog import Catalog, FileChange, Patch, RegChange
from hfstage.errors import q
from hfstage.inventory import MachineFacts, expand_location, foreign_location
from hfstage.versions import parse_version, version_text

ABSENT = ("not present on the drive", "not present on the machine")
IGNORED_IF_ABSENT = {"e", "d"}  # "change if exists, ignore if not", "delete"


@dataclass
class CheckResult:
    status: str
    reason: str
    evidence: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    gap: str | None = None
    unverified: bool = False
    decided_by: list[str] = field(default_factory=list)  # the kinds of check whose lines made the verdict


@dataclass
class _Tally:
    ok: list[str] = field(default_factory=list)
    reg_ok: int = 0
    failed: list[str] = field(default_factory=list)
    newer: list[str] = field(default_factory=list)
    uncollected: list[str] = field(default_factory=list)  # the machine's inputs lack it
    unknown: list[str] = field(default_factory=list)  # the catalog gives nothing checkable
    ignored: list[str] = field(default_factory=list)

    kinds: dict[str, str] = field(default_factory=dict)  # line -> the kind of check that made it (scan -v)

    def decided(self, lines: list[str]) -> list[str]:
        return list(dict.fromkeys(self.kinds[line] for line in lines if line in self.kinds))




def check_kind(command: str, catalog: Catalog) -> str:
    """'e: change if exists, ignore if not': the catalog's command letter and its own name for it."""
    return f"{command}: {catalog.commands.get(command, 'no such command in the catalog')}"


def patch_checks(patch: Patch, catalog: Catalog) -> tuple[list[RegChange], list[FileChange]]:
    """PATCH's registry and file checks in CATALOG."""
    return ([rc for i in patch.reg_change_ids if (rc := catalog.reg_changes.get(i))],
            [fc for i in patch.file_change_ids for fc in catalog.file_changes.get(i, [])])


def check_patch(patch: Patch, catalog: Catalog, facts: MachineFacts, checksum_mode: str = "none",
                checks: tuple[list[RegChange], list[FileChange]] | None = None,
                foreign: ForeignChecks | None = None) -> CheckResult:
    """The installed/missing/warning/note verdict for PATCH on the machine FACTS describe (CHECKS and FOREIGN:
    the patch's checks and those of the other family, when the caller keeps them per patch)."""
    regs, files = checks if checks is not None else patch_checks(patch, catalog)
    if not regs and not files:
        return CheckResult(NOTE, "the catalog has no file or registry details for this patch: confirm by hand",
                           gap=GAP_CATALOG)
    os_name = facts.os.name if facts.os is not None else None
    if foreign is None:
        foreign = foreign_checks(patch, catalog, facts.os_family, os_name)
    if foreign.required:  # e.g. an NT Hotfix key on Windows 98: it can never pass there
        return CheckResult(NOTE, foreign_reason(foreign, facts.os_family, os_name),
                           foreign.required + foreign.optional, gap=GAP_CATALOG)
    tally = _Tally(ignored=[f"not applied: {f} (checked only if present)" for f in foreign.optional])
    for rc in regs:
        _check_reg(rc, facts, tally)
    for fc in files:
        if fc.os and os_name is not None and fc.os != os_name:
            continue  # a supplement's check for another OS
        if foreign_location(fc.location or "", facts.os_family) is None:
            line = _check_file(fc, facts, tally, checksum_mode)
            tally.kinds.setdefault(line, check_kind(fc.command, catalog))
    evidence = tally.failed + tally.newer + tally.uncollected + tally.unknown + tally.ok + tally.ignored
    evidence += [f"checks from {source}" for source in sorted({fc.source for fc in files if fc.source})]
    result = _verdict(tally, evidence)
    result.decided_by = tally.decided({MISSING: tally.failed, WARNING: tally.newer, INSTALLED: tally.ok}.get(
        result.status, tally.uncollected + tally.unknown))
    return result


def _verdict(tally: _Tally, evidence: list[str]) -> CheckResult:
    if tally.failed:
        return CheckResult(MISSING, "; ".join(tally.failed), evidence, tally.failed)
    if tally.newer:
        return CheckResult(WARNING, "; ".join(tally.newer), evidence)
    if tally.uncollected:
        # a registry key alone is what any client can fake: without the files it is not proof
        unverified = tally.reg_ok > 0
        lead = "unverified: the registry says installed, but " if unverified else "could not confirm: "
        return CheckResult(NOTE, lead + "; ".join(tally.uncollected), evidence, gap=GAP_INVENTORY,
                           unverified=unverified)
    if tally.unknown:
        return CheckResult(NOTE, "could not confirm: " + "; ".join(tally.unknown), evidence, gap=GAP_CATALOG)
    if not tally.ok:
        return CheckResult(NOTE, "could not confirm: none of the files this patch changes is present and the "
                                 "catalog has no registry check for it", evidence, gap=GAP_CATALOG)
    if tally.reg_ok == len(tally.ok):
        # installed as far as the registry tells, and nothing else confirms it: a key is written by a
        # client as easily as by a hotfix, so the machine is "unverified", never "compliant" (README)
        return CheckResult(INSTALLED, "confirmed only by the registry: " + "; ".join(tally.ok), evidence,
                           unverified=True)
    return CheckResult(INSTALLED, "; ".join(tally.ok), evidence)


def _check_reg(rc: RegChange, facts: MachineFacts, tally: _Tally) -> None:
    if not rc.key or not rc.key.upper().startswith(("HKLM\\", "HKEY_LOCAL_MACHINE\\")):
        tally.unknown.append(f"registry check on {rc.key or 'an unknown key'} is outside HKLM")
        return
    where = f"{rc.key}\\{rc.value_name}" if rc.value_name else rc.key
    found = facts.reg(rc.key, rc.value_name)
    if found is None:
        tally.uncollected.append(f"registry value {where} was not collected")
    elif not found.key_found:
        tally.failed.append(f"registry key {rc.key} not found")
    elif rc.value and found.value != rc.value:
        tally.failed.append(f"registry value {where} is '{found.value}', expected '{rc.value}'")
    else:
        tally.ok.append(f"registry value {where} = '{found.value}'")
        tally.reg_ok += 1


def _check_file(fc: FileChange, facts: MachineFacts, tally: _Tally, checksum_mode: str) -> str:
    """Check one file of the catalog on the machine: adds one line to one of TALLY's lists, and returns it."""
    name = fc.file_name
    if fc.command == "u":
        return _add(tally.unknown, f"file {name}: the catalog marks its check unsupported")
    folder = expand_location(fc.location or "", facts)
    found = facts.file(f"{folder}\\{name}") if folder else None
    if found is None:
        return _add(tally.uncollected, f"file {fc.location}\\{name} was not collected")
    expected = fc.version
    if not found.found:
        if found.problem in ABSENT and fc.command in IGNORED_IF_ABSENT:
            return _add(tally.ignored, f"file {found.path} is absent (checked only if present)")
        elif found.problem in ABSENT:
            wanted = f"version {version_text(expected)}" if expected else "it"
            return _add(tally.failed, f"file {found.path} not found, expected {wanted}")
        else:
            return _add(tally.uncollected, f"file {found.path}: {found.problem}")
    if expected is None:  # Version="na" or "": only presence can be checked
        return _add(tally.ok, f"file {found.path} is present (the catalog gives no version: {q(fc.version_text)})")
    actual = parse_version(found.file_version)
    if actual is None:
        return _add(tally.uncollected, f"file {found.path}: {found.problem or 'no version'}")
    return _compare_file(found, actual, expected, fc, tally, checksum_mode)


def _compare_file(found, actual, expected, fc: FileChange, tally: _Tally, checksum_mode: str) -> str:
    width = max(len(actual), len(expected))
    a, e = actual + (0,) * (width - len(actual)), expected + (0,) * (width - len(expected))
    shown = f"file {found.path} has version {found.file_version}"
    if a < e:
        return _add(tally.failed, f"{shown}, less than the expected {version_text(expected)}")
    elif a > e:
        return _add(tally.newer, f"{shown}, newer than the expected {version_text(expected)}")
    elif checksum_mode == "pe-header" and fc.checksum and fc.checksum.isdigit() \
            and found.checksum is not None and int(fc.checksum) != found.checksum:
        return _add(tally.failed, f"{shown} but PE checksum {found.checksum}, expected {fc.checksum}")
    else:
        note = "" if checksum_mode == "pe-header" and fc.checksum else " (checksum not compared)"
        return _add(tally.ok, f"{shown}{note}")


def _add(lines: list[str], line: str) -> str:
    lines.append(line)
    return line
