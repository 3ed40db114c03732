"""Listing incidents from the read model: filters, newest first, keyset pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from services.router.projection.model import IncidentProjection, IncidentStatus, IncidentView

SortKey = tuple[datetime, str]


class InvalidCursor(ValueError):
    """A cursor this service did not hand out."""


@dataclass(frozen=True)
class IncidentFilter:
    status: IncidentStatus | None = None
    service: str | None = None
    priority: str | None = None
    since: datetime | None = None  # opened at or after
    until: datetime | None = None  # opened before

    def admits(self, view: IncidentView) -> bool:
        return (
            (self.status is None or view.status == self.status)
            and (self.service is None or self.service in view.services)
            and (self.priority is None or view.priority == self.priority)
            and (self.since is None or view.opened_at >= self.since)
            and (self.until is None or view.opened_at < self.until)
        )


@dataclass(frozen=True)
class IncidentPage:
    incidents: list[IncidentView]
    next_cursor: str | None  # None: this is the last page
    total: int  # incidents matching the filter


def select(
    projection: IncidentProjection, wanted: IncidentFilter, limit: int, cursor: str | None
) -> IncidentPage:
    """Incidents matching `wanted`, newest opened first, `limit` per page from `cursor`."""
    after = decode_cursor(cursor) if cursor else None
    matching = sorted(
        (view for view in projection.incidents.values() if wanted.admits(view)),
        key=_sort_key,
        reverse=True,
    )
    remaining = [v for v in matching if after is None or _sort_key(v) < after]
    page = remaining[:limit]
    more = len(remaining) > limit
    next_cursor = encode_cursor(_sort_key(page[-1])) if more and page else None
    return IncidentPage(page, next_cursor, len(matching))


def _sort_key(view: IncidentView) -> SortKey:
    return (view.opened_at, view.incident_id)


def encode_cursor(key: SortKey) -> str:
    text = f"{key[0].isoformat()}|{key[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, _, incident_id = text.partition("|")
        opened_at = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidCursor(f"'{cursor}' is not a cursor from this API") from None
    if opened_at.tzinfo is None or not incident_id:
        raise InvalidCursor(f"'{cursor}' is not a cursor from this API")
    return (opened_at, incident_id)
