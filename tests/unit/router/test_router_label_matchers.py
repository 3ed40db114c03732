"""The router's config matchers (silences, urgency rules) read regexes as RE2, like routes do."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from services.correlator.domain.alertmanager import RouteConfigError, parse_route
from services.router.domain.matchers import LabelMatcher, Matcher, parse_label_matcher
from shared.alertmanager import MatcherError, parse_matcher

# Regexes Python's `re` would run but RE2 (so Alertmanager) refuses.
NOT_RE2 = [
    r"(a)\1",  # backreference
    "x(?=y)",  # lookahead
    "(?<!x)y",  # lookbehind
    "(?>ab)",  # atomic group
    "a++",  # possessive quantifier
    "a{1001}",  # repeat count over RE2's limit
]

# RE2 spellings Python's `re` refuses or reads differently: (regex, value, whether it matches).
RE2_SPELLINGS = [
    ("ab(?i)c|d", "D", True),  # a flag group mid-pattern lasts to the end of the group
    ("ab(?i)c|d", "ABC", False),
    (r"\Qa.b\E", "a.b", True),
    (r"\Qa.b\E", "axb", False),
    ("[[:alpha:]_]+", "ab_C", True),
    ("[[:alpha:]_]+", "ab1", False),
    (r"\x{41}\101", "AA", True),
    ("x{,2}", "x{,2}", True),  # RE2 reads {,n} literally
    (r"\d+", "٤٢", False),  # RE2's \d is ASCII only
]


def _quoted(regex: str) -> str:
    return '"' + regex.replace("\\", "\\\\") + '"'


def _route_error(text: str) -> str:
    route = {"receiver": "r", "routes": [{"receiver": "r", "matchers": [text]}]}
    with pytest.raises(RouteConfigError) as raised:
        parse_route(route)
    return str(raised.value)


@pytest.mark.parametrize("regex", NOT_RE2)
def test_silence_matcher_refuses_what_route_matchers_refuse_with_the_same_message(
    regex: str,
) -> None:
    text = f"v=~{_quoted(regex)}"

    with pytest.raises(MatcherError) as raised:
        parse_label_matcher(text)

    assert "invalid regex" in str(raised.value)
    assert _route_error(text) == f"route.routes[0].matchers[0]: {raised.value}"


@pytest.mark.parametrize(("regex", "value", "expected"), RE2_SPELLINGS)
def test_silence_matcher_accepts_re2_spellings_and_matches_as_routes_do(
    regex: str, value: str, expected: bool
) -> None:
    text = f"v=~{_quoted(regex)}"

    matcher = parse_label_matcher(text)

    assert matcher.matches({"v": value}) is expected
    assert matcher == parse_matcher(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{a="b"}', "write one matcher per list item, without braces"),
        (' {a="b"}', "write one matcher per list item, without braces"),
        ("a=b,c=d", "write one matcher per list item"),
        ('a="b", c="d"', "write one matcher per list item"),
        ("a=b,", "write one matcher per list item"),
        ('job:x="b"', "label name 'job:x' may hold only letters, digits and underscores"),
    ],
)
def test_config_rules_beyond_alertmanager_are_refused_with_advice(text: str, message: str) -> None:
    with pytest.raises(MatcherError, match=r"^bad matcher ") as raised:
        parse_label_matcher(text)

    assert message in str(raised.value)


def test_comma_inside_quotes_is_part_of_the_value() -> None:
    assert parse_label_matcher('a="b,c"') == LabelMatcher("a", "=", "b,c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('env=""', True),
        ('env="prod"', False),
        ('env=~".*"', True),
        ('env=~"a|"', True),
        ('env=~"prod"', False),
        ('env=~"(?i)x|"', True),
        ('env!=""', False),  # negative matchers never count, as in Alertmanager
        ('env!~"prod"', False),
    ],
)
def test_matches_empty_is_alertmanagers_silence_check(text: str, expected: bool) -> None:
    assert parse_label_matcher(text).matches_empty() is expected


def test_config_matcher_round_trips_as_its_alertmanager_string() -> None:
    adapter: TypeAdapter[LabelMatcher] = TypeAdapter(Matcher)

    matcher = adapter.validate_python('region =~ "(?i)eu-\\\\d"')

    assert matcher == LabelMatcher("region", "=~", "(?i)eu-\\d")
    assert adapter.dump_python(matcher, mode="json") == 'region=~"(?i)eu-\\\\d"'
    assert adapter.validate_python(matcher) is matcher
    assert adapter.json_schema() == {"type": "string", "examples": ['service="payments-api"']}
