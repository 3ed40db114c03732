"""Regexes Python's backtracking engine would take exponential (or cubic) time on are run in
linear time: one pattern and one label value must not hold the whole server."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from shared.alertmanager.matchers import parse_matcher

ROOT = Path(__file__).resolve().parents[3]

# (matcher, value): Python's `re` takes about 2^64 steps on the first and the third, and
# (8,000 choose 3) on the second; RE2 a few microseconds each.
BLOW_UPS = [
    ('v=~"(x+x+)+y"', "x" * 64),
    ('v=~".*a.*b.*c.*"', "ab" * 4000),
    ('v=~"(a|aa)*b"', "a" * 64),
]


def test_patterns_that_backtrack_exponentially_match_at_once() -> None:
    """Run in a child, so that a regression fails on the timeout instead of hanging the suite;
    the margin is astronomical (seconds against the age of the universe), not a timing."""
    script = textwrap.dedent(
        f"""
        from shared.alertmanager.matchers import parse_matcher
        for text, value in {BLOW_UPS!r}:
            assert not parse_matcher(text).matches({{"v": value}})
        print("done")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert (done.returncode, done.stdout.strip()) == (0, "done"), done.stderr


@pytest.mark.parametrize(
    ("text", "value", "matches"),
    [
        ('v=~"(x+x+)+y"', "xxxy", True),
        ('v=~".*a.*b.*c.*"', "zazbzcz", True),
        ('v=~"(a|aa)*b"', "aaab", True),
        ('v=~"(a|aa)*b"', "aaa", False),
        ('v!~"[a-z]+-[0-9]+"', "node-12", False),
        ('v=~"[a-z]+-[0-9]+"', "node-12x", False),  # anchored, as Alertmanager anchors
        ('v=~"(?i)(ab)+"', "aBAb", True),
        ('v=~"(?P<n>y+)(?P<n>z+)"', "yyz", True),  # a name given twice, as Go takes it
        ('v=~"é+.*"', "éé!", True),  # matched over UTF-8 by RE2, by characters here
    ],
)
def test_patterns_run_by_re2_match_as_alertmanager_matches(
    text: str, value: str, matches: bool
) -> None:
    assert parse_matcher(text).matches({"v": value}) is matches
