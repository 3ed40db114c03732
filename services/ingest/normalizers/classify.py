"""Derive severity, layer, service and team from an alert's labels.

Severity: the `severity` label, read through `SEVERITY_ALIASES` (case-insensitive); anything else
or no label at all means `warning`.

Layer, first that applies:
1. an explicit `layer` label whose value is infrastructure, application or business;
2. the first configured layer rule whose conditions all hold;
3. the heuristic: a host-ish label (`INFRASTRUCTURE_HINTS`) and no `service`/`app` label means
   infrastructure; anything else is application. Business is never guessed.

Service: label `service`, else `app`, else (last resort) `job`. Team: label `team`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from shared.alertmanager.re2_dialect import RegexSyntaxError
from shared.alertmanager.regex_engine import CompiledRegex, compile_anchored
from shared.alerts import Layer, Severity

# The table, one row per severity; label values are matched case-insensitively.
_SEVERITY_TABLE: Mapping[Severity, str] = {
    Severity.CRITICAL: "critical crit fatal emergency emerg disaster page p1 sev1",
    Severity.ERROR: "error err high major p2 sev2",
    Severity.WARNING: "warning warn medium average minor p3 sev3",
    Severity.INFO: "info information informational notice low debug none ok p4 p5 sev4 sev5",
}
SEVERITY_ALIASES: Mapping[str, Severity] = {
    alias: severity for severity, aliases in _SEVERITY_TABLE.items() for alias in aliases.split()
}
DEFAULT_SEVERITY = Severity.WARNING
INFRASTRUCTURE_HINTS = frozenset(
    {"instance", "node", "nodename", "host", "hostname", "device", "mountpoint"}
)
_LAYERS = frozenset(layer.value for layer in Layer)
_SERVICE_LABELS = ("service", "app", "job")
_SERVICE_MARKERS = frozenset({"service", "app"})
_CONDITION = re.compile(
    r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|=)\s*("(?:[^"\\]|\\.)*"|[^,"]*?)\s*(?:,|\Z)',
    re.ASCII,
)


@dataclass(frozen=True, slots=True)
class LabelCondition:
    """`name=value` or `name=~regex` (anchored); a missing label counts as the empty string."""

    name: str
    value: str
    regex: CompiledRegex | None = None  # anchored

    def holds(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.regex is None:
            return actual == self.value
        return self.regex.search(actual) is not None


@dataclass(frozen=True, slots=True)
class LayerRule:
    """All `conditions` hold -> the alert speaks for `layer`. No conditions matches everything."""

    conditions: tuple[LabelCondition, ...]
    layer: Layer

    @classmethod
    def parse(cls, text: str, layer: Layer | str) -> LayerRule:
        """E.g. `LayerRule.parse('job=~"node.*",env=prod', "infrastructure")`; ValueError if bad."""
        return cls(parse_conditions(text), Layer(layer))

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(condition.holds(labels) for condition in self.conditions)


class Classification(NamedTuple):
    """A named tuple: one is made per alert, and a frozen dataclass costs more to build."""

    severity: Severity
    layer: Layer
    service: str | None
    team: str | None


def parse_conditions(text: str) -> tuple[LabelCondition, ...]:
    """Comma-separated `name=value` / `name=~regex`, optionally in `{...}`.

    Values may be quoted (`"a,b"`, escapes `\\"`, `\\\\`, `\\n`). Raises ValueError: this is
    configuration, so it fails at startup rather than per payload.
    """
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    conditions: list[LabelCondition] = []
    position = 0
    while body[position:].strip():
        match = _CONDITION.match(body, position)
        if match is None or match.end() == position:
            raise ValueError(f"malformed layer rule condition at {body[position:]!r}")
        name, operator, raw_value = match.groups()
        conditions.append(_condition(name, operator, _unquote(raw_value)))
        position = match.end()
    return tuple(conditions)


def _condition(name: str, operator: str, value: str) -> LabelCondition:
    if operator == "=":
        return LabelCondition(name, value)
    # RE2, as route matchers: a backtracking pattern must not hold ingest on a long label.
    try:
        return LabelCondition(name, value, compile_anchored(value))
    except (RegexSyntaxError, re.error) as error:
        raise ValueError(f"invalid regex for {name}: {error}") from error
    except RecursionError:
        raise ValueError(f"invalid regex for {name}: groups nest too deeply") from None


def _unquote(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], raw[1:-1])


def severity_from_label(value: str | None) -> Severity:
    if value is None:
        return DEFAULT_SEVERITY
    return SEVERITY_ALIASES.get(value.strip().lower(), DEFAULT_SEVERITY)


def derive_layer(labels: Mapping[str, str], rules: tuple[LayerRule, ...]) -> Layer:
    explicit = labels.get("layer", "").strip().lower()
    if explicit in _LAYERS:
        return Layer(explicit)
    for rule in rules:
        if rule.matches(labels):
            return rule.layer
    host_ish = not INFRASTRUCTURE_HINTS.isdisjoint(labels)
    if host_ish and _SERVICE_MARKERS.isdisjoint(labels):
        return Layer.INFRASTRUCTURE
    return Layer.APPLICATION


def derive_service(labels: Mapping[str, str]) -> str | None:
    for name in _SERVICE_LABELS:
        value = labels.get(name)
        if value:
            return value
    return None


def classify(labels: Mapping[str, str], rules: tuple[LayerRule, ...]) -> Classification:
    """Everything Tocsin derives from labels alone (done for every alert: the severity and
    service rules are written out here rather than called)."""
    severity = labels.get("severity")
    return Classification(
        DEFAULT_SEVERITY
        if severity is None
        else SEVERITY_ALIASES.get(severity.strip().lower(), DEFAULT_SEVERITY),
        derive_layer(labels, rules),
        labels.get("service") or labels.get("app") or labels.get("job") or None,
        labels.get("team") or None,
    )
