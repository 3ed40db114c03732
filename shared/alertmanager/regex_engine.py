"""RE2 patterns compiled for matching: by Python's `re` where it runs in linear time, by RE2
itself where backtracking could blow up.

Python's engine backtracks: a route's `.*a.*b.*c.*` over an 8 KB label value, or a silence's
`(x+x+)+y` over 30 characters, held the event loop for tens of seconds, and with it ingest,
correlation and paging. RE2, the engine of Alertmanager's Go regexes, runs in time linear in
the value. A pattern with at most one repetition, not of a group, cannot blow up and stays on
`re` (a microsecond a match cheaper, on the hottest paths); the others are run by RE2
(`google-re2`), through its binding directly: the `re2` module's Python layer costs 9 µs a
match, the binding under 2.
"""

from __future__ import annotations

import re
from typing import Protocol

import re2
from re2 import _re2

from shared.alertmanager.re2_dialect import RegexSyntaxError, translate

_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


class CompiledRegex(Protocol):
    """What matching needs of a compiled pattern: `search` is None where it does not match."""

    def search(self, text: str) -> object | None: ...


class _Re2Regex:
    __slots__ = ("_regexp",)

    def __init__(self, pattern: str) -> None:
        options = re2.Options()
        options.never_capture = True
        options.log_errors = False
        self._regexp = _re2.RE2(pattern.encode("utf-8", "surrogatepass"), options)
        if not self._regexp.ok():
            problem = self._regexp.error()
            if isinstance(problem, bytes):
                problem = problem.decode("utf-8", "replace")
            raise RegexSyntaxError(f"{problem} (RE2 refuses it)")

    def search(self, text: str) -> bool | None:
        data = text.encode("utf-8", "surrogatepass")
        found: bool = self._regexp.Match(_UNANCHORED, data, 0, len(data))[0][0] != -1
        return found or None


def compile_re2(pattern: str) -> CompiledRegex:
    """`pattern` (RE2 syntax) compiled for `search`; RegexSyntaxError or re.error if invalid,
    RecursionError if it nests too deeply for Python's parser."""
    translation = translate(pattern)
    python = re.compile(translation.python)  # first: its messages name most problems best
    # RE2 compiles each pattern too, so what it refuses is refused as Go refuses it
    # (`(a{100}){100}`: a repetition of 10,000), whichever engine then runs it.
    linear = _Re2Regex(translation.re2)
    return linear if translation.backtracks else python


def compile_anchored(pattern: str) -> CompiledRegex:
    """`pattern` as Alertmanager anchors it, pasted into `^(?:pattern)$` (so `a)|(b` is valid),
    compiled as `compile_re2` does; `\\z` is RE2's `$` spelled for the translator."""
    return compile_re2(f"^(?:{pattern})\\z")
