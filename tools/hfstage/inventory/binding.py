"""How far a machine folder's files can be tied to the machine (DESIGN §8, binding).

A Windows 2000/XP/2003 startup script reads and writes the share as the machine's computer
account, NAME$; a logon script as whoever logs on; Windows 9x as nobody in particular. On a
Samba domain controller the computer account is a POSIX account: the Unix account `name$`
that `add machine script` makes for a classic (NT4-style) domain (Samba HOWTO, "Domain
Membership", Machine Trust Accounts: `doppy$` in /etc/passwd), or `DOMAIN\\NAME$` as
winbind maps it on an AD domain controller (`name$` with `winbind use default domain`). A
folder owned by that account (`hfstage share provision`) is bound: every file in it must be
the account's. A folder made by a user is that user's (and the machine account's, whose startup script
writes there too): files of anyone else are refused. A folder an administrator made (root, or whoever
runs hfstage) is unbound: anyone may write it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hfstage.share import Owners, account_name, administrators

MACHINE_ACCOUNT = "machine account"  # bound: written by the machine's own computer account (a startup script)
USER = "user"  # written by a user (a logon script), the one who made the folder
UNBOUND = "unbound"  # nobody in particular: Windows 9x, or a folder any account may write
EVIDENCE_WORDS = {MACHINE_ACCOUNT: "bound to the machine account", USER: "written by a user", UNBOUND: "unbound"}


@dataclass(frozen=True)
class Accounts:
    """How this server names computer accounts: `name$`, or `DOMAIN\\name$` ([binding] domain in site.ini)."""

    domain: str = ""

    def candidates(self, machine: str) -> list[str]:
        names = [f"{machine.lower()}$", f"{machine.upper()}$"]
        if self.domain:
            names = [f"{self.domain}\\{n}" for n in names] + names
        return list(dict.fromkeys(names))

    def lookup(self, machine: str) -> tuple[str, int] | None:
        """(account name, uid) of MACHINE's computer account, or None when the server knows none."""
        try:
            import pwd
        except ImportError:  # a Windows server: ownership is not what hfstage can see
            return None
        for name in self.candidates(machine):
            try:
                return name, pwd.getpwnam(name).pw_uid
            except KeyError:
                continue
        return None


class AccountLookup(Protocol):
    """What binding asks of the server's accounts: Accounts itself, or inventory.accounts.AccountBook."""

    def lookup(self, machine: str) -> tuple[str, int] | None: ...


@dataclass(frozen=True)
class Binding:
    """Who a machine folder is given to, and so whose files in it are the machine's."""

    kind: str  # MACHINE_ACCOUNT, USER or UNBOUND
    owner: str  # who, in words: the account's name, or what made the folder
    owners: Owners | None  # whose files are accepted; None: anyone's
    account: str | None = None  # the computer account the server knows for the machine, if any

    @property
    def words(self) -> str:
        return f"{EVIDENCE_WORDS[self.kind]}: {self.owner}"


def folder_binding(folder: Path, machine: str, accounts: AccountLookup | None = None) -> Binding:
    """FOLDER's binding, from its owner and MACHINE's computer account as the server knows it."""
    try:
        uid = os.lstat(folder).st_uid
    except OSError:
        return Binding(UNBOUND, "unknown", None)
    known = (accounts or Accounts()).lookup(machine) if hasattr(os, "geteuid") else None
    admins = administrators()
    if known is not None and uid == known[1]:
        return Binding(MACHINE_ACCOUNT, known[0], Owners(admins | {uid}, f"the machine account {known[0]}"),
                       known[0])
    if uid in admins or not hasattr(os, "geteuid"):
        return Binding(UNBOUND, "an administrator made the folder, so any account may write it", None,
                       known[0] if known else None)
    name = account_name(uid)
    # the machine's own computer account writes there too (its startup script, after a user's logon made the
    # folder): its files are the machine's; anyone else's are not
    mine = {known[1]} if known is not None else set()
    given = f"{name}, who made the folder" + (f", or the machine account {known[0]}" if known else "")
    return Binding(USER, name, Owners(admins | {uid} | mine, given), known[0] if known else None)
