"""`hfstage results`: what clients wrote back to results\\<MACHINE>.log.

Lines are `HFRESULT;date;time;bulletin;qnumber;patch;exit code;meaning`. Windows 9x
scripts cannot put the date on the line; they write command.com's "Current date is ..."
line before it, which is used instead.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from hfstage.share import Share

FAILED, GAVE_UP, REBOOT = "failed", "gave-up", "reboot"
SUCCESS = ("success", "success-reboot", "already-installed")


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

    def problems(self) -> list[str]:
        out = []
        for p in self.patches:
            if p.gave_up:
                out.append(f"install: {p.bulletin} {p.patch} gave up after {p.attempts} failed attempt(s) "
                           f"(last exit code {p.last_code or '?'})")
            elif not p.ok and p.failures:
                out.append(f"install: {p.bulletin} {p.patch} failed {p.failures} time(s) (last exit code "
                           f"{p.last_code or '?'})")
        if self.loop:
            out.append(f"install: {self.reboots} reboots without a successful install between them: reboot loop?")
        return out

    def to_dict(self) -> dict:
        return {**asdict(self), "problems": self.problems()}


def parse_log(machine: str, text: str) -> MachineResults:
    result = MachineResults(machine)
    by_patch: dict[tuple[str, str], PatchResult] = {}
    when = ""
    success_since_reboot = True
    for line in text.splitlines():
        line = line.strip()
        m = re.match(r"Current (date|time) is (.*)", line)
        if m:
            when = m.group(2).strip() if m.group(1) == "date" else f"{when} {m.group(2).strip()}".strip()
            continue
        if not line.startswith("HFRESULT;"):
            continue
        fields = [f.strip() for f in line.split(";")]
        if len(fields) != 8:
            result.malformed += 1
            continue
        _, date, time, bulletin, qnumber, patch, code, meaning = fields
        stamp = f"{date} {time}".strip(" -") or when
        if meaning == REBOOT:
            result.reboots += 1
            if not success_since_reboot:
                result.loop = True
            success_since_reboot = False
            continue
        if patch in ("qchain.exe",) or meaning in ("rescan-required", "rescan-pending"):
            continue
        entry = by_patch.setdefault((bulletin, patch), PatchResult(bulletin, qnumber, patch))
        if meaning in ("success", "success-reboot", FAILED):
            entry.attempts += 1
        if meaning == FAILED:
            entry.failures += 1
        if meaning == GAVE_UP:
            entry.gave_up = True
        else:
            entry.last_code, entry.last_meaning, entry.last_when = code, meaning, stamp
        if meaning in SUCCESS:
            success_since_reboot = True
            entry.gave_up = False
    result.patches = sorted(by_patch.values(), key=lambda p: (p.bulletin, p.patch))
    return result


def collect_results(share: Share) -> list[MachineResults]:
    out = []
    for path in sorted(share.folder("results").glob("*.log")):
        text = path.read_bytes().decode("latin-1")
        out.append(parse_log(path.stem, text))
    return out
