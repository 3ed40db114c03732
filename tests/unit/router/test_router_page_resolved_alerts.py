"""A page sent after some of its incident's alerts stopped firing says so: the listed alert is
marked resolved and the count says how many resolved. An alert firing again is the same alert:
not counted twice, not listed twice, marked firing again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.router.channels.page import Page
from services.router.channels.render import render_slack, render_text, render_webhook
from services.router.config import RouterConfig
from services.router.directory import ConfigDirectory
from services.router.domain.engine import step
from services.router.domain.state import RouterState
from shared.alerts import Alert, Layer, Severity
from shared.events import AlertGrouped, AlertResolved, NotificationRequested, TickOccurred
from shared.events.base import Event
from tests.support.incident_events import incident_opened

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LINK = "https://tocsin.example/incidents/INC-1"
PAGING = ConfigDirectory(
    RouterConfig.model_validate(
        {
            "users": [
                {"name": name, "contacts": [{"type": "console"}]} for name in ("alice", "bob")
            ],
            "escalation_policies": [
                {
                    "name": "oncall",
                    "steps": [
                        {"delay": "0s", "notify": ["user:alice"]},
                        {"delay": "5m", "notify": ["user:bob"]},
                    ],
                }
            ],
        }
    )
)


def alert(name: str, service: str, seconds: int) -> Alert:
    return Alert(
        fingerprint=f"fp-{name}",
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.APPLICATION,
        service=service,
        labels={"alertname": name, "service": service},
        starts_at=T0 + timedelta(seconds=seconds),
        source="alertmanager",
        integration="am",
        received_at=T0 + timedelta(seconds=seconds),
    )


ERRORS, LATENCY = alert("HighErrorRate", "payments-api", 0), alert("HighLatency", "cart", 10)


def grouped(joining: Alert, seconds: int) -> AlertGrouped:
    return AlertGrouped(
        incident_id="INC-1",
        alert=joining,
        decision="grouped",
        at=T0 + timedelta(seconds=seconds),
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )


def resolved(fingerprint: str, seconds: int) -> AlertResolved:
    return AlertResolved(
        incident_id="INC-1",
        fingerprint=fingerprint,
        at=T0 + timedelta(seconds=seconds),
        rule="resolve",
        ruleset_version="v1",
        reason="test",
    )


def run(state: RouterState, *events: Event) -> list[Event]:
    """Decide on each event at its own time (and fold it in); what was decided."""
    decided: list[Event] = []
    for event in events:
        at = getattr(event, "at", None) or T0
        decided += step(state, event, at, PAGING)
    return decided


def bobs_page(*joined_and_resolved: Event) -> Page:
    state = RouterState()
    run(state, incident_opened("INC-1", T0, ERRORS, title="errors", receivers=["oncall"]))
    run(state, *joined_and_resolved)
    due = T0 + timedelta(minutes=5)
    [request] = [
        e
        for e in step(state, TickOccurred(at=due), due, PAGING)
        if isinstance(e, NotificationRequested)
    ]
    assert request.target == "bob"
    links = {"incident_url": LINK, "ack_url": LINK, "resolve_url": LINK}
    return Page.model_validate({**request.page, "notification_id": "n-1", **links})


def marks(page: Page) -> dict[str, bool]:
    return {line.alertname: line.resolved for line in page.top_alerts}


def test_an_alert_that_stopped_is_marked_resolved_on_the_next_steps_page() -> None:
    page = bobs_page(grouped(LATENCY, 10), resolved(ERRORS.fingerprint, 60))

    assert (page.alert_count, page.resolved_count) == (2, 1)
    assert marks(page) == {"HighErrorRate": True, "HighLatency": False}
    text = render_text(page).splitlines()
    assert any(line.startswith("2 alerts (1 resolved) across application") for line in text)
    assert "- HighErrorRate (critical, application, payments-api, resolved)" in text
    assert "- HighLatency (critical, application, cart)" in text
    body = render_webhook(page)
    assert body["incident"]["resolved_count"] == 1
    assert [a["resolved"] for a in body["alerts"]] == [True, False]
    fields = [field["text"] for field in render_slack(page)["blocks"][1]["fields"]]
    assert any(text.startswith("*Alerts (2, 1 resolved)*") for text in fields)


def test_every_alert_stopped_says_all_resolved() -> None:
    page = bobs_page(
        grouped(LATENCY, 10), resolved(ERRORS.fingerprint, 60), resolved(LATENCY.fingerprint, 70)
    )

    assert page.resolved_count == 2
    assert "2 alerts (all resolved)" in render_text(page)


def test_an_alert_firing_again_is_counted_once_listed_once_and_marked_firing() -> None:
    page = bobs_page(grouped(LATENCY, 10), resolved(ERRORS.fingerprint, 60), grouped(ERRORS, 120))

    assert (page.alert_count, page.resolved_count) == (2, 0)
    assert [line.alertname for line in page.top_alerts] == ["HighErrorRate", "HighLatency"]
    assert marks(page) == {"HighErrorRate": False, "HighLatency": False}
    assert "2 alerts across application" in render_text(page)


def test_while_every_alert_fires_the_page_says_nothing_of_resolution() -> None:
    page = bobs_page(grouped(LATENCY, 10))

    assert (page.alert_count, page.resolved_count) == (2, 0)
    assert "resolved" not in render_text(page).replace("Resolve:", "")


def test_a_repeat_of_a_resolved_alert_marks_it_firing_again() -> None:
    repeat = grouped(ERRORS, 120).model_copy(update={"decision": "deduplicated"})
    page = bobs_page(grouped(LATENCY, 10), resolved(ERRORS.fingerprint, 60), repeat)

    assert (page.alert_count, page.resolved_count) == (2, 0)
    assert marks(page) == {"HighErrorRate": False, "HighLatency": False}
