"""Alertmanager 0.25 label matchers, pure, for every service that reads them.

The correlator uses them in routes, inhibit rules and correlation rules, the router in silences
and urgency rules. Keeping one parser and one RE2 translation here means every part of a Tocsin
config accepts, refuses and matches exactly what Alertmanager does (ALERTMANAGER.md §1, §6).
"""

from shared.alertmanager.matchers import (
    Matcher,
    MatcherError,
    matchers_from_legacy,
    matches_all,
    parse_matcher,
    parse_matchers,
)

__all__ = [
    "Matcher",
    "MatcherError",
    "matchers_from_legacy",
    "matches_all",
    "parse_matcher",
    "parse_matchers",
]
