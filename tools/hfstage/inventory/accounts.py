"""Computer accounts remembered per machine while the server's account database is unchanged (DESIGN §8).

Binding asks the server's user database (NSS: getpwnam) for each machine's `name$` account every run.
A name it does not know costs a walk through every source (/etc/passwd, nss-systemd's drop-in folders,
...): two misses a machine, some 150 us each, were two thirds of a no-change month's inventory. The
database decides, so each answer is remembered in the accounts memo keyed on the identity of every
file that decides it (data/account_sources.json); a source hfstage cannot see change (winbind, sssd,
ldap: another server's database, where enumeration may be off) is asked every run, as before.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hfstage import resources
from hfstage.inventory.binding import Accounts
from hfstage.share import ACCOUNTS, Share, fingerprint

SOURCES_NAME = "account_sources.json"


def passwd_sources(nsswitch: str) -> list[str]:
    """The sources of the `passwd:` line of an nsswitch.conf text, in order, without their [actions]."""
    for line in nsswitch.splitlines():
        words = line.split("#", 1)[0].split()
        if words and words[0] == "passwd:":
            return re.sub(r"\[[^\]]*\]", " ", " ".join(words[1:])).split()
    return []


def sources_table() -> dict:
    """data/account_sources.json: where the server's user database is configured and what each source reads."""
    return resources.data_json(SOURCES_NAME)


def database_identity(table: dict | None = None) -> str | None:
    """A fingerprint of everything that decides what the server's user database answers, or None when a
    source answers from what hfstage cannot see (another server, a running service). TABLE: as
    sources_table() (a test's own nsswitch.conf and passwd)."""
    table = table or sources_table()
    try:
        nsswitch = Path(table["nsswitch"]).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None  # glibc's built-in default: not something to guess
    sources = passwd_sources(nsswitch)
    known = table["sources"]
    if not sources or any(s not in known for s in sources):
        return None
    parts: list = [nsswitch]
    for name in sources:
        source = known[name]
        if any(os.path.lexists(p) for p in source["live"]):
            return None
        parts.append([name, [_identity(Path(p)) for p in source["paths"]],
                      [os.environ.get(v) for v in source["env"]]])
    return fingerprint(parts)


def _identity(path: Path) -> list:
    """PATH's identity: which file, its size and times; a folder's entries' too (a drop-in edited in place)."""
    try:
        st = path.stat()
    except OSError:
        return [str(path), None]
    out = [str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns]
    if path.is_dir():
        try:
            out.append([_identity(child) for child in sorted(path.iterdir())])
        except OSError:
            out.append(None)
    return out


class AccountBook:
    """ACCOUNTS' answers for one run, remembered across runs while the account database's identity holds.

    The identity is taken before the first lookup: an account added while the run looks up is seen by
    the next run at the latest (the identity it is remembered under is then no longer the database's)."""

    def __init__(self, share: Share, accounts: Accounts | None = None, table: dict | None = None) -> None:
        self.accounts = accounts or Accounts()
        self.domain = self.accounts.domain
        self.identity = database_identity(table)
        self.record = share.record(ACCOUNTS) if self.identity is not None else None

    def candidates(self, machine: str) -> list[str]:
        return self.accounts.candidates(machine)

    def lookup(self, machine: str) -> tuple[str, int] | None:
        """(account name, uid) of MACHINE's computer account, or None when the server knows none."""
        if self.record is None:
            return self.accounts.lookup(machine)
        key = ACCOUNTS.key(self.identity, self.accounts.candidates(machine))
        if self.record.known(machine, key):
            known = self.record.value(machine)
            return (known[0], known[1]) if known else None
        found = self.accounts.lookup(machine)
        self.record.put(machine, key, list(found) if found else None)
        return found

    def commit(self, machines: list[str] | None = None) -> None:
        """Store the answers; MACHINES: every machine on the share (the others are forgotten)."""
        if self.record is None:
            return
        if machines is not None:
            self.record.keep_only(machines)
        self.record.commit()
