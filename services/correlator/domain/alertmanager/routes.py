"""Alertmanager 0.25 routing: parse a `route:` section, find the routes an alert takes.

`match_routes` is the depth-first walk of Alertmanager's `Route.Match`; `receivers_line` prints
what `amtool config routes test` prints, so the two can be compared directly.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta

from shared.alertmanager.matchers import LABEL_NAME_RE, matches_all, render_matchers, sort_matchers

from .config_fields import AlertmanagerConfigError, Section, format_location
from .durations import DurationError, parse_duration
from .route_model import DEFAULT_OPTIONS, Route, RouteMatch, RouteOptions

# Every key of an Alertmanager 0.25 route.
ROUTE_FIELDS = frozenset(
    {
        "receiver",
        "group_by",
        "continue",
        "matchers",
        "match",
        "match_re",
        "mute_time_intervals",
        "active_time_intervals",
        "group_wait",
        "group_interval",
        "repeat_interval",
        "routes",
    }
)
_INTERVAL_FIELDS = ("mute_time_intervals", "active_time_intervals")


class RouteConfigError(AlertmanagerConfigError):
    """An invalid `route:` section; the message starts with the field, e.g. `route.group_wait`."""


@dataclass(frozen=True)
class _Known:
    """Names a route may refer to; None means "not checked" (the caller has no such list)."""

    receivers: Collection[str] | None
    time_intervals: Collection[str] | None

    def check(self, section: Section, key: str, names: Iterable[str]) -> None:
        known, what = (
            (self.receivers, "receiver")
            if key == "receiver"
            else (self.time_intervals, "time interval")
        )
        for name in names:
            if known is not None and name not in known:
                raise section.fail(key, f"undefined {what} {name!r} used in route")


def parse_route(
    data: object,
    *,
    receivers: Collection[str] | None = None,
    time_intervals: Collection[str] | None = None,
) -> Route:
    """Parse the `route:` mapping into an immutable tree with inherited options.

    Given `receivers` / `time_intervals` (the names the rest of the config defines), references
    to other names are errors, as in Alertmanager.
    """
    root = Section(data, ("route",), ROUTE_FIELDS, RouteConfigError)
    _check_root(root)
    return _build(root, DEFAULT_OPTIONS, None, "0", _Known(receivers, time_intervals))


def _check_root(root: Section) -> None:
    """The root is the fallback for every alert, so it must name a receiver and match all."""
    if not root.string("receiver"):
        raise root.fail("receiver", "the root route must have a receiver")
    if root.matchers():
        key = next(key for key in ("match", "match_re", "matchers") if root.data.get(key))
        raise root.fail(key, "the root route must not have matchers")
    for key in _INTERVAL_FIELDS:
        if root.string_list(key):
            raise root.fail(key, f"the root route must not have {key}")
    if root.boolean("continue"):
        raise root.fail("continue", "the root route cannot have continue")


def _build(
    section: Section, parent: RouteOptions, parent_key: str | None, route_id: str, known: _Known
) -> Route:
    matchers = sort_matchers(section.matchers())
    own_key = render_matchers(matchers)
    route_key = own_key if parent_key is None else f"{parent_key}/{own_key}"
    options = _options(section, parent)
    receiver = section.string("receiver")
    known.check(section, "receiver", [receiver] if receiver else [])
    intervals = {key: tuple(section.string_list(key) or []) for key in _INTERVAL_FIELDS}
    for key, names in intervals.items():
        known.check(section, key, names)
    info = RouteMatch(
        route_id=route_id,
        config_path=format_location(section.location),
        route_key=route_key,
        options=options,
        continue_matching=section.boolean("continue"),
        mute_time_intervals=intervals["mute_time_intervals"],
        active_time_intervals=intervals["active_time_intervals"],
    )
    children = tuple(
        _build(child, options, route_key, f"{route_id}/{index}", known)
        for index, child in enumerate(_children(section))
    )
    return Route(matchers, info, children)


def _children(section: Section) -> list[Section]:
    routes = section.data.get("routes") or []
    if not isinstance(routes, list):
        raise section.fail("routes", "expected a list of routes")
    location = (*section.location, "routes")
    return [
        Section(child, (*location, index), ROUTE_FIELDS, RouteConfigError)
        for index, child in enumerate(routes)
    ]


def _options(section: Section, parent: RouteOptions) -> RouteOptions:
    group_by, group_by_all = _group_by(section, parent)
    return RouteOptions(
        receiver=section.string("receiver") or parent.receiver,
        group_by=group_by,
        group_by_all=group_by_all,
        group_wait=_duration(section, "group_wait", parent.group_wait, zero_ok=True),
        group_interval=_duration(section, "group_interval", parent.group_interval),
        repeat_interval=_duration(section, "repeat_interval", parent.repeat_interval),
    )


def _group_by(section: Section, parent: RouteOptions) -> tuple[tuple[str, ...], bool]:
    names = section.string_list("group_by")
    if not names:  # absent, and in 0.25 also `[]`: inherit (0.31+ reads `[]` as "no labels")
        return parent.group_by, parent.group_by_all
    if "..." in names:
        if any(name != "..." for name in names):
            raise section.fail("group_by", "'...' (group by all labels) must be alone")
        return parent.group_by, True
    for index, name in enumerate(names):
        if LABEL_NAME_RE.fullmatch(name) is None:
            raise section.error(
                (*section.location, "group_by", index), f"invalid label name {name!r}"
            )
        if name in names[:index]:
            raise section.error(
                (*section.location, "group_by", index), f"duplicated label {name!r}"
            )
    return tuple(names), False


def _duration(
    section: Section, key: str, inherited: timedelta, *, zero_ok: bool = False
) -> timedelta:
    value = section.data.get(key)
    if value is None:
        return inherited
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise section.fail(key, "expected a duration such as 30s, 5m or 1h30m")
    try:
        duration = parse_duration(str(value))
    except DurationError as err:
        raise section.fail(key, str(err)) from err
    if not duration and not zero_ok:
        raise section.fail(key, f"{key} cannot be zero")
    return duration


def match_routes(tree: Route, labels: Mapping[str, str]) -> list[RouteMatch]:
    """The routes an alert with these labels takes, in Alertmanager's order.

    Depth first, left to right: a node whose matchers fail yields nothing; otherwise its children
    are tried in order, stopping after the first that matched unless that child has `continue`;
    a node is itself a match only if none of its children matched.
    """
    if not matches_all(tree.matchers, labels):
        return []
    found: list[RouteMatch] = []
    for child in tree.routes:
        got = match_routes(child, labels)
        found += got
        if got and not child.info.continue_matching:
            break
    return found or [tree.info]


def receivers_line(tree: Route, labels: Mapping[str, str]) -> str:
    """What `amtool config routes test` prints: matched receivers, comma-separated, in order."""
    return ",".join(match.receiver for match in match_routes(tree, labels))


@dataclass(frozen=True)
class RouteExplanation:
    """One matched route, for `tocsin rules test`-style output."""

    route_id: str
    config_path: str
    receiver: str
    group_key: str

    def __str__(self) -> str:
        return f"{self.config_path} [{self.route_id}] -> {self.receiver}  group {self.group_key}"


def explain(tree: Route, labels: Mapping[str, str]) -> list[RouteExplanation]:
    """Each matched route with its config path and the group key the alert gets there."""
    return [
        RouteExplanation(m.route_id, m.config_path, m.receiver, m.group_key(labels))
        for m in match_routes(tree, labels)
    ]
