"""One page of a triggered incident, to alice, with its links: what a channel is asked to send."""

from __future__ import annotations

from datetime import UTC, datetime

from services.router.channels.page import Page

OPENED_AT = datetime(2024, 5, 1, 14, 3, tzinfo=UTC)
PAGE = Page(
    notification_id="inc-1/step-1/alice",
    incident_id="inc-1",
    incident_title="Checkout degraded",
    status="triggered",
    priority="P2",
    alert_count=1,
    first_alert_at=OPENED_AT,
    opened_at=OPENED_AT,
    escalation_step=1,
    target="alice",
    incident_url="https://tocsin.example/i/inc-1",
    ack_url="https://tocsin.example/a/inc-1",
    resolve_url="https://tocsin.example/r/inc-1",
)
# The page as a `NotificationRequested` carries it: without what the dispatcher adds (its id,
# the signed links).
PAGE_FIELDS = PAGE.model_dump(
    mode="json", exclude={"notification_id", "incident_url", "ack_url", "resolve_url"}
)
