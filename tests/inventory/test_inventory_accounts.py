"""Each machine's computer account is asked of the server once, then remembered while the database holds
(issue 20, section 6.1).

Binding asked getpwnam for two spellings of every machine's `name$` account every run: two misses a
machine walk /etc/passwd and nss-systemd's drop-in folders, two thirds of a no-change month's inventory.
Now the answers are remembered in the accounts memo, keyed on the identity of every file that decides
them. The risk is a missed change: a machine account that Samba's `add machine script` adds (useradd)
between two months must bind the folder that very month, and one removed must unbind it. Accounts are
real (useradd, userdel, as root); the key's inputs are checked one by one on a table of scratch files.
No host skips these (CI fails a skip): they skipped where the host's own database is one hfstage does not
remember (systemd-userdbd running, winbind). Now the memo runs on the test's own nsswitch.conf, passwd and
userdb folder (any host, no root), and the real accounts' story on the test's nsswitch.conf over the real
/etc/passwd and on the host's own database, whichever kind it is.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import subprocess

import pytest

from hfstage.inventory import accounts as sources
from hfstage.inventory import inventory
from hfstage.inventory.accounts import AccountBook, database_identity, passwd_sources
from hfstage.inventory.binding import MACHINE_ACCOUNT, USER, Accounts
from tests.bindhelp import give, need_root_and_hivex
from tests.conftest import demo_with_cabinet


def _free_uid() -> int:
    for uid in range(42000, 43000):
        try:
            pwd.getpwuid(uid)
        except KeyError:
            return uid
    raise AssertionError("no free uid in 42000-42999")


@contextlib.contextmanager
def _account(name: str, uid: int):
    subprocess.run(["useradd", "-M", "-N", "-u", str(uid), "-s", "/usr/sbin/nologin", "-d", "/nonexistent", name],
                   check=True, capture_output=True)
    try:
        yield
    finally:
        subprocess.run(["userdel", name], check=False, capture_output=True)


def _binding(share) -> str | None:
    return inventory(share, None, jobs=1, progress=False, adopt=False).bindings["XPSP1"]


@pytest.fixture
def asked(monkeypatch) -> list[str]:
    """Every name this test's inventories ask the server's user database (the real getpwnam, spied on)."""
    names: list[str] = []
    real = pwd.getpwnam
    monkeypatch.setattr(pwd, "getpwnam", lambda name: names.append(name) or real(name))
    return names


def _with_passwd(tmp_path) -> dict:
    """The table of a server whose nsswitch.conf (the test's own) reads only the real /etc/passwd, where useradd
    and userdel write: its answers are remembered on every host, whatever the host's own nsswitch.conf says."""
    (tmp_path / "nsswitch.conf").write_text("passwd: files\n")
    return {"nsswitch": str(tmp_path / "nsswitch.conf"),
            "sources": {"files": {"paths": ["/etc/passwd"], "live": [], "env": []}}}


@pytest.mark.parametrize("database", ["its own nsswitch.conf over /etc/passwd", "the host's"])
def test_an_account_added_or_removed_between_months_changes_the_binding_that_month(database, tmp_path, monkeypatch,
                                                                                   asked):
    """The real story, on every host: with a database hfstage remembers (the test's nsswitch.conf), useradd
    changes /etc/passwd, so the memo is not trusted; with the host's own (remembered or not: systemd-userdbd,
    winbind), the same months bind the same way, and a no-change month asks nothing only where it is remembered."""
    need_root_and_hivex()
    table = _with_passwd(tmp_path) if database.startswith("its own") else sources.sources_table()
    monkeypatch.setattr(sources, "sources_table", lambda: table)
    remembered = database_identity() is not None
    assert remembered or database == "the host's"
    share = demo_with_cabinet(tmp_path / "share")
    uid = _free_uid()
    give(share.folder("inventory") / "XPSP1", uid)  # made by an account the server does not know yet
    assert _binding(share) == USER
    asked.clear()
    assert _binding(share) == USER  # the account's miss, remembered (or asked again where nothing is)
    assert ("xpsp1$" in asked) != remembered
    with _account("xpsp1$", uid):  # the DC's `add machine script` for XPSP1
        assert _binding(share) == MACHINE_ACCOUNT
        assert _binding(share) == MACHINE_ACCOUNT
    assert _binding(share) == USER  # the account removed: the folder is no longer the machine's


def test_a_month_with_no_change_asks_the_database_nothing(table, tmp_path, monkeypatch, asked):
    """The memo on the test's own nsswitch.conf, passwd and userdb folder (no root, any host): a month with no
    change asks nothing; a change to any file that decides the answers asks every machine again, once."""
    monkeypatch.delenv("HFSTAGE_TEST_USERDB", raising=False)
    monkeypatch.setattr(sources, "sources_table", lambda: table)
    share = demo_with_cabinet(tmp_path / "share")
    machines = len([p for p in share.folder("inventory").iterdir() if p.is_dir()])
    first = inventory(share, None, jobs=1, progress=False).bindings
    assert len(asked) >= machines  # every machine asked once (at least its first spelling)
    changes = [None, tmp_path / "passwd", None, tmp_path / "userdb" / "b$.user", None]
    for changed in changes:  # nothing; a line added to passwd; nothing; a drop-in added; nothing
        if changed is not None:
            changed.write_text(changed.read_text() + "pc01$:x:4242:4242::/:/bin/false\n" if changed.exists() else "{}")
        before = len(asked)
        assert inventory(share, None, jobs=1, progress=False).bindings == first  # the same answers
        if changed is None:
            assert len(asked) == before, "a month with no change asked the database"
        else:
            assert len(asked) - before >= machines, f"{changed.name} changed, but machines were not asked again"


def test_passwd_sources_are_the_passwd_line_without_its_actions():
    text = "# passwd: ldap\ngroup: files\npasswd:   files [NOTFOUND=return] systemd # x\n"
    assert passwd_sources(text) == ["files", "systemd"]
    assert passwd_sources("group: files\n") == []


@pytest.fixture
def table(tmp_path):
    """A table as data/account_sources.json, of scratch files: what decides the database, one by one."""
    (tmp_path / "nsswitch.conf").write_text("passwd: files systemd\n")
    (tmp_path / "passwd").write_text("root:x:0:0::/root:/bin/sh\n")
    (tmp_path / "userdb").mkdir()
    (tmp_path / "userdb" / "a$.user").write_text("{}")
    return {"nsswitch": str(tmp_path / "nsswitch.conf"), "sources": {
        "files": {"paths": [str(tmp_path / "passwd")], "live": [], "env": []},
        "systemd": {"paths": [str(tmp_path / "userdb")], "live": [str(tmp_path / "live")],
                    "env": ["HFSTAGE_TEST_USERDB"]}}}


def test_every_file_that_decides_the_answer_is_in_the_key(table, tmp_path, monkeypatch):
    monkeypatch.delenv("HFSTAGE_TEST_USERDB", raising=False)
    seen = [database_identity(table)]
    (tmp_path / "passwd").write_text("root:x:0:0::/root:/bin/sh\npc01$:x:1000:1000::/x:/bin/false\n")
    seen.append(database_identity(table))
    os.utime(tmp_path / "userdb" / "a$.user", ns=(1, 1))  # a drop-in edited in place: the folder is unchanged
    seen.append(database_identity(table))
    (tmp_path / "userdb" / "b$.user").write_text("{}")
    seen.append(database_identity(table))
    monkeypatch.setenv("HFSTAGE_TEST_USERDB", "1")
    seen.append(database_identity(table))
    (tmp_path / "nsswitch.conf").write_text("passwd: systemd files\n")
    seen.append(database_identity(table))
    assert None not in seen and len(set(seen)) == len(seen)
    assert database_identity(table) == seen[-1]  # nothing changed: the same identity


@pytest.mark.parametrize("line", ["passwd: files winbind", "passwd: sss files", "passwd: compat", "group: files"])
def test_a_database_hfstage_cannot_see_change_is_asked_every_run(table, tmp_path, line):
    (tmp_path / "nsswitch.conf").write_text(line + "\n")
    assert database_identity(table) is None


def test_a_running_service_that_answers_means_nothing_is_remembered(table, tmp_path):
    (tmp_path / "live").mkdir()
    assert database_identity(table) is None


def test_the_account_book_remembers_under_the_domain_it_was_asked_with(table, tmp_path):
    """[binding] domain changes the names asked for: an answer for `pc01$` is not one for `DOM\\pc01$`."""
    share = demo_with_cabinet(tmp_path / "share")
    book = AccountBook(share, Accounts(), table)
    assert book.lookup("NOSUCHPC") is None
    book.commit()
    again = AccountBook(share, Accounts("DOM"), table)
    key = again.record.memo.key(again.identity, again.candidates("NOSUCHPC"))
    assert not again.record.known("NOSUCHPC", key)
    assert AccountBook(share, Accounts(), table).record.known(
        "NOSUCHPC", again.record.memo.key(again.identity, Accounts().candidates("NOSUCHPC")))
