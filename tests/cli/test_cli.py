"""Every command has help; `python -m hfstage` works; the demo runs."""

from __future__ import annotations

import argparse
import subprocess
import sys

from hfstage.cli import build_parser


def _subparsers(parser: argparse.ArgumentParser, path=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield path + (name,), sub, helps.get(name)
                yield from _subparsers(sub, path + (name,))


def test_every_command_has_help_and_description():
    commands = list(_subparsers(build_parser()))
    assert len(commands) >= 9
    for path, sub, help_text in commands:
        assert help_text, f"`hfstage {' '.join(path)}` has no help line"
        assert sub.description, f"`hfstage {' '.join(path)}` has no description"
        for action in sub._actions:
            if action.option_strings and action.dest != "help":
                assert action.help, f"`hfstage {' '.join(path)} {action.option_strings[0]}` has no help"


def test_python_dash_m_runs():
    proc = subprocess.run([sys.executable, "-m", "hfstage", "--help"], capture_output=True, text=True)
    assert proc.returncode == 0 and "catalog" in proc.stdout


def test_usage_error_exit_code():
    proc = subprocess.run([sys.executable, "-m", "hfstage", "nonsense"], capture_output=True, text=True)
    assert proc.returncode == 2


def test_demo_runs_two_months(run, tmp_path):
    code, out, _ = run("demo", tmp_path / "demo")
    assert code == 0
    assert "== month1" in out and "== month2" in out
    assert "2.0.0.1 -> 2.0.0.2: 1 new, 1 revised, 0 removed bulletins, 3 supersedence changes" in out
    assert sorted(p.name for p in (tmp_path / "demo" / "catalogs").iterdir() if p.is_dir()) == ["2.0.0.1", "2.0.0.2"]
    code, _, err = run("demo", tmp_path / "demo")
    assert code == 2 and "not empty" in err
