"""The shortcuts of ingest's per-alert path give what the general code gives: record keys,
events built without validation, the derivations of `classify`, per-request contexts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from services.ingest.normalizers.classify import (
    Classification,
    LayerRule,
    classify,
    derive_layer,
    derive_service,
    severity_from_label,
)
from services.ingest.normalizers.context import NormalizeContext
from services.ingest.normalizers.unvalidated import unvalidated_received
from shared.alerts import Alert, Layer, Severity
from shared.events.inputs import AlertReceived
from shared.topics import domain_key, domain_keyer

NAMES = st.sampled_from(["region", "cluster", "env", "severity", "service", "app", "job", "team"])
VALUES = st.sampled_from(["", "eu", "P1", "Crit", " warning ", "db", "infrastructure"]) | st.text(
    max_size=6
)
LABELS = st.dictionaries(NAMES | st.text(max_size=4), VALUES, max_size=6)
RULES = (LayerRule.parse('service=~"db|cache-.*"', "infrastructure"),)


@settings(max_examples=300, deadline=None)
@given(names=st.lists(NAMES, max_size=3, unique=True), labels=LABELS)
def test_a_keyer_gives_the_domain_key_of_any_labels(
    names: list[str], labels: dict[str, str]
) -> None:
    assert domain_keyer(names)(labels) == domain_key(labels, names)


@settings(max_examples=300, deadline=None)
@given(labels=LABELS, rules=st.sampled_from([(), RULES]))
def test_classify_gives_what_each_derivation_gives(
    labels: dict[str, str], rules: tuple[LayerRule, ...]
) -> None:
    assert classify(labels, rules) == Classification(
        severity_from_label(labels.get("severity")),
        derive_layer(labels, rules),
        derive_service(labels),
        labels.get("team") or None,
    )


def test_an_unvalidated_alert_received_is_the_validated_event() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    alert = Alert(
        fingerprint="ff87fab9a4226e28",
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        labels={"alertname": "NodeDown", "region": "eu"},
        starts_at=at,
        source="canonical",
        integration="json",
        received_at=at,
    )

    event = unvalidated_received(alert)

    validated = AlertReceived(alert=alert)
    assert event == validated
    assert event.model_fields_set == validated.model_fields_set
    assert list(event.__dict__) == list(validated.__dict__)
    assert event.model_dump_json() == validated.model_dump_json()


def test_a_context_at_another_time_is_the_context_made_for_that_time() -> None:
    template = NormalizeContext(
        "json",
        "canonical",
        datetime(2026, 1, 1, tzinfo=UTC),
        default_labels={"env": "prod"},
        layer_rules=RULES,
        resolve_timeout=timedelta(minutes=5),
    )
    later = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))

    ctx = template.at(later)

    assert ctx == NormalizeContext(
        "json",
        "canonical",
        later,
        default_labels={"env": "prod"},
        layer_rules=RULES,
        resolve_timeout=timedelta(minutes=5),
    )
    assert ctx.received_at.tzinfo is UTC
    assert template.received_at == datetime(2026, 1, 1, tzinfo=UTC)
