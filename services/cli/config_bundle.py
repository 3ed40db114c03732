"""The whole Tocsin config file, validated section by section with file:line errors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from services.correlator.config import CorrelatorConfig, LifecycleConfig
from services.correlator.domain.alertmanager import (
    ROUTE_FIELDS,
    AlertmanagerConfigError,
    parse_inhibit_rules,
    parse_route,
)
from services.ingest.config import CorrelationDomainConfig, IngestConfig
from services.router.api.config import ApiConfig
from services.router.config import PolicyConfig, RouterConfig, TeamConfig, UserConfig
from services.router.references import receivers_of, reference_problems
from shared.config.unknown_keys import (
    ALERTMANAGER_ONLY,
    ROUTE_TIME_INTERVALS,
    ROUTE_TIME_INTERVALS_MESSAGE,
    unknown_key_problems,
)
from shared.config.yaml_source import (
    ConfigError,
    ConfigSource,
    parse_config_text,
    read_config_text,
)

DEMO_CONFIG = "demo.yaml"

S = TypeVar("S", bound=BaseModel)
Location = tuple[str | int, ...]
Problem = tuple[Location, str]

# Every key some section reads; `x-...` keys are free for YAML anchors.
_TOP_LEVEL = frozenset(
    {*IngestConfig.model_fields, *CorrelatorConfig.model_fields, *RouterConfig.model_fields, "api"}
)
# The keys of an Alertmanager 0.25 route that Tocsin acts on.
_ROUTE_FIELDS = ROUTE_FIELDS - set(ROUTE_TIME_INTERVALS)
_INHIBIT_FIELDS = frozenset(
    {f"{side}_{key}" for side in ("source", "target") for key in ("match", "match_re", "matchers")}
    | {"equal"}
)
# Deeper trees are refused: the correlator walks them recursively (real ones are a few deep).
MAX_ROUTE_DEPTH = 100
# The receiver of the root a child route is checked under, when receivers are not checked.
_PARENT = "parent"


@dataclass(frozen=True)
class TocsinConfig:
    source: ConfigSource
    version: str  # hash of the file's text: every decision names the rule set it came from
    ingest: IngestConfig
    correlator: CorrelatorConfig
    router: RouterConfig
    api: ApiConfig
    text: str = ""  # the file as read: what a rule set activation carries through the log


def _validated(source: ConfigSource, text: str) -> TocsinConfig:
    """Every section checked, and what is wrong reported at once: the references and rules
    of the router's section are checked whenever that section itself is valid and no section
    is misspelt, whatever else is wrong; the route tree and inhibit rules always, node by node
    (their receivers only when the references are checked)."""
    misspelt = list(_unknown_sections(source))
    unknown = [*misspelt, *_unknown_correlation_keys(source)]
    problems = [source.error(where, message) for where, message in unknown]
    ingest = _section(source, IngestConfig, (), problems)
    # The Alertmanager sections' shapes are judged by `_route_problems` and `_inhibit_problems`.
    correlator = _section(_alertmanager_shaped(source), CorrelatorConfig, (), problems)
    router = _section(source, RouterConfig, (), problems)
    api = _section(source, ApiConfig, ("api",), problems)
    if misspelt:
        # It may be one that defines names (`escalation_polices`): everything it defines
        # would be reported undefined. References wait until every section is known.
        router = None
    if router is not None:
        problems.extend(source.error(where, message) for where, message in _names(router))
        problems.extend(
            source.error(where, message) for where, message in reference_problems(router)
        )
        if api is not None:
            problems.extend(_shared_tokens(source, router, api))
    receivers = receivers_of(router) if router is not None else set()
    problems.extend(
        source.error(where, message) for where, message in _route_problems(source, receivers)
    )
    problems.extend(source.error(where, message) for where, message in _inhibit_problems(source))
    if problems:
        raise ConfigError(_by_line(source, problems))
    assert ingest is not None and correlator is not None and router is not None
    assert api is not None
    version = hashlib.sha256(text.encode()).hexdigest()[:12]
    return TocsinConfig(source, version, ingest, correlator, router, api, text)


def _section(
    source: ConfigSource, model: type[S], location: tuple[str, ...], problems: list[str]
) -> S | None:
    """The section as `model`, or None with its problems added to `problems`."""
    try:
        return source.validate(model, location)
    except ConfigError as invalid:
        problems.extend(invalid.problems)
        return None


def _unknown_sections(source: ConfigSource) -> Iterator[Problem]:
    """Top-level keys no section reads (and what an alertmanager.yml has that Tocsin does not
    read)."""
    yield from unknown_key_problems(
        source.data,
        (),
        _TOP_LEVEL,
        what="section",
        refused=ALERTMANAGER_ONLY,
        extensions=True,
    )


def _unknown_correlation_keys(source: ConfigSource) -> Iterator[Problem]:
    """Keys of `correlation:` that none of its readers know."""
    known = set(LifecycleConfig.model_fields) | set(CorrelationDomainConfig.model_fields)
    yield from unknown_key_problems(source.data.get("correlation"), ("correlation",), known)


def _alertmanager_shaped(source: ConfigSource) -> ConfigSource:
    """`source` with a `route` / `inhibit_rules` of the wrong shape left out: `_route_problems`
    and `_inhibit_problems` say what is wrong with them, with Alertmanager's words."""
    data = dict(source.data)
    if not isinstance(data.get("route", {}), dict):
        del data["route"]
    rules = data.get("inhibit_rules")
    if rules is not None and not (
        isinstance(rules, list) and all(isinstance(rule, dict) for rule in rules)
    ):
        del data["inhibit_rules"]
    return replace(source, data=data)


def _names(router: RouterConfig) -> Iterator[Problem]:
    """Users, teams and escalation policies are named once each: a second definition would
    silently replace the first (schedules, integrations and heartbeats check their own)."""
    sections: tuple[tuple[str, Sequence[UserConfig | TeamConfig | PolicyConfig]], ...] = (
        ("users", router.users),
        ("teams", router.teams),
        ("escalation_policies", router.escalation_policies),
    )
    for key, items in sections:
        first: dict[str, int] = {}
        for index, item in enumerate(items):
            if item.name in first:
                message = f"{item.name!r} is defined twice (first as {key}.{first[item.name]})"
                yield (key, index, "name"), message
            else:
                first[item.name] = index


def _route_problems(source: ConfigSource, receivers: set[str]) -> list[Problem]:
    """Every node of the route tree checked on its own (what `parse_route` checks is all about
    one node), so that every wrong node is reported, each at the line of what is wrong. With no
    receivers defined (a pasted Alertmanager tree, for back-testing) receiver names are not
    checked."""
    if "route" not in source.data:
        if not receivers:
            return []  # everything goes to the default receiver
        return [
            (
                ("route",),
                "missing: add a route whose receiver names a policy, channel, user or team",
            )
        ]
    known = receivers or None
    problems: list[Problem] = []
    nodes: list[tuple[Location, object]] = [(("route",), source.data["route"])]
    while nodes:
        location, node = nodes.pop()
        problems.extend(_node_problems(location, node, known))
        children = node.get("routes") if isinstance(node, dict) else None
        if not isinstance(children, list) or not children:
            continue
        if (len(location) - 1) // 2 >= MAX_ROUTE_DEPTH:  # the depth of this node
            message = f"routes nested deeper than {MAX_ROUTE_DEPTH} levels"
            problems.append(((*location, "routes"), message))
            continue
        routes = (*location, "routes")
        nodes.extend(reversed([((*routes, i), child) for i, child in enumerate(children)]))
    return problems


def _node_problems(location: Location, node: object, receivers: set[str] | None) -> list[Problem]:
    """What is wrong with one route node itself (its children are other nodes)."""
    problems = list(
        unknown_key_problems(
            node,
            location,
            _ROUTE_FIELDS,
            refused=dict.fromkeys(ROUTE_TIME_INTERVALS, ROUTE_TIME_INTERVALS_MESSAGE),
        )
    )
    if isinstance(node, dict):
        children = node.get("routes")
        if children is not None and not isinstance(children, list):
            problems.append(((*location, "routes"), "expected a list of routes"))
        node = {k: v for k, v in node.items() if k in _ROUTE_FIELDS and k != "routes"}
    is_root = location == ("route",)
    # A child is checked as the only child of a root that matches everything.
    parent = min(receivers) if receivers else _PARENT  # a receiver the check knows
    inside = ("route",) if is_root else ("route", "routes", 0)
    # The parser stops at a node's first problem: the field it names is left out and the node
    # read again, so each wrong field of it is reported.
    left_out: set[str] = set()
    while True:
        tree = node if is_root else {"receiver": parent, "routes": [node]}
        try:
            parse_route(tree, receivers=receivers)
            return problems
        except AlertmanagerConfigError as invalid:
            rest = invalid.location[len(inside) :]
            problems.append(((*location, *rest), _message(invalid)))
            field = rest[0] if rest else None
            if not isinstance(node, dict) or not isinstance(field, str) or field in left_out:
                return problems
            left_out.add(field)
            node = {k: v for k, v in node.items() if k != field}
            if field == "receiver":  # the root needs one: a receiver the check knows
                node["receiver"] = parent


def _inhibit_problems(source: ConfigSource) -> list[Problem]:
    """Every inhibit rule checked on its own: all wrong rules are reported at once."""
    rules = source.data.get("inhibit_rules")
    if not isinstance(rules, list):
        try:
            parse_inhibit_rules(rules)
        except AlertmanagerConfigError as invalid:
            return [(invalid.location, _message(invalid))]
        return []
    problems: list[Problem] = []
    for index, rule in enumerate(rules):
        unknown = list(unknown_key_problems(rule, ("inhibit_rules", index), _INHIBIT_FIELDS))
        if unknown:
            problems.extend(unknown)
            continue
        try:
            parse_inhibit_rules([rule])
        except AlertmanagerConfigError as invalid:
            where = ("inhibit_rules", index, *invalid.location[2:])
            problems.append((where, _message(invalid)))
    return problems


def _message(invalid: AlertmanagerConfigError) -> str:
    return str(invalid).split(": ", 1)[-1]


def _by_line(source: ConfigSource, problems: list[str]) -> list[str]:
    """In the order of the file (problems of one line in the order found; those of no line
    first), each once."""
    prefix = f"{source.path}:"

    def line(problem: str) -> int:
        number = problem[len(prefix) :].split(":", 1)[0] if problem.startswith(prefix) else ""
        return int(number) if number.isdigit() else 0

    return sorted(dict.fromkeys(problems), key=line)


def _shared_tokens(source: ConfigSource, router: object, api: ApiConfig) -> list[str]:
    """API tokens identify one person or service account each: a shared one is ambiguous."""
    assert isinstance(router, RouterConfig)
    owners: dict[str, list[tuple[str, Location]]] = {}
    for index, user in enumerate(router.users):
        if user.token is not None:
            where: Location = ("users", index, "token")
            owners.setdefault(user.token.get_secret_value(), []).append(
                (f"user {user.name}", where)
            )
    for index, account in enumerate(api.service_accounts):
        where = ("api", "service_accounts", index, "token")
        owners.setdefault(account.token.get_secret_value(), []).append(
            (f"account {account.name}", where)
        )
    # At each token after the first in the file: a line to change (the message names no token).
    for shared in owners.values():
        shared.sort(key=lambda owner: source.line_of(owner[1]) or 0)
    return [
        source.error(
            where, f"{' and '.join(name for name, _ in shared)} share one token; give each its own"
        )
        for shared in owners.values()
        for _, where in shared[1:]
    ]


def check_config_text(text: str, path: str) -> TocsinConfig:
    """The config file's `text` validated as `tocsin rules check` does (ConfigError listing
    every problem as `path:line: field: message`); the rule reload endpoint calls it too."""
    return _validated(parse_config_text(text, path), text)


def load_tocsin_config(path: Path | None) -> TocsinConfig:
    """The config at `path`, or the bundled demo configuration when none is given."""
    if path is None:
        text = resources.files("services.cli").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
        return check_config_text(text, f"(built-in {DEMO_CONFIG})")
    text = read_config_text(path)  # read once: the version hashes the text that was parsed
    return check_config_text(text, str(path))
