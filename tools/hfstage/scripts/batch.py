"""Values that go into batch files: validated, never escaped into something else.

A value that could change what a line of batch does (quotes, %, &, |, <, >, ^, newlines)
is refused with a clear error instead of being escaped: command.com and cmd disagree on
escaping, and a logon script is no place to find out which one was right.
"""

from __future__ import annotations

import functools

from jinja2 import Environment, PackageLoader, StrictUndefined

from hfstage.errors import UsageError
from hfstage.share import batch_file_name_problem, machine_name_problem, unc_problem

_FORBIDDEN = set('"%&|<>^\r\n\t') | {chr(c) for c in range(32)} | {chr(127)}


class BatchText(str):
    """Batch text hfstage assembled itself from validated parts (it may hold %VARIABLES%)."""


class UnsafeValue(UsageError):
    """A value that may not be written into a batch file."""


def _shown(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)


def check_batch_value(value: object, what: str = "value") -> str:
    """VALUE as text, if nothing in it could change the meaning of a batch line."""
    text = str(value)
    bad = sorted(set(text) & _FORBIDDEN)
    if bad or not text.isascii():
        shown = ", ".join(f"'{c}'" if c.isprintable() else repr(c)[1:-1] for c in bad) or "non-ASCII characters"
        raise UnsafeValue(f"{what} '{_shown(text)}' contains {shown}, which a batch file would interpret or a "
                          "legacy client cannot read; rename it or change site.ini")
    return text


def check_command(text: str, what: str) -> str:
    """A command line from site.ini: quotes allowed (balanced), nothing else batch would act on."""
    check_batch_value(text.replace('"', ""), what)
    if text.count('"') % 2:
        raise UnsafeValue(f"{what} '{_shown(text)}' has unbalanced double quotes")
    return text


def check_machine_name(name: str) -> str:
    problem = machine_name_problem(name)
    if problem:
        raise UnsafeValue(f"machine name '{_shown(name)}': {problem}")
    return name


def check_unc(path: str, what: str = "[share] unc in site.ini") -> str:
    check_batch_value(path, what)
    problem = unc_problem(path)
    if problem:
        raise UnsafeValue(f"{what} = {path} {problem}")
    return path.rstrip("\\")


def check_file_name(name: str, what: str = "file name") -> str:
    check_batch_value(name, what)
    if batch_file_name_problem(name):
        raise UnsafeValue(f"{what} '{_shown(name)}' has characters hfstage will not put into a batch file")
    return name


def batch_note(text: str) -> BatchText:
    """TEXT for a `rem` line: what a batch file would act on, and what a legacy client cannot read, shown as ?
    (a note names catalog values; one odd value must cost its note nothing, and the script nothing)."""
    if text.isascii() and _FORBIDDEN.isdisjoint(text):
        return BatchText(text)
    return BatchText("".join("?" if c in _FORBIDDEN or not c.isascii() else c for c in text))


def _finalize(value: object) -> object:
    # Every {{ value }} in a template passes through here: the last line of defence.
    if isinstance(value, (int, float, BatchText)):
        return value
    return check_batch_value(value, "template value")


@functools.cache
def template_env() -> Environment:
    """Jinja2 over hfstage's batch templates (package data), strict about undefined names and unsafe values.

    One environment per process: it keeps the compiled templates, and (package data, never edited during a
    run) does not check their files' times again at each of the run's thousands of get_template calls.
    """
    return Environment(
        loader=PackageLoader("hfstage", "data/batch_templates"),
        undefined=StrictUndefined, finalize=_finalize, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True, autoescape=False, auto_reload=False,
    )


def to_crlf(text: str) -> bytes:
    """Batch text with CRLF line ends (LF-only files break label lookup on command.com)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("ascii")
