"""`hfstage scripts lint`: the rules a logon script must keep to run on legacy clients.

NT scripts: CRLF line ends. 9x scripts (command.com) also: lines of 127 characters or
fewer after substitution, labels unique in their first 8 characters, no cmd extensions,
and `if errorlevel` tests from the highest code down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

MAX_9X_LINE = 127
NT_ONLY_MARK = "rem hfstage-lint: nt only from here"
# cmd extensions a command uses, matched on the command's words (see _commands) joined by one space, lower case:
# a word is a rule's only where command.com reads it as a command or its switch, never inside a path or a
# quoted argument (a machine named PC-SETLOCAL, or SETLOCAL, writes results\PC-SETLOCAL.log)
_COMMAND_RULES = [
    (re.compile(r"^(setlocal|endlocal)( |$)"), "setlocal/endlocal"),
    (re.compile(r"^if /i( |$)"), "if /i"),
    (re.compile(r"^call :"), "call :label"),
    (re.compile(r"^exit /b(?!\w)"), "exit /b"),  # cmd reads these two switches as prefixes: exit /b%E%
    (re.compile(r"^for /[fdrl]( |$)"), "for /f, /d, /r, /l"),
    (re.compile(r"^if (/i )?(not )?defined( |$)"), "if defined"),
    (re.compile(r"^set /[ap](?!\w)"), "set /a, set /p"),
    (re.compile(r"^[()]"), "( ) blocks"),
]
# cmd extensions in the text itself, wherever they stand (no machine name holds %, ~, & or |)
_TEXT_RULES = [
    (re.compile(r"%~"), "%~ parameter modifiers"),
    (re.compile(r"&&|\|\|"), "&& or ||"),
    (re.compile(r"%COMPUTERNAME%", re.I), "%COMPUTERNAME% (not set on Windows 9x)"),
]
# what a line holds when any rule could match it: most lines hold none, and are not split into commands
_ANY_EXTENSION = re.compile(r"setlocal|endlocal|defined|[/:()~&|]|%computername%", re.I)
# a command ends at | (and at cmd's &, but not 2>&1's), not inside quotes
_PIPES = re.compile(r'"[^"]*"?|\||(?<![<>])&')
# a redirection (>f, 2>>f, > f, <f, 2>&1) anywhere in a command, its file too: it is no word of the command
# (setlocal>nul and >nul setlocal run setlocal); a digit is a handle only after a separator (PC2>x is PC2 >x)
_REDIRECT = re.compile(r'("[^"]*"?)|(?:(?<![^\s,;=])\d)?(?:>>?|<)(?:&\d|\s*(?:"[^"]*"?|[^\s<>"])*)')
# a command's tokens: command.com and cmd split words at a space, tab, comma, semicolon or equals sign (a run of
# = is kept as a token: an if's a==b), a quoted part keeps its separators, a switch (/x) is a word of its own
# up to a quote (set /p"X=go") or the next /, and ( and ) stand alone (do(x, (x)do)
_TOKEN = re.compile(r'=+|/[^\s,;="()/]*|[()]|(?:"[^"]*"?|[^\s,;=/()"])+')
COMPARISONS = ("equ", "neq", "lss", "leq", "gtr", "geq")  # cmd's `if A LSS B`: a condition of three words
_VARIABLE = re.compile(r"%([A-Za-z_][A-Za-z0-9_]*)%")
_SET_VALUE = re.compile(r"^set\s+\w+=", re.I)
_ERRORLEVEL = re.compile(r"^\s*if\s+(not\s+)?errorlevel\s+(\d+)", re.I)
# command.com's start: `start [/w] [/m] PROGRAM [ARGS]`; it cannot quote, so a path with a space is two words
_START = re.compile(r"^\s*start((?:\s+/[a-z]+)*)\s+(\S+)(.*)$", re.I)
_FOR_SET = re.compile(r"\bfor\s+%%\w\s+in\s+\([^)]*\)", re.I)
SHARE_VARIABLES = ("HFS", "HFD", "HFX", "HFL", "HFR")  # the 9x scripts' variables that hold share paths


def spaced_variables(unc: str, netlogon: str | None = None) -> set[str]:
    """Variables of the 9x scripts that can hold a space: USERNAME always; the share paths when the
    share's (or NETLOGON's) path has one."""
    spaced = {"USERNAME"}
    if " " in unc or " " in (netlogon or ""):
        spaced.update(SHARE_VARIABLES)
    return spaced


@dataclass(frozen=True)
class LintProblem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


MARK_LINES = 5  # the lines a script says it is for command.com in


def is_9x_script(text: str) -> bool:
    """A script meant for command.com says so in its first lines (hfstage's templates do)."""
    return "command.com" in "\n".join(text.splitlines()[:MARK_LINES]).lower()


def lint_text(data: bytes, path: str, for_9x: bool | None = None,
              substitutions: dict[str, int] | None = None, spaced: set[str] | None = None) -> list[LintProblem]:
    """Problems in batch DATA; SUBSTITUTIONS gives the longest value of each %VAR%, SPACED the variables
    that may hold a space (command.com splits an unquoted one into two arguments)."""
    problems: list[LintProblem] = []
    pieces = data.split(b"\n")
    for number, raw in enumerate(pieces[:-1], 1):  # the last piece has no line end at all
        if not raw.endswith(b"\r"):
            problems.append(LintProblem(path, number, "line ends with LF only; batch files need CRLF"))
            break
    text = data.decode("ascii", "replace").replace("\r\n", "\n")
    if for_9x is None:
        for_9x = is_9x_script(text)
    if for_9x:
        problems += _lint_9x(text.split("\n"), path, substitutions or {}, {v.upper() for v in spaced or {"USERNAME"}})
    return problems


def _expanded_length(line: str, substitutions: dict[str, int]) -> int:
    if "%" not in line:
        return len(line)

    def width(m: re.Match) -> str:
        return "x" * substitutions.get(m.group(1).upper(), len(m.group(0)))

    return len(_VARIABLE.sub(width, line))


def _lint_9x(lines: list[str], path: str, substitutions: dict[str, int], spaced: set[str]) -> list[LintProblem]:
    problems = []
    labels: dict[str, int] = {}
    last_level: int | None = None
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped.lower() == NT_ONLY_MARK:
            break  # the rest only runs under cmd (a dispatcher's NT branch)
        if stripped.lower().startswith(("rem", "::")):
            last_level = None
            continue
        length = _expanded_length(line, substitutions)
        if length > MAX_9X_LINE:
            problems.append(LintProblem(path, number, f"line is {length} characters after substitution; "
                                        f"command.com cuts lines at {MAX_9X_LINE}"))
        if stripped.startswith(":"):
            key = stripped[1:].split()[0][:8].lower() if stripped[1:].split() else ""
            if key in labels:
                problems.append(LintProblem(path, number, f"label {stripped} is the same as the label on line "
                                            f"{labels[key]} in its first 8 characters"))
            labels.setdefault(key, number)
        problem = _start_problem(stripped)
        if problem:
            problems.append(LintProblem(path, number, problem))
        for var in _unquoted_spaced(stripped, spaced):
            problems.append(LintProblem(path, number, f"%{var}% can hold a space and is used unquoted: command.com "
                                        "would split it into two arguments (use a share path without spaces for "
                                        "Windows 9x clients)"))
        for name in _extensions(stripped) if _ANY_EXTENSION.search(stripped) else ():
            problems.append(LintProblem(path, number, f"{name} needs cmd extensions; command.com lacks them"))
        m = _ERRORLEVEL.match(stripped)
        if m:
            level = int(m.group(2))
            if last_level is not None and level > last_level:
                problems.append(LintProblem(path, number, f"'if errorlevel {level}' after 'if errorlevel "
                                            f"{last_level}': test the highest code first (errorlevel N means >= N)"))
            last_level = level
        elif stripped:
            last_level = None
    return problems


def _extensions(line: str) -> list[str]:
    """The cmd extensions LINE uses, each named once, in the rules' order."""
    said = [" ".join(w.text for w in words if w.text[0] != "=").lower() for words in _commands(line)]
    found = [name for pattern, name in _COMMAND_RULES if any(pattern.search(command) for command in said)]
    return found + [name for pattern, name in _TEXT_RULES if pattern.search(line)]


class Word(NamedTuple):
    """A command's word and where it stands in the command's text: a==b's three words touch, a == b's do not."""

    text: str
    start: int
    end: int


def _commands(line: str) -> list[list[Word]]:
    """The words of every command LINE may run, as cmd or command.com finds it: each one a pipe joins, and the
    one an `if`, a `for`, a `call` or a block runs (where the two shells may read it two ways, both)."""
    out, start = [], 0
    for m in [*_PIPES.finditer(line), None]:
        if m is not None and m.group(0).startswith('"'):
            continue
        segment = line[start:m.start() if m else len(line)]
        if "<" in segment or ">" in segment:
            segment = _REDIRECT.sub(lambda r: r.group(1) or " ", segment)
        todo = [[Word(t.group(0), t.start(), t.end()) for t in _TOKEN.finditer(segment)]]
        while todo:
            words = _command_start(todo.pop())
            if words:
                out.append(words)
                todo += _inner(words)
        start = m.end() if m else len(line)
    return out


def _command_start(words: list[Word]) -> list[Word]:
    """WORDS from where a command's name stands: past the separators (= runs) and the @s before it."""
    while words and (words[0].text[0] == "=" or not words[0].text.strip("@")):
        words = words[1:]
    if words and words[0].text.startswith("@"):
        first = words[0]
        words = [first._replace(text=first.text.lstrip("@")), *words[1:]]
    return words


def _inner(words: list[Word]) -> list[list[Word]]:
    """The words of each command an `if` (after its condition), a `for` (after its do), a `call` or a block
    (after its ( or ), and an else) runs; else none."""
    head = words[0].text.lower()
    if head == "if":
        return [words[end:] for end in _condition_ends(words)]
    if head == "for":
        return [_for_command(words)]
    if head in ("call", "("):
        return [words[1:]]
    if head == ")":
        return [words[2:] if len(words) > 1 and words[1].text.lower() == "else" else words[1:]]
    return []


def _condition_ends(words: list[Word]) -> list[int]:
    """Where an if's condition may end: if [/i] [not] errorlevel N | exist FILE | defined VAR | A==B | A LSS B
    (cmd's); a FILE glued to ==X (exist a==b) is read as cmd reads it, FILE, and as one argument, a==b."""
    said = [w.text.lower() for w in words]
    at = 1 + (said[1:2] == ["/i"])
    at = _word_from(said, at + (said[at:at + 1] == ["not"])) + 1  # past the keyword or A
    if at < len(said) and said[at] in COMPARISONS:
        at += 1
    end = _word_from(said, at) + 1  # past N, FILE, VAR or B
    ends = [end]
    while end + 1 < len(words) and said[end][0] == "=" and _glued(words, end - 1) and _glued(words, end):
        end += 2
        ends.append(end)
    return ends


def _word_from(said: list[str], at: int) -> int:
    """The index of the first word from AT that is no = run (len(said) when none is)."""
    while at < len(said) and said[at][0] == "=":
        at += 1
    return at


def _glued(words: list[Word], at: int) -> bool:
    return words[at].end == words[at + 1].start


def _for_command(words: list[Word]) -> list[Word]:
    """The words after a `for`'s do: the do after its (list), which may hold a do; without a list, its first do."""
    said = [w.text.lower() for w in words]
    at = said.index("in") + 1 if "in" in said else len(said)
    at = said.index(")", at) + 1 if said[at:at + 1] == ["("] and ")" in said[at:] else 2
    return next((words[i + 1:] for i in range(at, len(words)) if said[i] == "do"), [])


# command.com splits a command's words at each of these (and tab), quotes or not: a program path holding one
# is cut there by `start`, which cannot take a quoted path
SEPARATORS_9X = {" ": "a space", ",": "a comma", ";": "a semicolon", "=": "an equals sign", "\t": "a tab"}


def separator_in(path: str) -> str | None:
    """What in PATH command.com would split it at ("a comma"), or None."""
    return next((SEPARATORS_9X[c] for c in path if c in SEPARATORS_9X), None)


def _start_problem(line: str) -> str | None:
    """A 9x `start` whose program is quoted or is followed by a word that is not a switch: command.com would run
    the first word of a path with a space (hotfixes\\Win 98\\q.exe runs hotfixes\\Win)."""
    m = _START.match(line)
    if not m:
        return None
    program, rest = m.group(2), m.group(3).split()
    if program.startswith('"'):
        return f"start {program}...: command.com's start cannot take a quoted program path"
    cut = separator_in(program)
    if cut is not None:
        return (f"start {program}: the path holds {cut}, where command.com splits a command's words: rename the "
                "file or folder")
    stray = next((word for word in rest if not word.startswith(("/", "-", '"/', ">"))), None)
    if stray is not None:
        return (f"start {program} {stray}: '{stray}' is not a switch, so the program's path holds a space and "
                "command.com would run only its first word (use a folder without spaces)")
    return None


def _unquoted_spaced(line: str, spaced: set[str]) -> list[str]:
    """Variables of SPACED used outside double quotes, outside a `set` value and a `for` word list."""
    if "%" not in line or _SET_VALUE.match(line):
        return []  # no variable; or a set, which keeps its whole value
    line = _FOR_SET.sub("", line)
    outside = "".join(part for i, part in enumerate(line.split('"')) if i % 2 == 0)
    return [m.group(1) for m in _VARIABLE.finditer(outside) if m.group(1).upper() in spaced]


def lint_file(path: Path, substitutions: dict[str, int] | None = None) -> list[LintProblem]:
    return lint_text(Path(path).read_bytes(), str(path), substitutions=substitutions)
