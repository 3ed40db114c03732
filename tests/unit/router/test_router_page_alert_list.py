"""A page lists at most five of its incident's alerts, chosen to lead with the business impact:
the business alerts first, then the probable cause, then the earliest others — whatever order
they joined in. Pages see the alerts only, not how they were chosen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.router.channels.page import PageAlert
from services.router.domain.facts import facts_from_opened, page_facts, updated_facts
from shared.alerts import Alert, Layer, Severity
from shared.events.incidents import IncidentProbableCauseChanged
from tests.support.incident_events import alert_grouped, incident_opened

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SERVICES = ["payments-api", "checkout", "cart", "inventory", "pricing"]


def alert(name: str, layer: Layer, seconds: int, **labels: str) -> Alert:
    return Alert(
        fingerprint=f"{name}-{labels}",
        status="firing",
        severity=Severity.CRITICAL,
        layer=layer,
        service=labels.get("service"),
        labels={"alertname": name, **labels},
        annotations={"runbook_url": f"https://runbooks.example/{name}"},
        starts_at=T0 + timedelta(seconds=seconds),
        source="alertmanager",
        integration="am",
        received_at=T0 + timedelta(seconds=seconds),
    )


def error_rates(first_second: int, services: list[str]) -> list[Alert]:
    return [
        alert("HighErrorRate", Layer.APPLICATION, first_second + i, service=service)
        for i, service in enumerate(services)
    ]


def opened_with(first: Alert) -> dict[str, Any]:
    return facts_from_opened(incident_opened("INC-1", T0, first, title=first.alertname))


def joined(facts: dict[str, Any], *alerts: Alert) -> dict[str, Any]:
    for joining in alerts:
        grouped = alert_grouped("INC-1", joining, rule="topology.runs_on", reason="test")
        facts = updated_facts(facts, grouped)
    return facts


def cause_named(facts: dict[str, Any], cause: Alert) -> dict[str, Any]:
    changed = IncidentProbableCauseChanged(
        incident_id="INC-1",
        fingerprint=cause.fingerprint,
        alertname=cause.alertname,
        resource="host:node-7",
        at=cause.received_at,
        rule="probable_cause",
        ruleset_version="v1",
        reason="NodeDown on host node-7 is likelier the root cause",
    )
    return updated_facts(facts, changed)


def listed(facts: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(line["alertname"], line["service"]) for line in page_facts(facts)["top_alerts"]]


def test_a_business_alert_joining_sixth_is_listed_with_the_probable_cause() -> None:
    node = alert("NodeDown", Layer.INFRASTRUCTURE, 0, instance="node-7")
    conversion = alert("CheckoutConversionDrop", Layer.BUSINESS, 60, metric="conversion")

    facts = joined(opened_with(node), *error_rates(20, SERVICES), conversion)

    assert facts["alert_count"] == 7
    assert listed(facts) == [
        ("NodeDown", None),
        ("HighErrorRate", "payments-api"),
        ("HighErrorRate", "checkout"),
        ("HighErrorRate", "cart"),
        ("CheckoutConversionDrop", None),
    ]


def test_a_probable_cause_named_once_five_alerts_are_listed_is_listed() -> None:
    first, *others = error_rates(0, SERVICES)
    node = alert("NodeDown", Layer.INFRASTRUCTURE, 30, instance="node-7")
    facts = joined(opened_with(first), *others, node)
    assert ("NodeDown", None) not in listed(facts)  # the earliest five, until it is the cause

    facts = cause_named(facts, node)

    assert listed(facts) == [
        ("HighErrorRate", "payments-api"),
        ("HighErrorRate", "checkout"),
        ("HighErrorRate", "cart"),
        ("HighErrorRate", "inventory"),
        ("NodeDown", None),
    ]


def test_business_alerts_and_the_cause_stay_listed_as_more_alerts_join() -> None:
    node = alert("NodeDown", Layer.INFRASTRUCTURE, 0, instance="node-7")
    conversion = alert("CheckoutConversionDrop", Layer.BUSINESS, 10, metric="conversion")
    facts = joined(opened_with(node), conversion, *error_rates(20, [*SERVICES, "search"]))

    assert listed(facts) == [
        ("NodeDown", None),
        ("CheckoutConversionDrop", None),
        ("HighErrorRate", "payments-api"),
        ("HighErrorRate", "checkout"),
        ("HighErrorRate", "cart"),
    ]


def test_a_page_carries_the_listed_alerts_and_not_how_they_were_chosen() -> None:
    node = alert("NodeDown", Layer.INFRASTRUCTURE, 0, instance="node-7")
    facts = joined(opened_with(node), *error_rates(20, SERVICES))

    page = page_facts(facts)

    assert "cause_fingerprint" not in page and "newest_unlisted" not in page
    assert [PageAlert.model_validate(line).alertname for line in page["top_alerts"]] == [
        "NodeDown",
        *["HighErrorRate"] * 4,
    ]
