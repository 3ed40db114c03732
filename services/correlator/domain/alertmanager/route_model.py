"""The parsed Alertmanager routing tree: nodes, their effective options and group keys."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from shared.alertmanager.matchers import Matcher


@dataclass(frozen=True)
class RouteOptions:
    """A node's effective options, after inheritance from its ancestors."""

    receiver: str
    group_by: tuple[str, ...]
    group_by_all: bool  # `group_by: ['...']`: every label of the alert is a group label
    group_wait: timedelta
    group_interval: timedelta
    repeat_interval: timedelta


DEFAULT_OPTIONS = RouteOptions(
    receiver="",
    group_by=(),
    group_by_all=False,
    group_wait=timedelta(seconds=30),
    group_interval=timedelta(minutes=5),
    repeat_interval=timedelta(hours=4),
)


@dataclass(frozen=True)
class RouteMatch:
    """What matching a route node means for an alert: which node, with which options.

    `route_id` is the node's position (`0` is the root, `0/2/1` the second child of the third
    child of the root), stable while the config is unchanged. `route_key` is Alertmanager's
    route key, the prefix of every group key of the node.
    """

    route_id: str
    config_path: str
    route_key: str
    options: RouteOptions
    continue_matching: bool
    mute_time_intervals: tuple[str, ...]
    active_time_intervals: tuple[str, ...]

    @property
    def receiver(self) -> str:
        return self.options.receiver

    def group_labels(self, labels: Mapping[str, str]) -> dict[str, str]:
        """The labels that identify the alert's aggregation group on this route."""
        # Empty values are left out: Alertmanager drops empty labels when an alert arrives.
        return {
            name: value
            for name, value in labels.items()
            if value and (self.options.group_by_all or name in self.options.group_by)
        }

    def group_key(self, labels: Mapping[str, str]) -> str:
        """Alertmanager 0.25's group key: `route_key:{name="value", ...}`."""
        return f"{self.route_key}:{label_set_string(self.group_labels(labels))}"


@dataclass(frozen=True)
class Route:
    """One node of the routing tree; `info` is what `match_routes` returns when it matches."""

    matchers: tuple[Matcher, ...]
    info: RouteMatch
    routes: tuple[Route, ...]


def label_set_string(labels: Mapping[str, str]) -> str:
    """Prometheus `LabelSet.String()` of 0.25: `%q`-quoted pairs, sorted as whole strings.

    Whole-string sorting puts `dc2="y"` before `dc="x"` (`2` < `=`); 0.28+ sorts by name.
    """
    pairs = sorted(f"{name}={go_quote(value)}" for name, value in labels.items())
    return "{" + ", ".join(pairs) + "}"


_GO_ESCAPES = {
    "\a": r"\a",
    "\b": r"\b",
    "\f": r"\f",
    "\n": r"\n",
    "\r": r"\r",
    "\t": r"\t",
    "\v": r"\v",
    "\\": r"\\",
    '"': r"\"",
}


def go_quote(text: str) -> str:
    """Go's `strconv.Quote` (`%q`): printable characters kept, the rest escaped."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'  # the common case, without a look at every character
    out = ['"']
    for char in text:
        code = ord(char)
        if char in _GO_ESCAPES:
            out.append(_GO_ESCAPES[char])
        elif _go_is_print(char):
            out.append(char)
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # not a valid rune in Go: printed as U+FFFD
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _go_is_print(char: str) -> bool:
    """Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and ASCII space."""
    return char == " " or unicodedata.category(char)[0] in "LMNPS"
