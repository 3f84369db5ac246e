"""The Windows 9x collector's interval, run by a DOS command interpreter (DOSBox), on days the test chooses.

collect_9x.bat used to export every key at every logon. It now keeps collect_nt.bat's rule ([collect]
interval = N): %windir%\\hfstage\\collect.txt holds the collector's version, the day of the last collection
and each later day a logon saw; N distinct days after the collection's day it collects again. The day is
DATE's first line, whatever its language, compared only with the machine's own earlier lines (FIND /N
numbers it, COPY /B joins it to the share's "@set HFDAY=", CALL sets it). DATE.COM prints the day the test
wrote (tests/doshelp.py), so no verdict depends on the wall clock. "Collects" is seen on the share: a
logon that does not collect writes nothing there, not one file. After the install script tried a package
(it deletes the stamp) and when the collector's version changed, the next logon collects whatever the day.
"""

from __future__ import annotations

import pytest

from tests.doshelp import NineXClient, needs_dosbox

pytestmark = needs_dosbox
SUN, MON, TUE, WED = (f"Current date is {d}" for d in ("Sun 12-06-1998", "Mon 12-07-1998", "Tue 12-08-1998",
                                                        "Wed 12-09-1998"))


@pytest.fixture
def w98(share, run, real_catalog_path, tmp_path) -> NineXClient:
    assert run("catalog", "import", share.root, "--xml", real_catalog_path, "--allow-unsigned")[0] == 0
    return NineXClient(share, run, tmp_path / "c")


def test_once_a_day_the_second_logon_writes_nothing(w98):
    w98.publish(1)
    assert w98.logon(SUN) > 10  # the exports, the manifest, the catalog's files
    lines = w98.stamp.read_text().splitlines()
    assert lines[0].startswith("v=") and lines[1:] == [f"[1]{SUN}"]
    assert w98.logon(SUN) == 0  # the same day: not one file
    assert not list((w98.disk / "WINDOWS" / "TEMP").iterdir())  # and nothing left behind on the client
    assert w98.logon(MON) > 10  # the next day
    assert w98.stamp.read_text().splitlines()[1:] == [f"[1]{MON}"]
    assert w98.logon(MON) == 0


def test_interval_3_takes_3_distinct_days_in_any_language(w98):
    """Days counted, not dated: a logon on the same day twice counts once; the lines are another language's."""
    w98.publish(3)
    german = [f"Aktuelles Datum: {d}" for d in ("So 06.12.1998", "Mo 07.12.1998", "Di 08.12.1998", "Mi 09.12.1998")]
    prompt = "Geben Sie das neue Datum ein (TT.MM.JJ): "
    assert w98.logon(german[0], prompt) > 10
    for day in (german[0], german[1], german[1], german[2]):
        assert w98.logon(day, prompt) == 0, day
    assert w98.logon(german[3], prompt) > 10  # 3 distinct days after the collection's day
    assert w98.logon(german[3], prompt) == 0


def test_a_changed_collector_collects_the_same_day(w98):
    w98.publish(1)
    assert w98.logon(SUN) > 10 and w98.logon(SUN) == 0
    w98.publish(2)  # another collector (here: another interval) in a new set of scripts
    assert w98.logon(SUN) > 10
    assert w98.logon(MON) == 0 and w98.logon(TUE) > 10
    w98.publish(0)  # interval 0: every logon
    assert w98.logon(TUE) > 10 and w98.logon(TUE) > 10


def test_called_without_logon_bat_it_collects(w98):
    """A site's own logon script that calls collect_9x.bat without logon.bat's HFG leaves it no hfday.pre to read:
    it cannot keep the interval, so every logon collects rather than none."""
    w98.publish(1)
    assert w98.logon(SUN) > 10
    assert w98.logon(SUN, from_logon_bat=False) > 10 and w98.logon(SUN, from_logon_bat=False) > 10
    assert w98.logon(SUN) == 0  # from logon.bat, the rule again
