"""Is one patch installed on one machine? Registry values, file versions and checksums.

Follows HFNetChk: any registry or file mismatch means "Patch NOT Found"; a file newer
than the catalog expects is a "Warning"; a patch whose evidence cannot be read is a
"Note" that says what could not be checked.

What a check needs from the catalog alone (its lines' fixed parts, which checks belong to
the machine's family) is made once per catalog (`PatchChecks`, `ChecksHere`): a site
assesses some 70 file checks per machine, 5,000 machines a month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hfstage.assess.families import ForeignChecks, foreign_checks, foreign_reason
from hfstage.assess.model import GAP_CATALOG, GAP_INVENTORY, INSTALLED, MISSING, NOTE, WARNING
from hfstage.catalog import Catalog, FileChange, Patch, RegChange
from hfstage.errors import q
from hfstage.inventory import FileFact, MachineFacts, RegFact, expand_location, foreign_location
from hfstage.versions import parse_version, version_text

ABSENT = ("not present on the drive", "not present on the machine")
IGNORED_IF_ABSENT = {"e", "d"}  # "change if exists, ignore if not", "delete"
# A check's line goes to one of these lists; the evidence lists them in this order.
FAILED, NEWER, UNCOLLECTED, UNKNOWN, OK, IGNORED = range(6)
_DECIDING = {MISSING: FAILED, WARNING: NEWER, INSTALLED: OK}  # whose lines made a verdict (a note: the gaps')


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
class RegCheck:
    """A registry check and the fixed parts of its lines."""

    change: RegChange
    where: str  # KEY\\VALUE as the lines name it
    outside: str | None  # the line when the key is outside HKLM: nothing on a machine can confirm it


@dataclass
class FileCheck:
    """A file check and the fixed parts of its lines."""

    change: FileChange
    kind: str  # check_kind: which kind of check made its line (scan -v)
    uncollected: str  # the line when the machine's files were not examined
    wanted: str  # what a missing file should have been: 'version 5.0.2195.1' or 'it'
    expected: str | None  # the expected version as text


@dataclass
class PatchChecks:
    """A patch's checks as every machine's assessment uses them."""

    regs: list[RegCheck]
    files: list[FileCheck]
    sources: list[str]  # 'checks from KB...' lines: where supplements' checks come from


@dataclass
class ChecksHere:
    """A patch's checks on a machine of one family and OS: the other family's set aside."""

    checks: PatchChecks
    foreign: ForeignChecks
    note: str | None  # the Note's reason when the patch demands the other family's checks
    files: list[FileCheck]  # the file checks made on such a machine
    ignored: list[str]  # lines for the other family's checks made only if present: not made here
    verdicts: dict[tuple, CheckResult] = field(default_factory=dict)  # by the evidence found (check_patch)


def check_kind(command: str, catalog: Catalog) -> str:
    """'e: change if exists, ignore if not': the catalog's command letter and its own name for it."""
    return f"{command}: {catalog.commands.get(command, 'no such command in the catalog')}"


def patch_checks(patch: Patch, catalog: Catalog) -> PatchChecks:
    """PATCH's registry and file checks in CATALOG."""
    regs = [rc for i in patch.reg_change_ids if (rc := catalog.reg_changes.get(i))]
    files = [fc for i in patch.file_change_ids for fc in catalog.file_changes.get(i, [])]
    return PatchChecks([_reg_check(rc) for rc in regs], [_file_check(fc, catalog) for fc in files],
                       [f"checks from {source}" for source in sorted({fc.source for fc in files if fc.source})])


def _reg_check(rc: RegChange) -> RegCheck:
    inside = rc.key and rc.key.upper().startswith(("HKLM\\", "HKEY_LOCAL_MACHINE\\"))
    outside = None if inside else f"registry check on {rc.key or 'an unknown key'} is outside HKLM"
    return RegCheck(rc, f"{rc.key}\\{rc.value_name}" if rc.value_name else rc.key, outside)


def _file_check(fc: FileChange, catalog: Catalog) -> FileCheck:
    expected = version_text(fc.version)
    return FileCheck(fc, check_kind(fc.command, catalog), f"file {fc.location}\\{fc.file_name} was not collected",
                     f"version {expected}" if fc.version else "it", expected)


def checks_here(checks: PatchChecks, patch: Patch, catalog: Catalog, family: str | None,
                os_name: str | None) -> ChecksHere:
    """CHECKS of PATCH as made on a machine of FAMILY running OS_NAME."""
    foreign = foreign_checks(patch, catalog, family, os_name)
    note = foreign_reason(foreign, family, os_name) if foreign.required else None
    # neither a supplement's check for another OS nor a file of the other family's folders
    files = [c for c in checks.files if not (c.change.os and os_name is not None and c.change.os != os_name)
             and foreign_location(c.change.location or "", family) is None]
    ignored = [f"not applied: {f} (checked only if present)" for f in foreign.optional]
    return ChecksHere(checks, foreign, note, files, ignored)


def check_patch(here: ChecksHere, facts: MachineFacts, checksum_mode: str = "none",
                folders: dict[str, str | None] | None = None) -> CheckResult:
    """The installed/missing/warning/note verdict for a patch (its checks HERE) on the machine FACTS describe
    (FOLDERS: the catalog's locations as expanded on it, kept by the caller across its patches).

    The verdict follows from the evidence the checks find alone: machines of one image find the same, so HERE
    remembers the verdict for the evidence found (HERE.verdicts) and each machine gets its own copy."""
    folders = {} if folders is None else folders
    if not here.checks.regs and not here.checks.files:
        return CheckResult(NOTE, "the catalog has no file or registry details for this patch: confirm by hand",
                           gap=GAP_CATALOG)
    if here.note is not None:  # e.g. an NT Hotfix key on Windows 98: it can never pass there
        return CheckResult(NOTE, here.note, here.foreign.required + here.foreign.optional, gap=GAP_CATALOG)
    regs = [None if check.outside is not None else facts.reg(check.change.key, check.change.value_name)
            for check in here.checks.regs]
    files = [_file_found(check, facts, folders) for check in here.files]
    evidence = (checksum_mode, *[None if r is None else (r.key_found, r.value) for r in regs],
                *[None if f is None else (f.path, f.found, f.problem, f.file_version, f.checksum) for f in files])
    try:
        result = here.verdicts.get(evidence)
    except TypeError:  # a value no verdict can be remembered by (the facts say only text and numbers)
        return _checked(here, regs, files, checksum_mode)
    if result is None:
        result = _checked(here, regs, files, checksum_mode)
        if len(here.verdicts) < _VERDICTS_KEPT:
            here.verdicts[evidence] = result
    return CheckResult(result.status, result.reason, list(result.evidence), list(result.failed), result.gap,
                       result.unverified, list(result.decided_by))


# Verdicts remembered per patch and family: a site's machines come from a few images, and this bounds the memory
# a site of all-different machines costs (some 400 patches).
_VERDICTS_KEPT = 64


def _checked(here: ChecksHere, regs: list, files: list, checksum_mode: str) -> CheckResult:
    """The verdict of HERE's checks from what they found: REGS, FILES (the evidence of each check, in order)."""
    lines: tuple[list[str], ...] = ([], [], [], [], [], [])
    reg_ok = 0
    for check, found in zip(here.checks.regs, regs, strict=True):
        bucket, line = _check_reg(check, found)
        lines[bucket].append(line)
        reg_ok += bucket == OK
    kinds: dict[str, str] = {}  # line -> the kind of check that made it (scan -v)
    for check, found in zip(here.files, files, strict=True):
        bucket, line = _check_file(check, found, checksum_mode)
        lines[bucket].append(line)
        kinds.setdefault(line, check.kind)
    evidence = [*lines[FAILED], *lines[NEWER], *lines[UNCOLLECTED], *lines[UNKNOWN], *lines[OK], *here.ignored,
                *lines[IGNORED], *here.checks.sources]
    result = _verdict(lines, reg_ok, evidence)
    deciding = _DECIDING.get(result.status)
    decided = lines[deciding] if deciding is not None else lines[UNCOLLECTED] + lines[UNKNOWN]
    result.decided_by = list(dict.fromkeys([kinds[line] for line in decided if line in kinds]))
    return result


def _verdict(lines: tuple[list[str], ...], reg_ok: int, evidence: list[str]) -> CheckResult:
    failed, newer, uncollected, unknown, ok = lines[FAILED], lines[NEWER], lines[UNCOLLECTED], lines[UNKNOWN], lines[OK]
    if failed:
        return CheckResult(MISSING, "; ".join(failed), evidence, failed)
    if newer:
        return CheckResult(WARNING, "; ".join(newer), evidence)
    if uncollected:
        # a registry key alone is what any client can fake: without the files it is not proof
        unverified = reg_ok > 0
        lead = "unverified: the registry says installed, but " if unverified else "could not confirm: "
        return CheckResult(NOTE, lead + "; ".join(uncollected), evidence, gap=GAP_INVENTORY, unverified=unverified)
    if unknown:
        return CheckResult(NOTE, "could not confirm: " + "; ".join(unknown), evidence, gap=GAP_CATALOG)
    if not ok:
        return CheckResult(NOTE, "could not confirm: none of the files this patch changes is present and the "
                                 "catalog has no registry check for it", evidence, gap=GAP_CATALOG)
    if reg_ok == len(ok):
        # installed as far as the registry tells, and nothing else confirms it: a key is written by a
        # client as easily as by a hotfix, so the machine is "unverified", never "compliant" (README)
        return CheckResult(INSTALLED, "confirmed only by the registry: " + "; ".join(ok), evidence, unverified=True)
    return CheckResult(INSTALLED, "; ".join(ok), evidence)


def _check_reg(check: RegCheck, found: RegFact | None) -> tuple[int, str]:
    """Check one registry value of the catalog against what the machine's registry had (FOUND)."""
    if check.outside is not None:
        return UNKNOWN, check.outside
    rc = check.change
    if found is None:
        return UNCOLLECTED, f"registry value {check.where} was not collected"
    if not found.key_found:
        return FAILED, f"registry key {rc.key} not found"
    if rc.value and found.value != rc.value:
        return FAILED, f"registry value {check.where} is '{found.value}', expected '{rc.value}'"
    return OK, f"registry value {check.where} = '{found.value}'"


def _file_found(check: FileCheck, facts: MachineFacts, folders: dict[str, str | None]) -> FileFact | None:
    """The machine's evidence for one file of the catalog; None: not examined (or a check the catalog marks
    unsupported, which looks at nothing)."""
    fc = check.change
    if fc.command == "u":
        return None
    location = fc.location or ""
    if location not in folders:
        folders[location] = expand_location(location, facts)
    folder = folders[location]
    return facts.file(f"{folder}\\{fc.file_name}") if folder else None


def _check_file(check: FileCheck, found: FileFact | None, checksum_mode: str) -> tuple[int, str]:
    """Check one file of the catalog against the machine's evidence (FOUND): which list its line goes to, and the
    line."""
    fc = check.change
    if fc.command == "u":
        return UNKNOWN, f"file {fc.file_name}: the catalog marks its check unsupported"
    if found is None:
        return UNCOLLECTED, check.uncollected
    if not found.found:
        if found.problem in ABSENT:
            if fc.command in IGNORED_IF_ABSENT:
                return IGNORED, f"file {found.path} is absent (checked only if present)"
            return FAILED, f"file {found.path} not found, expected {check.wanted}"
        return UNCOLLECTED, f"file {found.path}: {found.problem}"
    if fc.version is None:  # Version="na" or "": only presence can be checked
        return OK, f"file {found.path} is present (the catalog gives no version: {q(fc.version_text)})"
    actual = parse_version(found.file_version)
    if actual is None:
        return UNCOLLECTED, f"file {found.path}: {found.problem or 'no version'}"
    return _compare_file(found, actual, check, checksum_mode)


def _compare_file(found, actual, check: FileCheck, checksum_mode: str) -> tuple[int, str]:
    fc, expected = check.change, check.change.version
    width = max(len(actual), len(expected))
    a, e = actual + (0,) * (width - len(actual)), expected + (0,) * (width - len(expected))
    shown = f"file {found.path} has version {found.file_version}"
    if a < e:
        return FAILED, f"{shown}, less than the expected {check.expected}"
    if a > e:
        return NEWER, f"{shown}, newer than the expected {check.expected}"
    if checksum_mode == "pe-header" and fc.checksum and fc.checksum.isdigit() \
            and found.checksum is not None and int(fc.checksum) != found.checksum:
        return FAILED, f"{shown} but PE checksum {found.checksum}, expected {fc.checksum}"
    note = "" if checksum_mode == "pe-header" and fc.checksum else " (checksum not compared)"
    return OK, f"{shown}{note}"
