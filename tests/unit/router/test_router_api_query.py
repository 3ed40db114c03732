"""Listing incidents from the read model: filters and keyset pagination, newest first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from services.router.api.routes_queries import ListQuery
from services.router.projection.model import IncidentProjection, IncidentStatus, IncidentView
from services.router.projection.query import IncidentFilter, InvalidCursor, select

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def projection(*specs: tuple[str, int, IncidentStatus, str, str]) -> IncidentProjection:
    """(id, minutes after T0 opened, status, priority, service) per incident."""
    model = IncidentProjection()
    for incident_id, minutes, status, priority, service in specs:
        model.incidents[incident_id] = IncidentView(
            incident_id=incident_id,
            domain="d",
            title=incident_id,
            priority=priority,
            opened_at=T0 + timedelta(minutes=minutes),
            group_key="g",
            rule="r",
            receivers=[],
            status=status,
            services=[service],
        )
    return model


MODEL = projection(
    ("INC-a", 0, "resolved", "P1", "checkout"),
    ("INC-b", 10, "triggered", "P2", "checkout"),
    ("INC-c", 20, "acknowledged", "P1", "search"),
    ("INC-d", 30, "triggered", "P1", "checkout"),
)


def ids(wanted: IncidentFilter, limit: int = 50, cursor: str | None = None) -> list[str]:
    return [v.incident_id for v in select(MODEL, wanted, limit, cursor).incidents]


def test_incidents_are_listed_newest_first() -> None:
    assert ids(IncidentFilter()) == ["INC-d", "INC-c", "INC-b", "INC-a"]


def test_filters_combine() -> None:
    assert ids(IncidentFilter(status="triggered")) == ["INC-d", "INC-b"]
    assert ids(IncidentFilter(service="checkout", priority="P1")) == ["INC-d", "INC-a"]


def test_since_includes_and_until_excludes_the_instant() -> None:
    window = IncidentFilter(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=30))
    assert ids(window) == ["INC-c", "INC-b"]


def test_pages_follow_each_other_through_the_cursor_until_the_last() -> None:
    first = select(MODEL, IncidentFilter(), 3, None)
    assert [v.incident_id for v in first.incidents] == ["INC-d", "INC-c", "INC-b"]
    assert first.total == 4 and first.next_cursor is not None
    second = select(MODEL, IncidentFilter(), 3, first.next_cursor)
    assert [v.incident_id for v in second.incidents] == ["INC-a"]
    assert second.next_cursor is None


def test_a_cursor_not_from_this_api_is_refused() -> None:
    with pytest.raises(InvalidCursor):
        select(MODEL, IncidentFilter(), 3, "bm90LWEtY3Vyc29y")


@pytest.mark.parametrize("text", ["44754", "1764226200.5", "27/11/2026", "2026-11-27"])
def test_a_time_filter_that_is_no_rfc_3339_date_time_is_refused(text: str) -> None:
    with pytest.raises(ValidationError, match="RFC 3339 date-time"):
        ListQuery.model_validate({"until": text})


def test_a_time_filter_in_rfc_3339_is_read_with_its_offset() -> None:
    query = ListQuery.model_validate({"since": "2026-11-27T11:00:00+01:00"})
    assert query.since == T0


@pytest.mark.parametrize(
    ("text", "listed"),
    [
        ("2026-11-27T10:10:00.0000005Z", ["INC-d", "INC-c"]),  # just after INC-b opened
        ("2026-11-27T10:10:00.000000000Z", ["INC-d", "INC-c", "INC-b"]),
        ("2026-11-27T10:09:59.9999999Z", ["INC-d", "INC-c", "INC-b"]),
    ],
)
def test_a_time_finer_than_a_microsecond_keeps_at_or_after_exact(
    text: str, listed: list[str]
) -> None:
    query = ListQuery.model_validate({"since": text})

    assert ids(IncidentFilter(since=query.since)) == listed


def test_until_finer_than_a_microsecond_keeps_the_instant_before_it() -> None:
    query = ListQuery.model_validate({"until": "2026-11-27T10:10:00.0000001Z"})

    assert ids(IncidentFilter(until=query.until)) == ["INC-b", "INC-a"]


def test_a_bad_time_with_a_long_fraction_is_refused_as_any_bad_time() -> None:
    with pytest.raises(ValidationError, match="month value is outside expected range"):
        ListQuery.model_validate({"since": "2026-13-27T10:10:00.0000001Z"})
