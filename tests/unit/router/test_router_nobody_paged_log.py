"""An incident that would page nobody is reported loudly: the NobodyPaged event, the
`tocsin_router_nobody_paged_total` counter and one error log line, live only."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.metrics import RouterMetrics
from services.router.processor import RouterProcessor
from shared.events import NobodyPaged, TickOccurred, decode_envelope, deterministic_id, unwrap, wrap
from shared.events.base import Event
from tests.support.incident_events import incident_opened, node_down

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
# bob is the team's only target and has no contact method.
DIRECTORY = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [{"name": "bob", "contacts": []}],
            "escalation_policies": [
                {"name": "team", "steps": [{"delay": "0s", "notify": ["user:bob"]}]}
            ],
        }
    )
)
REASON = "step 1 targets user:bob reach nobody"


def inputs() -> list[Event]:
    """INC-1 opens at T0; its first step is due at once."""
    opened = incident_opened(
        "INC-1",
        T0,
        node_down("f1", T0),
        title="t",
        domain="d",
        group_key="g",
        rule="r",
        reason="test",
    )
    return [opened, TickOccurred(at=T0)]


def run(processor: RouterProcessor, events: list[Event], *, live: bool) -> list[Event]:
    """Apply the inputs; the events the router decided on them."""
    decided: list[Event] = []
    for count, event in enumerate(events):
        envelope = wrap(event, key="d", event_id=deterministic_id(count), occurred_at=T0)
        for out in processor.apply(envelope, event, live=live):
            decided.append(unwrap(decode_envelope(out.value)))
    return decided


def nobody_paged_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage() == "incident pages nobody"]


def test_a_live_step_that_reaches_nobody_is_logged_once_with_its_policy_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    processor = RouterProcessor(0, DIRECTORY, RouterMetrics(registry))
    with caplog.at_level(logging.WARNING, logger="services.router.metrics"):
        decided = run(processor, inputs(), live=True)
    assert [e.reason for e in decided if isinstance(e, NobodyPaged)] == [REASON]
    [record] = nobody_paged_records(caplog)
    assert record.levelno == logging.ERROR
    assert record.__dict__["incident_id"] == "INC-1"
    assert record.__dict__["policy"] == "team"
    assert record.__dict__["targets"] == ["user:bob"]
    assert record.__dict__["reason"] == REASON
    assert registry.get_sample_value("tocsin_router_nobody_paged_total") == 1


def test_recovering_a_partition_logs_nothing_for_a_step_that_reached_nobody(
    caplog: pytest.LogCaptureFixture,
) -> None:
    registry = CollectorRegistry()
    processor = RouterProcessor(0, DIRECTORY, RouterMetrics(registry))
    with caplog.at_level(logging.DEBUG, logger="services.router.metrics"):
        decided = run(processor, inputs(), live=False)
    assert [e.reason for e in decided if isinstance(e, NobodyPaged)] == [REASON]
    assert nobody_paged_records(caplog) == []
    assert registry.get_sample_value("tocsin_router_nobody_paged_total") == 0
