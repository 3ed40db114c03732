"""Alertmanager 0.25 matcher semantics and string syntax (ALERTMANAGER.md §1)."""

from __future__ import annotations

import pytest

from shared.alertmanager import (
    Matcher,
    MatcherError,
    matchers_from_legacy,
    parse_matcher,
    parse_matchers,
)
from shared.alertmanager.matchers import split_matcher_list

# --- a missing label equals the empty string -------------------------------------------------


@pytest.mark.parametrize(
    ("matcher", "labels", "expected"),
    [
        ('env!="prod"', {}, True),
        ('env!="prod"', {"env": "prod"}, False),
        ('severity!~"info|debug"', {}, True),
        ('severity!~"info|debug"', {"severity": "debug"}, False),
        ('owner=""', {}, True),
        ('owner=""', {"owner": "ana"}, False),
        ('owner=~".+"', {}, False),
        ('owner=~".+"', {"owner": "ana"}, True),
        ('team=~"db|"', {"team": "db"}, True),
        ('team=~"db|"', {}, True),
        ('team=~"db|"', {"team": "web"}, False),
    ],
)
def test_missing_label_is_matched_as_empty_string(
    matcher: str, labels: dict[str, str], expected: bool
) -> None:
    assert parse_matcher(matcher).matches(labels) is expected


# --- regexes are fully anchored as ^(?:re)$ -------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("db", True), ("cache-redis", True), ("dbx", False), ("my-cache-redis", False)],
)
def test_regex_is_anchored_around_the_whole_alternation(value: str, expected: bool) -> None:
    matcher = Matcher("service", "=~", "db|cache-.*")

    assert matcher.matches({"service": value}) is expected


def test_regex_is_case_sensitive_unless_it_says_i() -> None:
    assert not parse_matcher('env=~"prod"').matches({"env": "PROD"})
    assert parse_matcher('env=~"(?i)prod"').matches({"env": "PROD"})


def test_negative_regex_is_anchored_too() -> None:
    matcher = parse_matcher('service!~"db"')

    assert matcher.matches({"service": "dbx"})
    assert not matcher.matches({"service": "db"})


# --- string syntax ----------------------------------------------------------------------------


def test_braced_list_parses_into_matchers_in_written_order() -> None:
    matchers = parse_matchers('{team="a", env=~"prod|staging"}')

    assert matchers == [Matcher("team", "=", "a"), Matcher("env", "=~", "prod|staging")]


def test_unquoted_values_are_accepted() -> None:
    assert parse_matchers("team=b,env=prod") == [
        Matcher("team", "=", "b"),
        Matcher("env", "=", "prod"),
    ]


def test_quoted_value_keeps_commas_and_spaces() -> None:
    assert parse_matchers('q="a,b c", r = " x "') == [
        Matcher("q", "=", "a,b c"),
        Matcher("r", "=", " x "),
    ]


def test_escapes_for_quote_backslash_and_newline_are_resolved() -> None:
    matcher = parse_matcher(r'msg="say \"hi\"\\now\nplease"')

    assert matcher.value == 'say "hi"\\now\nplease'


def test_unknown_escape_and_trailing_backslash_stay_literal() -> None:
    assert parse_matcher(r"a=x\ty").value == "x\\ty"
    assert parse_matcher("a=x\\").value == "x\\"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("{}", []),
        ("{a=b,}", [Matcher("a", "=", "b")]),
        ("{a=b} ", [Matcher("a", "=", "b}")]),
        ("a==b", [Matcher("a", "=", "=b")]),
        ("a:b=x", [Matcher("a:b", "=", "x")]),
        ("a!~x", [Matcher("a", "!~", "x")]),
    ],
)
def test_edge_forms_parse_as_in_0_25(text: str, expected: list[Matcher]) -> None:
    assert parse_matchers(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a", "bad matcher format: 'a'"),
        ("1a=b", "bad matcher format: '1a=b'"),
        (" {a=b}", "bad matcher format: '{a=b'"),  # the last token trimmed, as 0.25 does
        ("{a=b,,c=d}", "bad matcher format: ''"),
        ('a="b', "matcher 'a=\"b': value has no closing double quote"),
        ('a=b"c', "matcher 'a=b\"c': value contains an unescaped double quote"),
        ('a="b"c"', 'matcher \'a="b"c"\': value contains an unescaped double quote'),
        # 0.25 quirk: a comma keeps the backslash pending, so the closing quote reads as escaped.
        ('a="x\\,",b=c', "matcher 'a=\"x\\\\,\",b=c': value contains an unescaped double quote"),
    ],
)
def test_malformed_matcher_is_refused_with_its_text(text: str, message: str) -> None:
    with pytest.raises(MatcherError) as raised:
        parse_matchers(text)

    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    ("body", "tokens"),
    [
        ('a="x,y",b=c', ['a="x,y"', "b=c"]),
        ("a=b,", ["a=b", ""]),
        ('a="x\\,",b=c', ['a="x\\,",b=c']),  # the 0.25 quirk: one (bad) token
    ],
)
def test_list_splits_at_commas_outside_quotes(body: str, tokens: list[str]) -> None:
    assert split_matcher_list(body) == tokens


def test_rendering_escapes_backslash_quote_and_newline_only() -> None:
    matcher = Matcher("v", "=~", 'a\\b"c\nd\te')

    assert str(matcher) == 'v=~"a\\\\b\\"c\\nd\te"'


def test_matchers_compare_by_name_operator_and_value() -> None:
    assert Matcher("a", "=~", "x.*") == Matcher("a", "=~", "x.*")
    assert Matcher("a", "=~", "x.*") != Matcher("a", "!~", "x.*")


def test_unknown_operator_is_refused() -> None:
    with pytest.raises(MatcherError, match="unknown operator '=='"):
        Matcher("a", "==", "b")  # type: ignore[arg-type]


# --- legacy match / match_re ------------------------------------------------------------------


def test_legacy_maps_become_equality_and_anchored_regex_matchers() -> None:
    matchers = matchers_from_legacy({"team": "db"}, {"service": "db.*"})

    assert matchers == [Matcher("team", "=", "db"), Matcher("service", "=~", "^(?:db.*)$")]
    assert matchers[1].matches({"service": "db-main"})
    assert not matchers[1].matches({"service": "my-db"})


def test_legacy_keys_may_not_contain_colons() -> None:
    with pytest.raises(MatcherError, match="invalid label name 'a:b'"):
        matchers_from_legacy({"a:b": "x"}, {})


# --- RE2 stand-in -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regex", "message"),
    [
        (r"(a)\1", r"invalid escape sequence \1 (RE2 has no backreferences)"),
        ("x(?=y)", "invalid or unsupported Perl syntax '(?='"),
        ("(?<!x)y", "invalid or unsupported Perl syntax '(?<'"),
        ("(?>ab)", "invalid or unsupported Perl syntax '(?>'"),
        ("a++", "invalid nested repetition operator"),
        (r"a\Z", r"invalid escape sequence \Z"),
        (r"\pL", r"Unicode classes \p are not supported by Tocsin"),
        ("(?U)a+", "the ungreedy flag (?U) is not supported by Tocsin"),
        ("a{1001}", "invalid repeat count"),
        ("(", "missing ), unterminated subpattern"),
    ],
)
def test_regex_outside_re2_is_refused_naming_the_matcher(regex: str, message: str) -> None:
    with pytest.raises(MatcherError) as raised:
        Matcher("x", "=~", regex)

    assert str(raised.value).startswith(f"matcher x=~{_quoted(regex)}: invalid regex: ")
    assert message in str(raised.value)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.mark.parametrize(
    ("regex", "value", "expected"),
    [
        (r"\d+", "42", True),
        (r"\d+", "٤٢", False),  # RE2's \d is ASCII only
        ("x{,2}", "x{,2}", True),  # RE2 reads {,n} literally
        ("x{,2}", "xx", False),
        (r"\Qa.b\E", "a.b", True),
        (r"\Qa.b\E", "axb", False),
        ("[[:alpha:]_]+", "ab_C", True),
        ("[[:alpha:]_]+", "ab1", False),
        ("ab(?i)c|d", "D", True),  # the flag lasts to the end of the group, across |
        ("ab(?i)c|d", "ABC", False),
        (r"\x{41}\101", "AA", True),
        (r"a\z", "a", True),
    ],
)
def test_re2_spellings_mean_what_they_mean_in_re2(regex: str, value: str, expected: bool) -> None:
    assert Matcher("v", "=~", regex).matches({"v": value}) is expected


# --- the silence check: may this matcher hold for an empty value? ----------------------------


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        (Matcher("env", "=", ""), True),
        (Matcher("env", "=", "prod"), False),
        (Matcher("env", "=~", ".*"), True),
        (Matcher("env", "=~", "prod|"), True),
        (Matcher("env", "=~", "prod"), False),
        (Matcher("env", "=~", r"\Q\E"), True),  # RE2 spelling of the empty string
        (Matcher("env", "!=", "prod"), False),  # negative matchers never count
        (Matcher("env", "!~", "prod"), False),
    ],
)
def test_matches_empty_checks_only_equality_and_regex_matchers(
    matcher: Matcher, expected: bool
) -> None:
    assert matcher.matches_empty() is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", True), ("axx", True), ("xxb", True), ("c", False), ("", False)],
)
def test_route_regex_is_pasted_into_its_anchors_as_alertmanager_does(
    value: str, expected: bool
) -> None:
    # `^(?:a)|(b)$`: starts with a, or ends with b
    assert Matcher("x", "=~", "a)|(b").matches({"x": value}) is expected


def test_a_value_that_is_no_regex_by_itself_is_refused_naming_it_as_written() -> None:
    with pytest.raises(MatcherError) as raised:
        Matcher("x", "=~", "a)|(b").unanchored_regex()

    assert str(raised.value).startswith('matcher x=~"a)|(b": invalid regex: ')
