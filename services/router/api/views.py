"""Incident views as JSON: a summary for lists, the full story for one incident."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

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
