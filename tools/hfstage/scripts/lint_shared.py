"""Lint once per shared text: machine scripts rendered from one placeholder text (write.ByPlan) differ only in
the machine's name, so a text that lints clean with the placeholder lints clean with every name that cannot
change what a rule sees (issue 20 section 6.2: lint was 13% of a full month's scripts step).

Why clean stays clean, rule by rule (scripts/lint.py), for a NEUTRAL name (a letter, then letters, digits,
_ or -; no longer than the placeholder; not itself one of the words the rules read) in a text whose placeholder
has on each side a character that is neither a word character nor %, and not / before it, on no label line:
  CRLF          the name holds no line end;
  9x or not     decided again on the machine's own text (a name may complete "command.com");
  line length   the name is no longer than the placeholder and makes no %VAR% (no % beside it, none in it);
  labels        the placeholder is on no label line;
  keywords      a command's words are split where command.com splits them (no name holds a separator, a quote,
                / or a parenthesis), and a rule compares whole words: a word the name is part of but not the
                whole of cannot be a rule's word (PC-SETLOCAL is not SETLOCAL), and begins with the same
                character as the placeholder's (a letter, or what precedes both); no /X switch is made of its
                first letter (no / before); the name alone is a rule's word only when it is one (excluded);
  commands      where a command starts is found from the words alone: the name holds no @, < or > and is never
                a redirection's handle (it starts with a letter), a redirection's file is the whole name as it
                is the whole placeholder, the words lint reads for an if's condition, a for's do, a call or an
                else are rule words (excluded), and exist a==b's two readings depend on where words touch, not
                on what they hold;
  errorlevel    the name starts with a letter, so it ends no `errorlevel N` number;
  start, rem    the name holds no separator and no quote, is not start, and a rem it begins only takes away;
  quotes, %VAR% the name holds no quote and no %.
A text with any problem with the placeholder, or any other name, is linted as it is.
"""

from __future__ import annotations

import re

from hfstage.scripts.lint import COMPARISONS, MARK_LINES, LintProblem, is_9x_script, lint_text

# the whole words lint's rules read (lint._COMMAND_RULES, the if, for, call and else a command runs, _ERRORLEVEL,
# _START, _SET_VALUE, _FOR_SET): a name that is one is linted with its own text (a name only holding one,
# PC-SETLOCAL, is neutral: no rule reads part of a word; %COMPUTERNAME% needs a % beside the name; rem only takes
# problems away)
_RULE_WORDS = frozenset({"set", "setlocal", "endlocal", "if", "not", "defined", "exist", "errorlevel", "call",
                         "exit", "for", "in", "do", "else", "start", *COMPARISONS})
_NEUTRAL = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
_WORD = re.compile(r"\w")


def neutral_name(name: str, placeholder: str) -> bool:
    """NAME cannot change what any lint rule sees in a text where it stands for PLACEHOLDER (see above)."""
    folded = name.casefold()
    return (len(name) <= len(placeholder) and _NEUTRAL.fullmatch(name) is not None
            and folded not in _RULE_WORDS)


def placed_apart(text: str, placeholder: str) -> bool:
    """Every PLACEHOLDER in TEXT has on each side a character that is no word character and not %, not / before
    it, and stands on no label line (see above)."""
    start = text.find(placeholder)
    while start >= 0:
        end = start + len(placeholder)
        before, after = text[start - 1:start], text[end:end + 1]
        if any(c and (_WORD.match(c) or c == "%") for c in (before, after)) or before == "/":
            return False
        line = text[text.rfind("\n", 0, start) + 1:start]
        if line.lstrip().startswith(":"):
            return False
        start = text.find(placeholder, end)
    return True


def _decoded(data: bytes) -> str:
    return data.decode("ascii", "replace").replace("\r\n", "\n")  # as lint_text reads it


def head(data: bytes, lines: int = MARK_LINES) -> bytes:
    """DATA up to its LINES-th LF (all of it when it has fewer): is_9x_script reads the first MARK_LINES lines,
    and every LF ends a line for str.splitlines (other line ends only end lines sooner), so the head's first
    lines are DATA's, and decoding is byte by byte (a machine's script is not decoded whole to read them)."""
    end = -1
    for _ in range(lines):
        end = data.find(b"\n", end + 1)
        if end < 0:
            return data
    return data[:end + 1]


class SharedLint:
    """lint_text for many files, linting a placeholder text once for all the neutral names made from it."""

    def __init__(self, placeholder: str, substitutions: dict[str, int], spaced: set[str]) -> None:
        self.placeholder, self.substitutions, self.spaced = placeholder, substitutions, spaced
        self.clean: dict[bytes, bool | None] = {}  # placeholder text -> lints clean and placed apart (its 9x-ness)

    def lint(self, data: bytes, path: str, machine: str | None = None, shared: bytes | None = None
             ) -> list[LintProblem]:
        """The problems of DATA (named PATH), which is SHARED (a placeholder text) with MACHINE for the
        placeholder; without SHARED, or for a name or text not proved equivalent, DATA's own lint."""
        if shared is not None and machine is not None and neutral_name(machine, self.placeholder):
            nine_x = self._clean_9x(shared)
            if nine_x is not None and nine_x == is_9x_script(_decoded(head(data))):
                return []
        return lint_text(data, path, substitutions=self.substitutions, spaced=self.spaced)

    def _clean_9x(self, shared: bytes) -> bool | None:
        """Whether SHARED is a 9x script, when it lints clean with its names placed apart; else None."""
        if shared not in self.clean:
            text = _decoded(shared)
            ok = placed_apart(text, self.placeholder) and not lint_text(
                shared, "", substitutions=self.substitutions, spaced=self.spaced)
            self.clean[shared] = is_9x_script(text) if ok else None
        return self.clean[shared]
