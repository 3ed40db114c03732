"""Alertmanager 0.25 label matchers: `name op "value"` with `=`, `!=`, `=~`, `!~`.

Parsing follows 0.25's `pkg/labels` parser (not the UTF-8 parser of 0.27+), so a string accepted
or refused by `amtool check-config` is accepted or refused here too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from shared.alertmanager.re2_dialect import RegexSyntaxError
from shared.alertmanager.regex_engine import CompiledRegex, compile_anchored, compile_re2

MatchOp = Literal["=", "!=", "=~", "!~"]
_OPS: tuple[MatchOp, ...] = get_args(MatchOp)
# Sort rank of operators in route keys: Alertmanager's MatchType enum order.
OP_RANK: dict[MatchOp, int] = {op: rank for rank, op in enumerate(_OPS)}

# 0.25's matcher grammar; it allows `:` in names, which legacy `match` keys do not. Spaces are
# Go's ASCII `\s`, not Python's Unicode one.
_SPACE = r"[\t\n\f\r ]*"
_MATCHER_RE = re.compile(
    f"{_SPACE}([a-zA-Z_:][a-zA-Z0-9_:]*){_SPACE}(=~|=|!=|!~){_SPACE}((?s:.)*?){_SPACE}"
)
_MATCHER_NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_NAME_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_UNESCAPES = {"n": "\n", '"': '"', "\\": "\\"}


class MatcherError(ValueError):
    """A matcher Alertmanager would refuse; the message names the matcher and the problem."""


@dataclass(frozen=True)
class Matcher:
    """One label condition; a label the alert lacks counts as the empty string."""

    name: str
    op: MatchOp
    value: str
    _regex: CompiledRegex | None = field(
        default=None, init=False, repr=False, compare=False, hash=False
    )

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise MatcherError(f"matcher {self}: unknown operator {self.op!r}")
        if _MATCHER_NAME_RE.fullmatch(self.name) is None:
            raise MatcherError(f"matcher {self}: invalid label name {self.name!r}")
        if self.op in ("=~", "!~"):
            # Alertmanager anchors by pasting the value into `^(?:value)$` (so `a)|(b` is a
            # valid route matcher) and searches; `\z` is RE2's `$` spelled for the translator.
            object.__setattr__(self, "_regex", _anchored(self))

    def __reduce__(self) -> tuple[type[Matcher], tuple[str, MatchOp, str]]:
        """Pickled as its three fields (state snapshots hold silences): the regex is compiled
        again on load, as a compiled pattern is no state class."""
        return (Matcher, (self.name, self.op, self.value))

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the label set satisfies this matcher."""
        actual = labels.get(self.name, "")
        if self._regex is None:
            return (actual == self.value) == (self.op == "=")
        return (self._regex.search(actual) is not None) == (self.op == "=~")

    def unanchored_regex(self) -> CompiledRegex:
        """The value compiled on its own, as Alertmanager's silence validation compiles it;
        raises MatcherError when it is not a regex by itself (`a)|(b`)."""
        return _compile(self, self.value)

    def matches_empty(self) -> bool:
        """Alertmanager's silence check: whether this matcher would hold for an empty value.

        Only `=` and `=~` count (negative matchers never do), and `=~` is tried unanchored,
        as 0.25's `matchesEmpty` does with `regexp.MatchString(pattern, "")`.
        """
        if self.op == "=":
            return self.value == ""
        if self.op == "=~":
            return self.unanchored_regex().search("") is not None
        return False

    def __str__(self) -> str:
        """Alertmanager's rendering, as used in route keys: `name=~"value"`."""
        return f'{self.name}{self.op}"{escape_value(self.value)}"'


def escape_value(value: str) -> str:
    """Alertmanager 0.25's matcher value escaping (OpenMetrics style, not Go `%q`)."""
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


# Python's regex parser recurses per nested group and gives up near 480 levels (RE2 takes 1,000).
_TOO_DEEP = "invalid regex: groups nest too deeply"


def _anchored(matcher: Matcher) -> CompiledRegex:
    try:
        return compile_anchored(matcher.value)
    except RecursionError:
        raise MatcherError(f"matcher {matcher}: {_TOO_DEEP}") from None
    except (RegexSyntaxError, re.error):
        matcher.unanchored_regex()  # names the problem in the value as written
        raise MatcherError(f"matcher {matcher}: invalid regex once anchored") from None


def _compile(matcher: Matcher, pattern: str) -> CompiledRegex:
    try:
        return compile_re2(pattern)
    except RecursionError:
        raise MatcherError(f"matcher {matcher}: {_TOO_DEEP}") from None
    except (RegexSyntaxError, re.error) as err:
        raise MatcherError(f"matcher {matcher}: invalid regex: {err}") from err


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str]) -> bool:
    """Whether every matcher holds (an empty list holds for every alert)."""
    return all(m.matches(labels) for m in matchers)


def parse_matcher(text: str) -> Matcher:
    """Parse one matcher such as `env=~"prod|staging"` or `team=db`."""
    found = _MATCHER_RE.fullmatch(text)
    if found is None:
        raise MatcherError(
            f"bad matcher format: {text!r} (expected name, one of = != =~ !~, then a value)"
        )
    name, op, raw = found.groups()
    return Matcher(name, op, _unquote(raw, text))  # type: ignore[arg-type]  # regex-checked op


def _unquote(raw: str, text: str) -> str:
    """Strip optional surrounding quotes and resolve `\\"`, `\\\\`, `\\n` as 0.25 does."""
    quoted = raw.startswith('"')
    body = raw[1:] if quoted else raw
    value: list[str] = []
    closed = escaped = False
    for index, char in enumerate(body):
        if escaped:
            # A spurious escape such as `\\t` stays literal, as in 0.25.
            value.append(_UNESCAPES.get(char, "\\" + char))
            escaped = False
        elif char == "\\" and index < len(body) - 1:
            escaped = True
        elif char != '"':
            value.append(char)
        elif quoted and index == len(body) - 1:
            closed = True
        else:
            raise MatcherError(f"matcher {text!r}: value contains an unescaped double quote")
    if quoted and not closed:
        raise MatcherError(f"matcher {text!r}: value has no closing double quote")
    return "".join(value)


# Go's `unicode.IsSpace`: what `strings.TrimSpace` trims. Not Python's `str.isspace`, which
# also counts the separators U+001C-U+001F.
_GO_SPACE = (
    "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def parse_matchers(text: str) -> list[Matcher]:
    """Parse a matcher list: `{a="b", c=~"d"}`, `a=b,c!=d` or a single matcher.

    Commas inside quoted values do not split; a trailing comma is allowed; `""` and `{}` are
    empty lists (0.25 accepts both).
    """
    # No stripping first: 0.25 reads ` {a=b}` as a bad matcher and `{a=b} ` as a="b}".
    body = text.removeprefix("{").removesuffix("}")
    tokens = split_matcher_list(body)
    if tokens:  # 0.25 trims the last token with Go's `strings.TrimSpace`, and only that one
        tokens[-1] = tokens[-1].strip(_GO_SPACE)
        if not tokens[-1]:
            tokens.pop()
    return [parse_matcher(token) for token in tokens]


def split_matcher_list(body: str) -> list[str]:
    """Split a brace-less matcher list at the commas outside quoted values, as 0.25 does.

    0.25's tokenizer, quirk included: a comma does not reset a pending backslash, so in
    `a="x\\,",b=c` the second quote counts as escaped and the whole text is one (bad) token.
    """
    tokens: list[str] = []
    current: list[str] = []
    in_quotes = escaped = False
    for char in body:
        if char == ",":
            if not in_quotes:
                tokens.append("".join(current))
                current = []
                continue
        elif char == '"':
            in_quotes = in_quotes if escaped else not in_quotes
            escaped = False
        elif char == "\\":
            escaped = not escaped
        else:
            escaped = False
        current.append(char)
    tokens.append("".join(current))
    return tokens


def matchers_from_legacy(match: Mapping[str, str], match_re: Mapping[str, str]) -> list[Matcher]:
    """Convert legacy `match` / `match_re` maps into matchers (equality first, as 0.25 does)."""
    return [legacy_matcher(name, value, regex=False) for name, value in match.items()] + [
        legacy_matcher(name, value, regex=True) for name, value in match_re.items()
    ]


def legacy_matcher(name: str, value: str, *, regex: bool) -> Matcher:
    """One `match` (equality) or `match_re` entry as a matcher.

    A `match_re` value is stored anchored (`^(?:re)$`), exactly as 0.25 does: that is why it
    appears anchored in route keys. Legacy keys may not contain `:`.
    """
    if LABEL_NAME_RE.fullmatch(name) is None:
        raise MatcherError(f"invalid label name {name!r}")
    return Matcher(name, "=~", f"^(?:{value})$") if regex else Matcher(name, "=", value)


def sort_matchers(matchers: Iterable[Matcher]) -> tuple[Matcher, ...]:
    """Alertmanager's matcher order: by name, then value, then operator."""
    return tuple(sorted(matchers, key=lambda m: (m.name, m.value, OP_RANK[m.op])))


def render_matchers(matchers: Iterable[Matcher]) -> str:
    """`{a="b",c=~"d"}`: Alertmanager's rendering of a matcher list, in the given order."""
    return "{" + ",".join(str(m) for m in matchers) + "}"
