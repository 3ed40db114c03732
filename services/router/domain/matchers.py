"""Label matchers for silences and urgency rules: one Alertmanager 0.25 `name op "value"` each.

A deliberately small twin of the correlator's matchers (a service may not import another one):
the same operators (`=`, `!=`, `=~`, `!~`), the same escapes (`\\"`, `\\\\`, `\\n`), regexes
anchored as `^(?:re)$`, and a label the alert lacks reads as the empty string. Label names are
Alertmanager's silence rule, `[a-zA-Z_][a-zA-Z0-9_]*`.

Differences, on purpose: one matcher per list item (`{a="b", c="d"}` and an unquoted comma are
refused rather than split), and regexes run on Python `re` with ASCII classes, which accepts a
few constructs RE2 refuses (backreferences, lookarounds) and refuses flag groups such as
`(?i)` anywhere but at the start. The correlator's RE2 translation does this exactly; moving
it to `shared/` would let both services use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Final, Literal, cast

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

MatchOp = Literal["=", "!=", "=~", "!~"]
_MATCHER: Final = re.compile(
    r"[\t\n\f\r ]*([a-zA-Z_][a-zA-Z0-9_]*)[\t\n\f\r ]*(=~|=|!=|!~)[\t\n\f\r ]*(.*?)[\t\n\f\r ]*",
    re.DOTALL,
)
_LEADING_FLAGS: Final = re.compile(r"(?:\(\?[ims]+\))*")
_UNESCAPES: Final = {"n": "\n", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class LabelMatcher:
    """One label condition, e.g. `service="payments-api"` or `severity=~"warning|info"`."""

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.op in ("=~", "!~"):
            # Leading flags such as `(?i)` must stay in front of the group Python wraps around.
            flags = _LEADING_FLAGS.match(self.value)
            split = flags.end() if flags else 0
            head, body = self.value[:split], self.value[split:]
            try:
                re.compile(self.value, re.ASCII)
                regex = re.compile(f"{head}(?:{body})", re.ASCII)
            except re.error as err:
                raise ValueError(f"matcher {self}: invalid regex: {err}") from None
            object.__setattr__(self, "_regex", regex)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self._regex is None:
            return (actual == self.value) == (self.op == "=")
        return (self._regex.fullmatch(actual) is not None) == (self.op == "=~")

    def matches_empty(self) -> bool:
        """Alertmanager's silence check: only `=` and `=~` count, and `=~` unanchored."""
        if self.op == "=":
            return self.value == ""
        if self.op == "=~" and self._regex is not None:
            return self._regex.search("") is not None
        return False

    def __str__(self) -> str:
        escaped = self.value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')
        return f'{self.name}{self.op}"{escaped}"'


def parse_label_matcher(text: str) -> LabelMatcher:
    """Parse one matcher such as `service="payments-api"`, `env!=prod` or `team=~"db|"`."""
    found = _MATCHER.fullmatch(text)
    if text.lstrip().startswith("{"):
        raise ValueError(f"bad matcher {text!r}: write one matcher per list item, without braces")
    if found is None:
        raise ValueError(
            f"bad matcher {text!r}: expected a label name, one of = != =~ !~, then a value"
        )
    name, op, raw = found.groups()
    return LabelMatcher(name, cast(MatchOp, op), _unquote(raw, text))


def _unquote(raw: str, text: str) -> str:
    quoted = raw.startswith('"')
    if not quoted and "," in raw:
        raise ValueError(f"bad matcher {text!r}: write one matcher per list item")
    body = raw[1:] if quoted else raw
    value: list[str] = []
    closed = escaped = False
    for index, char in enumerate(body):
        if escaped:
            value.append(_UNESCAPES.get(char, "\\" + char))
            escaped = False
        elif char == "\\" and index < len(body) - 1:
            escaped = True
        elif char != '"':
            value.append(char)
        elif quoted and index == len(body) - 1:
            closed = True
        else:
            raise ValueError(f"bad matcher {text!r}: the value contains an unescaped quote")
    if quoted and not closed:
        raise ValueError(f"bad matcher {text!r}: the value has no closing quote")
    return "".join(value)


def _validate(value: object) -> LabelMatcher:
    if isinstance(value, LabelMatcher):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a matcher string such as 'service=\"payments-api\"'")
    return parse_label_matcher(value)


def matches_all(matchers: Iterable[LabelMatcher], labels: Mapping[str, str]) -> bool:
    return all(matcher.matches(labels) for matcher in matchers)


# A matcher as a config value: written as a string, validated once, serialized back to a string.
Matcher = Annotated[
    LabelMatcher,
    PlainValidator(_validate),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "examples": ['service="payments-api"']}),
]
