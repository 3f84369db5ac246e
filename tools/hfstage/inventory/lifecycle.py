"""Each machine's lifecycle on the share: pending, accepted or retired (state\\machines.json).

Anyone who can write inventory\\ can make a folder there, so a machine the server has not
seen before is pending: its evidence is read, assessed and shown, but it is not counted in
compliance or in the central bundle and gets no script, until an administrator accepts it
(`hfstage machines accept`) or its evidence is bound to its own computer account
(inventory.binding). A retired machine loses its scripts and stubs and is not read again
until it is accepted again. Every change is dated by the server's clock and says who or
what made it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field

from hfstage.errors import StateError
from hfstage.share import MACHINES, PRIVATE, Share, atomic_write_text

PENDING, ACCEPTED, RETIRED = "pending", "accepted", "retired"
STANDINGS = (ACCEPTED, PENDING, RETIRED)
FORMAT = 1


@dataclass
class MachineRecord:
    """One machine's standing, since when, and why (who accepted or retired it, or what bound it)."""

    machine: str
    standing: str
    first_seen: str  # when this server first saw its folder
    since: str  # when it got its standing
    how: str  # "accepted by root", "bound to its computer account dc01$", "in the history before ..."


@dataclass
class Lifecycle:
    """Every machine the share has known, by name without case (Windows' names)."""

    records: dict[str, MachineRecord] = field(default_factory=dict)
    existed: bool = True  # False: the share had no record yet (a new share, or one from before lifecycles)

    @staticmethod
    def now() -> str:
        """The server's clock, as every record is dated (a client's file times are its own)."""
        return dt.datetime.now(dt.timezone.utc).isoformat(timespec="minutes")

    @classmethod
    def load(cls, share: Share) -> Lifecycle:
        path = share.state_file(MACHINES)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(existed=False)
        except (OSError, ValueError) as e:
            raise StateError(f"{path}: damaged ({e}): restore it from a backup, or remove it (the machines the "
                             "latest scan counted are then accepted again; every other folder is pending)") from e
        try:
            records = {name.casefold(): MachineRecord(**r) for name, r in data["machines"].items()}
        except (KeyError, TypeError, AttributeError) as e:
            raise StateError(f"{path}: not a machine record hfstage wrote ({e}): restore it from a backup, or remove "
                             "it") from e
        if any(r.standing not in STANDINGS for r in records.values()):
            raise StateError(f"{path}: a machine has a standing other than {', '.join(STANDINGS)}: restore it")
        return cls(records)

    def save(self, share: Share) -> None:
        body = {"format": FORMAT, "machines": {r.machine: asdict(r) for r in
                                               sorted(self.records.values(), key=lambda r: r.machine.casefold())}}
        atomic_write_text(share.state_file(MACHINES), json.dumps(body, indent=1, sort_keys=True), PRIVATE)
        self.existed = True

    def get(self, machine: str) -> MachineRecord | None:
        return self.records.get(machine.casefold())

    def standing(self, machine: str) -> str:
        record = self.get(machine)
        return record.standing if record is not None else PENDING

    def see(self, machine: str, when: str) -> bool:
        """Note MACHINE's folder; True when the server had never seen it (it is pending)."""
        if self.get(machine) is not None:
            return False
        self.records[machine.casefold()] = MachineRecord(machine, PENDING, when, when, "a new folder under inventory")
        return True

    def set(self, machine: str, standing: str, how: str, when: str) -> MachineRecord:
        record = self.get(machine) or MachineRecord(machine, standing, when, when, how)
        record.standing, record.since, record.how = standing, when, how
        self.records[machine.casefold()] = record
        return record
