"""Real-shaped PagerDuty, Opsgenie and heartbeat bodies shown in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

PAGERDUTY_TRIGGER_EXAMPLE: dict[str, Any] = {
    "routing_key": "e93facc04764012d7bfb002500d5d1a6",
    "event_action": "trigger",
    "dedup_key": "srv01/mysql",
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2026-11-27T06:49:15.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.example.com",
    "links": [{"href": "https://monitoring.example.com/srv01", "text": "srv01 dashboard"}],
}

PAGERDUTY_RESOLVE_EXAMPLE: dict[str, Any] = {
    "routing_key": "e93facc04764012d7bfb002500d5d1a6",
    "event_action": "resolve",
    "dedup_key": "srv01/mysql",
}

PAGERDUTY_CHANGE_EXAMPLE: dict[str, Any] = {
    "routing_key": "737ea619db564d329ca2ef3c8cba2ba6",
    "payload": {
        "summary": "Build Success: Increase snapshot create timeout to 30 seconds",
        "timestamp": "2026-11-27T06:42:58.315+0000",
        "source": "acme-build-pipeline-tool-default-i-9999",
        "custom_details": {"build_state": "passed", "build_number": "2", "run_time": "1236s"},
    },
    "links": [{"href": "https://acme.example.com/build/2", "text": "View more details"}],
}

PAGERDUTY_ACCEPTED_EXAMPLE = {
    "status": "success",
    "message": "Event processed",
    "dedup_key": "srv01/mysql",
}
PAGERDUTY_CHANGE_ACCEPTED_EXAMPLE = {"status": "success", "message": "Change event processed"}
PAGERDUTY_INVALID_EXAMPLE = {
    "status": "invalid event",
    "message": "Event object is invalid",
    "errors": ["'payload.severity' must be one of: critical, error, warning, info"],
}

OPSGENIE_CREATE_EXAMPLE: dict[str, Any] = {
    "message": "Checkout error rate above 5%",
    "alias": "checkout-error-rate-eu-west",
    "description": "5xx ratio of checkout-api over the last 5 minutes is 7.2%",
    "tags": ["checkout", "Critical"],
    "details": {"region": "eu-west", "runbook": "https://runbooks.example.com/checkout"},
    "entity": "checkout-api",
    "source": "synthetic-checks",
    "priority": "P1",
    "user": "Monitoring Script",
    "note": "Created by the synthetic checks",
}
OPSGENIE_ACTION_EXAMPLE: dict[str, Any] = {
    "user": "Monitoring Script",
    "source": "AWS Lambda",
    "note": "Action executed via Alert API",
}
OPSGENIE_ACCEPTED_EXAMPLE = {
    "result": "Request will be processed",
    "took": 0.0,
    "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120",
}
OPSGENIE_INVALID_EXAMPLE = {
    "message": "Request body is not processable. Please check the errors.",
    "errors": {"message": "is required"},
    "took": 0.0,
    "requestId": "9ae63dd7-ed00-4c81-86f0-c4ffd33142c9",
}

HEARTBEAT_EXAMPLE: dict[str, Any] = {"note": "any body, or none: only the check-in counts"}
HEARTBEAT_ACCEPTED_EXAMPLE = {"status": "success", "heartbeat": "prometheus-eu-west"}

TOCSIN_ACCEPTED_EXAMPLE = {"status": "success", "accepted": 1}
TOCSIN_INVALID_EXAMPLE = {
    "status": "error",
    "message": "the payload is invalid",
    "errors": [{"field": "alerts[0].labels", "message": "is required"}],
}
