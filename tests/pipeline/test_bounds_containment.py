"""Containment (issue 22, section 2, class 2): one machine's, one spool's or one package's failure is one row.

Inventory reads machines in worker processes. Before, any worker's death (the kernel's
out-of-memory killer, a crash in a parser) ended the whole month with BrokenProcessPool.
Now the machines in flight when a worker dies are read again alone; the one whose reading
kills its process again is one unreadable row naming how it died, and every other machine
is read. Each worker's address space is capped ([limits] worker_memory_mib), so a machine
whose parsing outgrows it is a MemoryError in that worker: one row, not the OOM killer
choosing a victim on the server. The deaths are real: a crash point (hfstage.faults) has
the worker SIGKILL itself as it begins a machine, as the OOM killer would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import demo_with_cabinet


@pytest.fixture
def fresh(tmp_path):
    """The demo share with month1's catalog waiting in incoming\\ and no facts cached yet."""
    share = demo_with_cabinet(tmp_path / "share", "month1")
    return share


def _month(share, env: dict | None = None, *more: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hfstage", "month", str(share.root), "--fail-on", "none", *more],
                          capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})})


def _rows(share) -> dict[str, dict]:
    out = subprocess.run([sys.executable, "-m", "hfstage", "report", str(share.root), "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {r["machine"]: r for r in json.loads(out)["rows"]}


@pytest.mark.parametrize("killed", [["XPSP1"], ["DC01", "W98"], ["BADREG", "W2KSRV", "WME"]])
def test_a_worker_killed_while_reading_a_machine_costs_that_machine_only(fresh, killed):
    done = _month(fresh, {"HFSTAGE_TEST_KILL_AT": ",".join(f"machine:{m}" for m in killed)})
    assert done.returncode == 0, done.stderr
    assert "BrokenProcessPool" not in done.stderr + done.stdout
    rows = _rows(fresh)
    assert len(rows) == 12
    for machine in killed:
        assert rows[machine]["status"] == "unreadable"
        page = (fresh.folder("reports") / "machines" / f"{machine}.html").read_text()
        assert "the process reading this machine died (killed by SIGKILL" in page
    read = [m for m, r in rows.items() if m not in killed and m not in ("BADTRUNC", "BADREG")]
    assert all(rows[m]["status"] != "unreadable" for m in read), {m: rows[m]["status"] for m in read}
    # the next month, with no crash, reads them again: a death is not remembered as the machine's facts
    again = _month(fresh)
    assert again.returncode == 0, again.stderr
    assert all(_rows(fresh)[m]["status"] != "unreadable" for m in killed if m not in ("BADTRUNC", "BADREG"))


def test_a_machine_whose_parsing_outgrows_the_worker_memory_cap_is_one_row(fresh):
    with open(fresh.site_ini, "a") as fh:
        fh.write("\n[limits]\nworker_memory_mib = 700\nreg_entries = 5000000\n")
    w98 = fresh.folder("inventory") / "W98" / "hf01.reg"
    # 2,000,000 keys fit under reg_entries but not in 700 MiB of address space (~430 bytes a key)
    w98.write_bytes(w98.read_bytes() + "".join(f"\r\n[HKEY_LOCAL_MACHINE\\Software\\Junk\\k{i}]"
                                               for i in range(2_000_000)).encode())
    done = _month(fresh)
    assert done.returncode == 0, done.stderr
    rows = _rows(fresh)
    assert rows["W98"]["status"] == "unreadable" and len(rows) == 12
    page = (fresh.folder("reports") / "machines" / "W98.html").read_text()
    assert "more memory than a worker may use (700 MiB; [limits] worker_memory_mib" in page \
        or "the process reading this machine died" in page
    assert rows["XPSP1"]["status"] != "unreadable" and rows["W98SE"]["status"] != "unreadable"
    # the next month reads W98 alone (nothing else changed): fewer machines than a pool's worth were read in the
    # run's own process, which has no cap, and W98 got facts (a cold review's reproduction); a site whose limits
    # let a machine grow past what the defaults bound reads every machine in a worker
    for more in ((), ("--jobs", "1")):  # --jobs 1 too: the limits ask for a capped worker
        again = _month(fresh, None, *more)
        assert again.returncode == 0, again.stderr
        assert "1 read, 11 unchanged" in again.stdout, again.stdout
        assert _rows(fresh)["W98"]["status"] == "unreadable"


def test_a_small_worker_memory_cap_refuses_no_machine_that_fits_it(fresh):
    """At worker_memory_mib = 256-640 every machine with a hive was refused ("needed more memory than a worker may
    use", a cold review): each read set aside its whole cap (hive_bytes, 512 MiB) before reading the 30 KB hive.
    Only the truncated hive is unreadable, as at the default."""
    with open(fresh.site_ini, "a") as fh:
        fh.write("\n[limits]\nworker_memory_mib = 320\n")
    done = _month(fresh)
    assert done.returncode == 0, done.stderr
    rows = _rows(fresh)
    assert len(rows) == 12
    assert [m for m, r in rows.items() if r["status"] == "unreadable"] == ["BADTRUNC"]


def test_a_malformed_spool_is_one_note_whatever_it_raises(fresh):
    """The _unnamed spool is read before any machine: an exception there used to end the month (exit 70)."""
    spool = fresh.folder("inventory") / "_unnamed"
    for user, text in {"a": b"REGEDIT4\r\n[-]\r\n", "b": b"REGEDIT4\r\n[-\\\\]\r\n",
                       "c": b"REGEDIT4\r\n[HKEY_LOCAL_MACHINE]\r\n\"x\"=hex(4):" + b"ff," * 9000 + b"\r\n"}.items():
        (spool / user).mkdir(parents=True)
        (spool / user / "hf01.reg").write_bytes(text)
    done = _month(fresh)
    assert done.returncode == 0, done.stderr
    for user in "abc":
        assert f"{spool / user}: left in place" in done.stdout
