"""The command table's shape and how argparse is built from it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Arg:
    """One argparse argument: its names and keyword arguments."""

    names: tuple[str, ...]
    options: dict = field(default_factory=dict)


def arg(*names: str, **options) -> Arg:
    return Arg(names, options)


@dataclass(frozen=True)
class Command:
    """One command: `hfstage PATH...`, its help, its arguments, and the handler that runs it."""

    path: tuple[str, ...]
    help: str
    description: str
    args: tuple[Arg, ...]
    run: Callable[[argparse.Namespace], int]
    usage: str | None = None  # when argparse's own would mislead (a command of free words)


def build(prog: str, description: str, version: str, groups: dict[str, str],
          commands: list[Command]) -> argparse.ArgumentParser:
    """The parser for COMMANDS; GROUPS gives the help of parent words (`cab`, `catalog` ...)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="more detail, and log at INFO level")
    common.add_argument("--wait", type=float, default=argparse.SUPPRESS, metavar="SECONDS",
                        help="how long to wait for another hfstage run to finish with the share (default 60)")
    top = argparse.ArgumentParser(prog=prog, description=description)
    top.add_argument("--version", action="version", version=f"{prog} {version}",
                     help="show the version and exit; with -v also Python, the dependencies and the system "
                     "libraries found (what an offline kit must hold)")
    top.add_argument("-v", "--verbose", action="store_true", help="more detail, and log at INFO level")
    top.add_argument("--wait", type=float, default=60.0, metavar="SECONDS",
                     help="how long to wait for another hfstage run to finish with the share (default 60)")
    subparsers = {(): top.add_subparsers(dest="command", metavar="COMMAND", required=True)}
    for command in commands:
        for depth in range(1, len(command.path)):
            prefix = command.path[:depth]
            if prefix not in subparsers:
                group = subparsers[prefix[:-1]].add_parser(prefix[-1], help=groups[prefix[-1]],
                                                           description=groups[prefix[-1]], parents=[common])
                subparsers[prefix] = group.add_subparsers(dest="_".join(prefix) + "_command", metavar="ACTION",
                                                          required=True)
        parser = subparsers[command.path[:-1]].add_parser(command.path[-1], help=command.help, usage=command.usage,
                                                          description=command.description, parents=[common])
        for a in command.args:
            parser.add_argument(*a.names, **a.options)
        parser.set_defaults(func=command.run, command_path=command.path)
    return top
