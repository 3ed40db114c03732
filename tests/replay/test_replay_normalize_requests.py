"""Replay normalizes what a line's body alone cannot say from the request parameters the export
kept: an Opsgenie close resolves the alert its URL named, an acknowledgement is skipped as
one, and lines of logs written before the parameters were kept are skipped as before; export
writes the parameters only on the lines that have them. A PagerDuty trigger stored without
`dedup_key` replays under the key ingest returned."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from services.cli.export_payloads import export_line
from services.cli.replay_input import ReplayInputError, parse_payload
from services.cli.replay_normalize import Normalized, PayloadNormalizer, Skipped
from services.ingest.config import IngestConfig
from services.ingest.normalizers import NormalizeContext, normalize_pagerduty_event
from services.ingest.normalizers.opsgenie import default_alias, opsgenie_fingerprint
from services.ingest.normalizers.pagerduty import redacted
from shared.events import PayloadReceived, deterministic_id, encode_envelope, wrap
from shared.events.inputs import RequestParameters

CONFIG = IngestConfig.model_validate(
    {
        "integrations": [
            {"name": "genie", "type": "opsgenie", "token": "g", "default_labels": {"region": "eu"}},
            {"name": "pd", "type": "pagerduty", "token": "p" * 32},
        ],
        "correlation": {"domain_labels": ["region"]},
    }
)
AT = datetime(2026, 11, 27, 6, 50, tzinfo=UTC)


def _normalized(source: str, body: Any, request: dict[str, Any] | None = None) -> Any:
    line: dict[str, Any] = {"received_at": AT, "source": source, "payload": body}
    if request is not None:
        line["request"] = request
    raw = orjson.dumps(line, option=orjson.OPT_UTC_Z)
    return PayloadNormalizer(CONFIG).normalize(parse_payload(0, raw, "in:1"))


def test_close_by_alias_resolves_the_alert_its_create_opened_on_the_integrations_domain() -> None:
    request = {"action": "close", "identifier": "checkout", "identifier_type": "alias"}

    result = _normalized("opsgenie", {"user": "bob"}, request)

    assert isinstance(result, Normalized)
    [alert] = result.alerts
    assert alert.fingerprint == opsgenie_fingerprint("genie", "checkout")
    assert (alert.status, alert.ends_at, alert.integration) == ("resolved", AT, "genie")
    assert result.keys == ("region=eu",)


def test_close_by_id_without_a_body_resolves_the_alert_with_that_fingerprint() -> None:
    fingerprint = opsgenie_fingerprint("genie", default_alias({"message": "Queue backlog"}))
    request = {"action": "close", "identifier": fingerprint, "identifier_type": None}

    result = _normalized("opsgenie", None, request)

    assert isinstance(result, Normalized)
    assert [(a.fingerprint, a.status) for a in result.alerts] == [(fingerprint, "resolved")]


def test_a_close_body_that_looks_like_a_create_is_still_a_close() -> None:
    request = {"action": "close", "identifier": "checkout", "identifier_type": "alias"}

    result = _normalized("opsgenie", {"message": "Checkout errors", "note": "done"}, request)

    assert isinstance(result, Normalized)
    assert [a.status for a in result.alerts] == ["resolved"]


def test_acknowledgement_with_its_request_is_skipped_as_an_acknowledgement() -> None:
    request = {"action": "acknowledge", "identifier": "checkout", "identifier_type": "alias"}

    assert _normalized("opsgenie", {"user": "alice"}, request) == Skipped("opsgenie acknowledge")


def test_close_of_an_older_log_without_its_request_is_skipped_as_before() -> None:
    assert _normalized("opsgenie", {"user": "bob"}) == Skipped("opsgenie close or acknowledge")
    assert _normalized("opsgenie", None) == Skipped("opsgenie close or acknowledge")


def test_close_whose_request_ingest_would_have_refused_is_skipped_as_invalid() -> None:
    request = {"action": "close", "identifier": "x", "identifier_type": "tiny"}

    assert _normalized("opsgenie", {}, request) == Skipped("invalid opsgenie payload")


@pytest.mark.parametrize(
    ("request_value", "problem"),
    [
        ("close", "in:1: request: Input should be a valid dictionary"),
        ({"action": "close"}, "in:1: request.identifier: Field required"),
        ({"action": "close", "identifier": 7}, "in:1: request.identifier: Input should be"),
    ],
)
def test_a_malformed_request_names_the_line(request_value: Any, problem: str) -> None:
    raw = orjson.dumps(
        {
            "received_at": "2026-11-27T06:50:00Z",
            "source": "opsgenie",
            "payload": {},
            "request": request_value,
        }
    )

    with pytest.raises(ReplayInputError, match=problem):
        parse_payload(0, raw, "in:1")


def test_pagerduty_trigger_stored_without_dedup_key_replays_under_the_key_ingest_returned() -> None:
    posted = {
        "routing_key": "p" * 32,
        "event_action": "trigger",
        "payload": {"summary": "Disk full", "source": "db-1", "severity": "critical"},
    }
    live = normalize_pagerduty_event(posted, NormalizeContext("pd", "pagerduty", AT))

    result = _normalized("pagerduty", redacted(posted))

    assert isinstance(result, Normalized)
    assert [alert.fingerprint for alert in result.alerts] == [live.alert.fingerprint]


def test_export_writes_the_kept_request_after_the_body_only_on_lines_that_have_one() -> None:
    request = RequestParameters(action="close", identifier="checkout", identifier_type="alias")
    event = PayloadReceived(
        integration="genie", source="opsgenie", received_at=AT, body={}, request=request
    )
    older = event.model_copy(update={"request": None})

    lines = [_exported(e) for e in (event, older)]

    assert lines[0] == {
        "received_at": "2026-11-27T06:50:00Z",
        "source": "opsgenie",
        "integration": "genie",
        "payload": {},
        "request": {"action": "close", "identifier": "checkout", "identifier_type": "alias"},
    }
    assert "request" not in lines[1]


def _exported(event: PayloadReceived) -> Any:
    envelope = wrap(event, key="genie", event_id=deterministic_id("t"), occurred_at=AT)
    found = export_line(orjson.loads(encode_envelope(envelope)), "payloads@0")
    assert found is not None
    return orjson.loads(found[1])
