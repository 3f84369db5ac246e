"""`scripts generate` publishes the whole set clients see, and the grace period of old sets is the site's
(issue 21, "one set at a time").

`month`'s scripts step published the machines' scripts and the collectors in one generation, but `hfstage
scripts generate` made only the machines' scripts: after a change to site.ini [collect], clients kept
running the old collectors, carried into each new generation, until the next month. Both now publish through
one code path, so `scripts generate` leaves the collectors as `scripts collectors` would make them.

A replaced generation stayed KEEP_DAYS = 7 days, a constant; a site whose laptops sleep for a fortnight, or
whose share is small, could not change it. site.ini [scripts] keep_days (a whole number, 1 or more; default
7) now sets it, and a bad value is refused in one line naming site.ini and its line.
"""

from __future__ import annotations

import os
import time

from hfstage.share import current_generation, generations


def _set(share, section_lines: str) -> None:
    share.site_ini.write_text(share.site_ini.read_text() + section_lines)


def test_scripts_generate_publishes_the_collectors_too(month1_site, run):
    share = month1_site
    scripts = share.folder("scripts")
    before = (scripts / current_generation(scripts) / "collect_nt.bat").read_bytes()
    _set(share, "\n[collect]\nmode = hives\n")
    code, out, err = run("scripts", "generate", share.root)
    assert code == 0, err
    after = (scripts / current_generation(scripts) / "collect_nt.bat").read_bytes()
    assert after != before and "collectors: " in out
    code, out, _ = run("scripts", "collectors", share.root)
    assert code == 0 and out.splitlines()[-1].startswith("0 written")  # nothing left for it to publish


def test_keep_days_sets_how_long_a_replaced_generation_stays(month1_site, run):
    share = month1_site
    scripts = share.folder("scripts")
    for attempts in (3, 4):  # two more sets: the first one is now neither current nor the one before
        _set(share, f"\n[scripts]\nmax_attempts = {attempts}\n")
        assert run("scripts", "generate", share.root)[0] == 0
        share.site_ini.write_text(share.site_ini.read_text().replace(f"\n[scripts]\nmax_attempts = {attempts}\n",
                                                                     ""))
    known = generations(scripts)
    first, second = known[-3], known[-2]
    three_days_ago = time.time() - 3 * 86400
    os.utime(scripts / second, (three_days_ago, three_days_ago))  # the first was replaced three days ago
    _set(share, "\n[scripts]\nmax_attempts = 5\n")
    assert run("scripts", "generate", share.root)[0] == 0
    assert first in generations(scripts)  # the default: a week
    _set(share, "keep_days = 2\n")
    share.site_ini.write_text(share.site_ini.read_text().replace("max_attempts = 5", "max_attempts = 6"))
    assert run("scripts", "generate", share.root)[0] == 0
    assert first not in generations(scripts) and second in generations(scripts)


def test_a_bad_keep_days_is_refused_in_one_line(month1_site, run):
    share = month1_site
    for value, problem in (("0", "keep_days = 0: use 1 to 3650"), ("a week", "keep_days = 'a week' is not a "
                                                                               "whole number")):
        text = share.site_ini.read_text()
        _set(share, f"\n[scripts]\nkeep_days = {value}\n")
        line = len(share.site_ini.read_text().splitlines())
        code, out, err = run("scripts", "generate", share.root)
        assert code == 2 and err.strip().count("\n") == 0, err
        assert f"{share.site_ini}:{line}: [scripts]: {problem}" in err
        share.site_ini.write_text(text)
