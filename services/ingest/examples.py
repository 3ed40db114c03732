"""Real-shaped request bodies shown in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

ALERTMANAGER_EXAMPLE: dict[str, Any] = {
    "receiver": "tocsin",
    "status": "firing",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "NodeDown",
                "instance": "node-7:9100",
                "region": "eu-west",
                "severity": "critical",
            },
            "annotations": {"summary": "node-7 is unreachable"},
            "startsAt": "2026-11-27T06:49:15.086990123Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus:9090/graph?g0.expr=up%3D%3D0",
            "fingerprint": "a1b2c3d4e5f60718",
        }
    ],
    "groupLabels": {"alertname": "NodeDown"},
    "commonLabels": {"alertname": "NodeDown", "severity": "critical"},
    "commonAnnotations": {"summary": "node-7 is unreachable"},
    "externalURL": "http://alertmanager:9093",
    "version": "4",
    "groupKey": '{}:{alertname="NodeDown"}',
    "truncatedAlerts": 0,
}

GRAFANA_EXAMPLE: dict[str, Any] = {
    "receiver": "tocsin",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "HighLatency", "service": "checkout", "region": "eu-west"},
            "annotations": {"summary": "p99 latency above 2s"},
            "startsAt": "2026-11-27T06:50:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://grafana:3000/alerting/grafana/abc/view",
            "fingerprint": "57c6d9296de2ad39",
            "silenceURL": "http://grafana:3000/alerting/silence/new",
            "dashboardURL": "http://grafana:3000/d/checkout",
            "panelURL": "http://grafana:3000/d/checkout?viewPanel=2",
            "values": {"B": 2.3},
            "valueString": "[ var='B' labels={} value=2.3 ]",
        }
    ],
    "groupLabels": {"alertname": "HighLatency"},
    "commonLabels": {"alertname": "HighLatency"},
    "commonAnnotations": {},
    "externalURL": "http://grafana:3000/",
    "version": "1",
    "groupKey": '{}:{alertname="HighLatency"}',
    "truncatedAlerts": 0,
    "title": "[FIRING:1] HighLatency",
    "state": "alerting",
    "message": "p99 latency above 2s",
}

CANONICAL_EXAMPLE: dict[str, Any] = {
    "labels": {
        "alertname": "CheckoutConversionDrop",
        "service": "checkout",
        "region": "eu-west",
        "layer": "business",
        "severity": "critical",
    },
    "annotations": {"summary": "checkout conversion down 40% in 10 minutes"},
    "status": "firing",
}
