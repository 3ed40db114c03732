"""What pages say follows the correlator: a better probable cause replaces the first guess."""

from __future__ import annotations

from datetime import UTC, datetime

from services.router.domain.facts import updated_facts
from shared.events.incidents import IncidentProbableCauseChanged

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
