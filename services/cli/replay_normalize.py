"""Payloads of the export format -> canonical alerts, with the ingest normalizers (pure).

A payload is normalized as the integration that received it would have: the line's
`integration` if the config has it, else the config's first integration of that source type
(enabled ones first), else a bare integration named after the type. What ingest would not
have turned into alert notifications (acknowledgements, change events, bodies that do not
validate) is skipped and counted by reason. Heartbeat check-ins are kept as ingest makes
them, (heartbeat, correlation domain): an exported line of source `heartbeat` (posted to the
heartbeat's endpoint), or an alert matching a heartbeat's `watchdog` (ingest's `HeartbeatBook`
decides, so a resolved watchdog is no check-in); such alerts are counted, never replayed as
alerts. An Opsgenie close names its alert only in the URL: it is
normalized from the line's `request` (action, identifier, identifier_type), and skipped as
`opsgenie close or acknowledge` on lines of logs written before ingest kept it.

Alerts are keyed as ingest keys them: by the correlation domain of their labels, except those
of key-identified sources (PagerDuty, Opsgenie), keyed by the integration's default labels.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from services.cli.export_payloads import HEARTBEAT_SOURCE
from services.cli.replay_input import ReceivedPayload
from services.ingest.config import IngestConfig, IntegrationConfig
from services.ingest.heartbeats import HeartbeatBook
from services.ingest.normalizers import (
    InvalidPayload,
    LayerRule,
    NormalizeContext,
    PagerDutyAcknowledged,
    normalize_alertmanager,
    normalize_canonical,
    normalize_grafana,
    normalize_opsgenie_acknowledge,
    normalize_opsgenie_close,
    normalize_opsgenie_create,
    normalize_pagerduty_event,
)
from shared.alerts import Alert
from shared.events.inputs import HeartbeatReceived, RequestParameters
from shared.topics import domain_key

# (body, context, the request's parameters the export kept) -> alerts
Normalizer = Callable[[Any, NormalizeContext, RequestParameters | None], tuple[Alert, ...]]
KEY_IDENTIFIED = frozenset({"pagerduty", "opsgenie"})


# Named tuples, not frozen dataclasses: workers send one per payload, and a dataclass pickles
# field by field in Python.
class Skipped(NamedTuple):
    """A payload that gives no alert notification, and why (a small fixed set of reasons)."""

    reason: str


class Normalized(NamedTuple):
    """The alerts of a payload, and the record key (correlation domain) of each; the
    watchdog alerts it had, and the check-ins, (heartbeat name, domain), in order."""

    alerts: tuple[Alert, ...]
    keys: tuple[str, ...]
    watchdogs: int = 0
    check_ins: tuple[tuple[str, str], ...] = ()
    # Each alert's index in the payload as posted, when watchdogs were taken out of it (else
    # empty: the index in `alerts`): `--compare` pairs notifications by it.
    indices: tuple[int, ...] = ()

    def posted_index(self, index: int) -> int:
        return self.indices[index] if self.indices else index


def _pagerduty(body: Any, ctx: NormalizeContext, _: RequestParameters | None) -> tuple[Alert, ...]:
    if isinstance(body, dict) and "event_action" not in body:
        raise _NotAnAlert("pagerduty change event")
    event = normalize_pagerduty_event(body, ctx)
    if isinstance(event, PagerDutyAcknowledged):
        raise _NotAnAlert("pagerduty acknowledge")
    return (event.alert,)


def _opsgenie(
    body: Any, ctx: NormalizeContext, request: RequestParameters | None
) -> tuple[Alert, ...]:
    """A create, or the close or acknowledge the request names (an acknowledge is no alert)."""
    if request is None:
        if not isinstance(body, dict) or "message" not in body:
            raise _NotAnAlert("opsgenie close or acknowledge")
        return (normalize_opsgenie_create(body, ctx).alert,)
    target = (request.identifier, request.identifier_type)
    if request.action == "close":
        return (normalize_opsgenie_close(body, *target, ctx).alert,)
    if request.action == "acknowledge":
        normalize_opsgenie_acknowledge(body, *target, ctx)  # an invalid one counts as such
        raise _NotAnAlert("opsgenie acknowledge")
    raise _NotAnAlert("opsgenie unknown action")


NORMALIZERS: dict[str, Normalizer] = {
    "alertmanager": lambda body, ctx, _: normalize_alertmanager(body, ctx).alerts,
    "grafana": lambda body, ctx, _: normalize_grafana(body, ctx).alerts,
    "canonical": lambda body, ctx, _: normalize_canonical(body, ctx),
    "pagerduty": _pagerduty,
    "opsgenie": _opsgenie,
}


class _NotAnAlert(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Integration:
    name: str
    type: str
    default_labels: dict[str, str]
    layer_rules: tuple[LayerRule, ...]
    resolve_timeout: Any
    key: str


def _prepared(config: IntegrationConfig, domain_labels: list[str]) -> _Integration:
    rules = tuple(LayerRule.parse(rule.when, rule.layer) for rule in config.layer_rules)
    labels = dict(config.default_labels)
    key = domain_key(labels, domain_labels)
    return _Integration(config.name, config.type, labels, rules, config.resolve_timeout, key)


class PayloadNormalizer:
    """Turns each received payload into the alerts ingest appended for it."""

    def __init__(self, config: IngestConfig) -> None:
        ordered = sorted(config.integrations, key=lambda i: not i.enabled)
        self._domain_labels = list(config.correlation.domain_labels)
        self._limits = config.limits()
        self._heartbeats = HeartbeatBook(config.heartbeats, self._domain_labels)
        self._by_name = {i.name: _prepared(i, self._domain_labels) for i in config.integrations}
        self._by_type: dict[str, _Integration] = {}
        for integration in ordered:
            self._by_type.setdefault(integration.type, self._by_name[integration.name])

    def integration_for(self, payload: ReceivedPayload) -> _Integration:
        named = self._by_name.get(payload.integration or "")
        if named is not None and named.type == payload.source:
            return named
        found = self._by_type.get(payload.source)
        if found is None:
            key = domain_key({}, self._domain_labels)
            found = _Integration(payload.source, payload.source, {}, (), None, key)
            self._by_type[payload.source] = found
        return found

    def normalize(self, payload: ReceivedPayload) -> Normalized | Skipped:
        if payload.source == HEARTBEAT_SOURCE:
            return self._posted_check_in(payload.body)
        normalizer = NORMALIZERS.get(payload.source)
        if normalizer is None:
            return Skipped(f"unknown source {payload.source}")
        integration = self.integration_for(payload)
        context = NormalizeContext(
            integration=integration.name,
            integration_type=integration.type,
            received_at=payload.received_at,
            default_labels=integration.default_labels,
            layer_rules=integration.layer_rules,
            resolve_timeout=integration.resolve_timeout,
            limits=self._limits,
        )
        try:
            alerts = normalizer(payload.body, context, payload.request)
        except InvalidPayload:
            return Skipped(f"invalid {payload.source} payload")
        except _NotAnAlert as other:
            return Skipped(other.reason)
        kept, indices, check_ins = alerts, tuple[int, ...](), tuple[tuple[str, str], ...]()
        if self._heartbeats.has_watchdogs:
            kept, indices, check_ins = self._watchdog_check_ins(alerts, integration.name, payload)
        if payload.source in KEY_IDENTIFIED:
            keys = (integration.key,) * len(kept)
        else:
            keys = tuple(domain_key(alert.labels, self._domain_labels) for alert in kept)
        return Normalized(kept, keys, len(alerts) - len(kept), check_ins, indices)

    def _watchdog_check_ins(
        self, alerts: tuple[Alert, ...], integration: str, payload: ReceivedPayload
    ) -> tuple[tuple[Alert, ...], tuple[int, ...], tuple[tuple[str, str], ...]]:
        """The alerts that are no watchdog's with their indices in the payload (none when
        all are kept), and the check-ins of those that are."""
        kept: list[Alert] = []
        indices: list[int] = []
        check_ins: list[tuple[str, str]] = []
        for index, alert in enumerate(alerts):
            entries = self._heartbeats.watchdog_entries(alert, integration, payload.received_at)
            if entries is None:
                kept.append(alert)
                indices.append(index)
                continue
            for entry in entries:
                if isinstance(entry.event, HeartbeatReceived):
                    check_ins.append((entry.event.name, entry.key))
        all_kept = len(kept) == len(alerts)
        return tuple(kept), () if all_kept else tuple(indices), tuple(check_ins)

    def _posted_check_in(self, body: Any) -> Normalized | Skipped:
        name = body.get("name") if isinstance(body, dict) else None
        heartbeat = self._heartbeats.named(name) if isinstance(name, str) else None
        if heartbeat is None:
            return Skipped("check-in of a heartbeat the config does not have")
        return Normalized((), (), 0, ((heartbeat.name, heartbeat.key),))


# (position in received_at order, received_at, what the payload gave)
NormalizedPayload = tuple[int, datetime, Normalized | Skipped]


def normalize_in_order(
    payloads: Iterable[ReceivedPayload], normalizer: PayloadNormalizer
) -> Iterator[NormalizedPayload]:
    for payload in payloads:
        yield payload.position, payload.received_at, normalizer.normalize(payload)
