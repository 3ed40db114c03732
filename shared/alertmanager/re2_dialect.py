"""Alertmanager regexes are Go RE2; Tocsin runs them on Python `re`.

`to_python_regex` refuses what RE2 refuses (backreferences, lookarounds, possessive and atomic
forms: Python would silently accept them, so a config valid for Tocsin would break Alertmanager)
and rewrites the RE2 spellings Python reads differently, so both engines agree on the language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

# RE2's `\d \w \s \b` are ASCII-only; Python's are Unicode unless scoped with `(?a:...)`.
_ASCII_ESCAPES = frozenset("dDwWsSbB")
_CHAR_ESCAPES = frozenset("afnrtv")
_POSIX_CLASSES = {
    "alnum": "0-9A-Za-z",
    "alpha": "A-Za-z",
    "ascii": r"\x00-\x7f",
    "blank": r"\t ",
    "cntrl": r"\x00-\x1f\x7f",
    "digit": "0-9",
    "graph": "!-~",
    "lower": "a-z",
    "print": " -~",
    "punct": r"!-/:-@\[-`{-~",
    "space": r"\t\n\v\f\r ",
    "upper": "A-Z",
    "word": "0-9A-Za-z_",
    "xdigit": "0-9A-Fa-f",
}
_RE2_SPACE = r"\t\n\f\r "
_PERL_CLASSES = {"d": "0-9", "w": "0-9A-Za-z_"}
# What a class item may be that is a set, not one character: a `-` after one is literal.
_CLASS_SETS = frozenset(
    [r"\D", r"\W", _RE2_SPACE, r"\S\v", *_PERL_CLASSES.values(), *_POSIX_CLASSES.values()]
)
_NAMED_GROUP_RE = re.compile(r"\(\?P<(\w+)>")
_POSIX_RE = re.compile(r"\[:(\^?)([a-z]+):\]")
_REPEAT_RE = re.compile(r"\{([0-9]+)(?:,([0-9]*))?\}")
_FLAGS_RE = re.compile(r"\(\?([a-zA-Z-]*)([:)])")
_HEX_RE = re.compile(r"\{([0-9A-Fa-f]+)\}|([0-9A-Fa-f]{2})")
_OCTAL = frozenset("01234567")
_MAX_REPEAT = 1000  # RE2's limit; Python would accept more.


class RegexSyntaxError(ValueError):
    """The pattern is not RE2, or uses RE2 syntax Tocsin cannot run."""


class Translation(NamedTuple):
    """An RE2 pattern checked and translated.

    `python`: the equivalent Python pattern. `backtracks`: whether Python's backtracking engine
    could take more than linear time on it (more than one repetition, or a repeated group:
    `.*a.*b`, `(x+x+)+y`); such a pattern is run by RE2 itself. `re2`: the pattern for RE2,
    as written but for group names, which Go takes and RE2 may refuse (one name twice)."""

    python: str
    backtracks: bool
    re2: str


def to_python_regex(pattern: str) -> str:
    """Translate an RE2 pattern to an equivalent Python pattern, or raise RegexSyntaxError."""
    return _Translator(pattern).run()


def translate(pattern: str) -> Translation:
    """Check and translate an RE2 pattern (see `Translation`), or raise RegexSyntaxError."""
    translator = _Translator(pattern)
    python = translator.run()
    re2 = pattern
    for start, end in reversed(translator.group_names):
        re2 = f"{re2[:start]}({re2[end:]}"
    backtracks = translator.repetitions > 1 or translator.group_repeated
    return Translation(python, backtracks, re2)


@dataclass
class _Translator:
    pattern: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    # Per open group: the flags of `(?i)`-style switches seen in it. RE2 applies them to the rest
    # of the group; Python 3.11 only has scoped `(?i:...)`, which we open and close around `|`.
    scopes: list[list[str]] = field(default_factory=lambda: [[]])
    # Per open group: whether `(?m)` is on in it (RE2's `$` is the end of the text without it;
    # Python's `$` also matches before a final newline).
    multiline: list[bool] = field(default_factory=lambda: [False])
    after_repeat: bool = False
    class_needs_ascii: bool = False
    repetitions: int = 0
    group_repeated: bool = False  # a repetition applies to a group: `(a|b)*`
    group_names: list[tuple[int, int]] = field(default_factory=list)  # spans of `(?P<name>`

    def run(self) -> str:
        while self.pos < len(self.pattern):
            was_repeat, self.after_repeat = self.after_repeat, False
            char = self.pattern[self.pos]
            if char in "*+?":
                self._repetition(char, was_repeat)
            elif char == "{":
                self._brace()
            elif char == "\\":
                self.out.append(self._escape(in_class=False))
            elif char == "[":
                self._char_class()
            elif char == "(":
                self._group_open()
            elif char in ")|":
                self._group_boundary(char)
            elif char == "$":
                self.out.append("$" if self.multiline[-1] else r"\Z")
                self.pos += 1
            else:
                self.out.append(char)
                self.pos += 1
        self.out.append(")" * len(self.scopes[0]))
        return "".join(self.out)

    def _fail(self, message: str, at: int | None = None) -> RegexSyntaxError:
        where = self.pos if at is None else at
        return RegexSyntaxError(f"{message} at position {where} of regex {self.pattern!r}")

    def _repetition(self, char: str, was_repeat: bool) -> None:
        if was_repeat and char == "+":
            raise self._fail(
                "invalid nested repetition operator (possessive quantifiers are not RE2)"
            )
        lazy = was_repeat and char == "?"  # `*?` is lazy, not a new repetition
        if not lazy:
            self._count_repetition()
        self.out.append(char)
        self.pos += 1
        self.after_repeat = not lazy

    def _brace(self) -> None:
        found = _REPEAT_RE.match(self.pattern, self.pos)
        if found is None:  # RE2 reads a `{` that starts no `{n}`/`{n,}`/`{n,m}` literally
            self.out.append(r"\{")
            self.pos += 1
            return
        counts = [int(n) for n in found.groups() if n]
        if any(n > _MAX_REPEAT for n in counts):
            raise self._fail(f"invalid repeat count (RE2 allows at most {_MAX_REPEAT})")
        if found.group(2) is not None:  # `{n,}` or `{n,m}`: an exact `{n}` cannot backtrack
            self._count_repetition()
        self.out.append(found.group())
        self.pos = found.end()
        self.after_repeat = True

    def _count_repetition(self) -> None:
        self.repetitions += 1
        self.group_repeated |= bool(self.out) and self.out[-1].endswith(")")

    def _group_open(self) -> None:
        named = _NAMED_GROUP_RE.match(self.pattern, self.pos)
        if named is not None or not self.pattern.startswith("(?", self.pos):
            # A name is checked as Go checks it, then dropped: RE2 has no backreferences, and
            # Python refuses names Go takes (`1a`, one name twice).
            if named is not None and not named.group(1).isascii():
                raise self._fail(f"invalid named capture {named.group()!r}")
            if named is not None:
                self.group_names.append((self.pos, named.end()))
            self.scopes.append([])
            self.multiline.append(self.multiline[-1])
            self.out.append("(")
            self.pos = self.pos + 1 if named is None else named.end()
            return
        flags = _FLAGS_RE.match(self.pattern, self.pos)
        if flags is None or not set(flags.group(1)) <= set("imsU-") or flags.group() == "(?)":
            construct = self.pattern[self.pos : self.pos + 3]
            raise self._fail(
                f"invalid or unsupported Perl syntax {construct!r} "
                "(RE2 has no lookarounds, backreferences, atomic groups, conditionals or comments)"
            )
        letters, closer = flags.groups()
        if "U" in letters:
            raise self._fail("the ungreedy flag (?U) is not supported by Tocsin")
        on, _, off = letters.partition("-")
        multiline = ("m" in on or self.multiline[-1]) and "m" not in off
        if closer == ":":
            self.scopes.append([])
            self.multiline.append(multiline)
        else:  # a switch: it lasts to the end of the enclosing group, see `scopes`
            self.scopes[-1].append(letters)
            self.multiline[-1] = multiline
        self.out.append(f"(?{letters}:")
        self.pos = flags.end()

    def _group_boundary(self, char: str) -> None:
        switches = self.scopes[-1]
        self.out.append(")" * len(switches))
        if char == "|":
            self.out.append("|" + "".join(f"(?{flags}:" for flags in switches))
        elif len(self.scopes) > 1:
            self.scopes.pop()
            self.multiline.pop()
            self.out.append(")")
        else:
            raise self._fail("unexpected )")
        self.pos += 1

    def _char_class(self) -> None:
        start = self.pos
        self.pos += 1
        parts = ["["]
        if self.pattern.startswith("^", self.pos):
            parts.append("^")
            self.pos += 1
        first = True
        self.class_needs_ascii = False
        while self.pos < len(self.pattern) and (first or self.pattern[self.pos] != "]"):
            item = self._class_item()
            parts.append(item)
            first = False
            if item in _CLASS_SETS and self.pattern.startswith("-", self.pos):
                # RE2 reads a `-` after a class (`[\w-.]`, a common host pattern) as itself;
                # Python refuses it as a range from a class.
                parts.append(r"\-")
                self.pos += 1
        if self.pos >= len(self.pattern):
            self.pos = start
            raise self._fail("missing closing ]")
        self.pos += 1
        body = "".join([*parts, "]"])
        self.out.append(f"(?a:{body})" if self.class_needs_ascii else body)

    def _class_item(self) -> str:
        char = self.pattern[self.pos]
        posix = _POSIX_RE.match(self.pattern, self.pos)
        if posix is not None:
            if posix.group(1) or posix.group(2) not in _POSIX_CLASSES:
                raise self._fail(f"unsupported character class {posix.group()!r}")
            self.pos = posix.end()
            return _POSIX_CLASSES[posix.group(2)]
        if char == "\\":
            return self._escape(in_class=True)
        self.pos += 1
        # Escaped so Python neither nests sets nor warns about future set operations.
        return "\\" + char if char in "[]&~|" else char

    def _escape(self, *, in_class: bool) -> str:
        if self.pos + 1 >= len(self.pattern):
            raise self._fail("trailing backslash at end of expression")
        start, char = self.pos, self.pattern[self.pos + 1]
        self.pos += 2
        if char.isascii() and not char.isalnum():
            return "\\" + char
        if char in _OCTAL:
            return self._octal(char, start)
        if char == "x":
            return self._hex(start)
        if char in _CHAR_ESCAPES:
            return "\\" + char
        if char in "sS":  # RE2's `\s` is `[\t\n\f\r ]`: Python's has `\v` too
            if in_class:
                self.class_needs_ascii |= char == "S"
                return _RE2_SPACE if char == "s" else r"\S\v"
            return f"[{'^' if char == 'S' else ''}{_RE2_SPACE}]"
        if char in "dw":  # spelled out: under `(?i)` Go folds them (long s, U+017F, is a `\w`),
            # as Python folds a plain class; `(?a:...)` would fold nothing past ASCII (`[\wé]`)
            return _PERL_CLASSES[char] if in_class else f"[{_PERL_CLASSES[char]}]"
        if char in "DW":
            if in_class:
                self.class_needs_ascii = True
                return "\\" + char
            return f"[^{_PERL_CLASSES[char.lower()]}]"
        if char == "B" and not in_class:  # Python's `\B` never matches an empty value; RE2's does
            return r"(?a:\B|\A\Z)"
        if char in _ASCII_ESCAPES and not in_class:
            return f"(?a:\\{char})"
        if char == "A" and not in_class:
            return r"\A"
        if char == "z" and not in_class:
            return r"\Z"
        if char == "Q" and not in_class:
            return self._quoted_literal()
        if char in "pP":
            raise self._fail(f"Unicode classes \\{char} are not supported by Tocsin", start)
        raise self._fail(f"invalid escape sequence \\{char}", start)

    def _octal(self, first: str, start: int) -> str:
        digits = first
        while len(digits) < 3 and self.pattern[self.pos : self.pos + 1] in _OCTAL:
            digits += self.pattern[self.pos]
            self.pos += 1
        if first != "0" and len(digits) == 1:  # RE2 reads `\1`..`\7` alone as a backreference
            raise self._fail(
                f"invalid escape sequence \\{first} (RE2 has no backreferences)", start
            )
        return f"\\U{int(digits, 8):08x}"

    def _hex(self, start: int) -> str:
        braced = _HEX_RE.match(self.pattern, self.pos)
        if braced is None or int(braced.group(1) or braced.group(2), 16) > 0x10FFFF:
            raise self._fail("invalid escape sequence \\x", start)
        self.pos = braced.end()
        return f"\\U{int(braced.group(1) or braced.group(2), 16):08x}"

    def _quoted_literal(self) -> str:
        end = self.pattern.find(r"\E", self.pos)
        text = self.pattern[self.pos :] if end < 0 else self.pattern[self.pos : end]
        self.pos = len(self.pattern) if end < 0 else end + 2
        return re.escape(text)
