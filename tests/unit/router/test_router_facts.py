"""What pages say follows the correlator: a better probable cause replaces the first guess."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.router.domain.facts import facts_from_opened, updated_facts
from shared.alerts import Alert, Layer, Severity
from shared.events.incidents import (
    IncidentFlapping,
    IncidentOpened,
    IncidentProbableCauseChanged,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def test_a_more_upstream_cause_replaces_the_probable_cause_on_pages() -> None:
    facts = {"probable_cause": "HighErrorRate (application)", "priority": "P2"}
    changed = IncidentProbableCauseChanged(
        incident_id="INC-1",
        fingerprint="f",
        alertname="NodeDown",
        resource="host:node-7",
        at=T0,
        rule="topology",
        ruleset_version="v1",
        reason="node-7 runs payments-api",
    )
    updated = updated_facts(facts, changed)
    assert updated["probable_cause"] == "NodeDown on host:node-7: node-7 runs payments-api"
    assert facts["probable_cause"] == "HighErrorRate (application)"


@pytest.mark.parametrize(
    ("annotations", "runbook"),
    [
        (
            {"runbook_url": "https://runbooks.example.com/NodeDown"},
            "https://runbooks.example.com/NodeDown",
        ),
        ({"runbook": " http://wiki.local/disk "}, "http://wiki.local/disk"),
        (
            {"runbook_url": "javascript:alert(1)", "runbook": "https://ok.example/x"},
            "https://ok.example/x",
        ),
        ({"runbook_url": "see the wiki"}, None),
        ({"runbook_url": "https://example.com/a\nb"}, None),
        # Non-ASCII and `{}` are percent-encoded (a valid URI); escapes already there stay.
        (
            {"runbook_url": "https://wiki.example.com/Überwachung?var-host={b}&q=%20x"},
            "https://wiki.example.com/%C3%9Cberwachung?var-host=%7Bb%7D&q=%20x",
        ),
        ({"runbook_url": "https://example.com/" + "a" * 2000}, None),  # too long to show
        ({}, None),
    ],
)
def test_the_runbook_a_page_links_is_the_first_web_link_among_the_runbook_annotations(
    annotations: dict[str, str], runbook: str | None
) -> None:
    alert = Alert(
        fingerprint="f",
        status="firing",
        severity=Severity.CRITICAL,
        layer=Layer.INFRASTRUCTURE,
        labels={"alertname": "NodeDown"},
        annotations=annotations,
        starts_at=T0,
        source="alertmanager",
        integration="prom",
        received_at=T0,
    )
    opened = IncidentOpened(
        incident_id="INC-1",
        domain="d",
        title="NodeDown",
        priority="P1",
        receivers=["team"],
        group_key="{}:{}",
        opened_at=T0,
        notify_after=T0,
        alert=alert,
        rule="route 0",
        ruleset_version="v1",
        reason="test",
    )

    [line] = facts_from_opened(opened)["top_alerts"]

    assert line["runbook_url"] == runbook


def test_a_flapping_incident_says_so_on_its_pages() -> None:
    flapping = IncidentFlapping(
        incident_id="INC-1",
        fingerprint="f",
        flaps=4,
        within=timedelta(minutes=30),
        at=T0,
        rule="correlation.flapping",
        ruleset_version="v1",
        reason="ProbeFailed resolved and fired again 4 times within 30 min (more than 3): ...",
    )

    updated = updated_facts({"priority": "P3"}, flapping)

    assert updated["flapping"] == "an alert of it resolved and fired again 4 times within 30 min"
