"""Incident views as JSON: a summary for lists, the full story for one incident."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from services.router.projection.analytics import Analytics, Spread
from services.router.projection.model import IncidentView, TimelineEntry


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def summary_json(view: IncidentView) -> dict[str, Any]:
    return {
        "id": view.incident_id,
        "title": view.title,
        "status": view.status,
        "priority": view.priority,
        "domain": view.domain,
        "services": list(view.services),
        "alert_count": len(view.alerts),
        "firing_alert_count": sum(1 for a in view.alerts.values() if a.firing),
        "opened_at": _iso(view.opened_at),
        "acknowledged_at": _iso(view.acknowledged_at),
        "acknowledged_by": view.acknowledged_by,
        "snoozed_until": _iso(view.snoozed_until),
        "resolved_at": _iso(view.resolved_at),
        "resolved_by": view.resolved_by,
        "assignee": view.assignee,
        "commander": view.commander,
        "flapping": view.flapping,
    }


def detail_json(view: IncidentView) -> dict[str, Any]:
    return {
        **summary_json(view),
        "group_key": view.group_key,
        "rule": view.rule,
        "receivers": list(view.receivers),
        "probable_cause": view.probable_cause,
        "probable_cause_reason": view.probable_cause_reason,
        "escalation_generation": view.generation,
        "alerts": [
            {
                **asdict(row),
                "first_received_at": _iso(row.first_received_at),
                "last_received_at": _iso(row.last_received_at),
            }
            for row in view.alerts.values()
        ],
        "notifications": [
            {
                **asdict(row),
                "requested_at": _iso(row.requested_at),
                "finished_at": _iso(row.finished_at),
            }
            for row in view.pages.values()
        ],
        "timeline": [_entry_json(entry) for entry in view.ordered_timeline()],
        "timeline_omitted": view.omitted,
    }


def _entry_json(entry: TimelineEntry) -> dict[str, Any]:
    return {
        "at": _iso(entry.at),
        "kind": entry.kind,
        "summary": entry.summary,
        "actor": entry.actor,
        "details": entry.details,
    }


def analytics_json(found: Analytics, since: datetime, until: datetime) -> dict[str, Any]:
    return {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "incidents": {
            "opened": found.opened,
            "still_open": found.still_open,
            "by_priority": found.by_priority,
            "flapping": found.flapping,
            "escalated": found.escalated,
        },
        "alerts": {
            "distinct": found.alerts,
            "notifications": found.notifications,
            "noise_reduction": found.noise_reduction,
        },
        "pages": {
            "sent": found.pages_sent,
            "failed": found.pages_failed,
            "by_person": found.pages_by_person,
        },
        "time_to_acknowledge_seconds": _spread_json(found.time_to_acknowledge),
        "time_to_resolve_seconds": _spread_json(found.time_to_resolve),
        "top_alerts": [
            {"alertname": t.alertname, "incidents": t.incidents, "notifications": t.notifications}
            for t in found.top_alerts
        ],
    }


def _spread_json(spread: Spread) -> dict[str, Any]:
    return {"count": spread.count, "p50": spread.p50_s, "p90": spread.p90_s, "max": spread.max_s}
