"""Label matchers as the router's config writes them: one Alertmanager 0.25 matcher per list item.

Silences and urgency rules use the shared Alertmanager matcher (`shared.alertmanager`), the same
parser and RE2 translation as the correlator's routes, so they accept, refuse and match exactly
what Alertmanager does: operators `=`, `!=`, `=~`, `!~`; escapes `\\"`, `\\\\`, `\\n`; regexes in
RE2 syntax, anchored as `^(?:re)$`; a label the alert lacks reads as the empty string.

On top of it, two config rules of the router's own:
- one matcher per list item: a braced list (`{a="b"}`) or a comma outside quotes (`a=b,c=d`) is
  refused with that advice, where Alertmanager's single-matcher parser would read `a=b,c=d` as
  the value `b,c=d`;
- label names are Alertmanager's silence rule, `[a-zA-Z_][a-zA-Z0-9_]*`: no `:`, which route
  matchers allow.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

from shared.alertmanager.matchers import (
    LABEL_NAME_RE,
    MatcherError,
    matches_all,
    parse_matcher,
    split_matcher_list,
)
from shared.alertmanager.matchers import Matcher as LabelMatcher

__all__ = ["LabelMatcher", "Matcher", "matches_all", "parse_label_matcher"]


def parse_label_matcher(text: str) -> LabelMatcher:
    """Parse one matcher such as `service="payments-api"`, `env!=prod` or `team=~"db|"`."""
    if text.lstrip().startswith("{"):
        raise MatcherError(f"bad matcher {text!r}: write one matcher per list item, without braces")
    if len(split_matcher_list(text)) > 1:
        raise MatcherError(f"bad matcher {text!r}: write one matcher per list item")
    matcher = parse_matcher(text)
    if LABEL_NAME_RE.fullmatch(matcher.name) is None:
        raise MatcherError(
            f"bad matcher {text!r}: label name {matcher.name!r} may hold only letters, "
            "digits and underscores, and may not start with a digit"
        )
    return matcher


def _validate(value: object) -> LabelMatcher:
    if isinstance(value, LabelMatcher):
        return value
    if not isinstance(value, str):
        raise ValueError("expected a matcher string such as 'service=\"payments-api\"'")
    return parse_label_matcher(value)


# A matcher as a config value: written as a string, validated once, serialized back to a string.
Matcher = Annotated[
    LabelMatcher,
    PlainValidator(_validate),
    PlainSerializer(str),
    WithJsonSchema({"type": "string", "examples": ['service="payments-api"']}),
]
