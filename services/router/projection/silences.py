"""The silences created through the API, as the read model shows them (`GET /api/v1/silences`).

Every router partition's copy of a silence event folds into the same view (by silence id), so
copies count once. Expired silences leave after `KEPT_EXPIRED`, as in the router's state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from services.router.domain.api_silences import KEPT_EXPIRED
from services.router.domain.silences import SilenceState
from shared.events.silences import SilenceCreated, SilenceExpired


@dataclass
class SilenceView:
    silence_id: str
    matchers: list[str]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    expired_by: str | None = None
    expired_at: datetime | None = None


def fold_silence_view(
    silences: dict[str, SilenceView], event: SilenceCreated | SilenceExpired
) -> None:
    match event:
        case SilenceCreated(silence_id=silence_id) if silence_id not in silences:
            silences[silence_id] = SilenceView(
                silence_id,
                list(event.matchers),
                event.starts_at,
                event.ends_at,
                event.created_by,
                event.comment,
                event.created_at,
            )
        case SilenceExpired(silence_id=silence_id, at=at):
            view = silences.get(silence_id)
            if view is not None and view.expired_at is None and at < view.ends_at:
                view.expired_by, view.expired_at, view.ends_at = event.actor, at, at
                # Expired before it started (Alertmanager's rule): it spanned no time.
                view.starts_at = min(view.starts_at, at)
    at = event.created_at if isinstance(event, SilenceCreated) else event.at
    for silence_id in [i for i, v in silences.items() if v.ends_at < at - KEPT_EXPIRED]:
        del silences[silence_id]


def view_state(view: SilenceView, now: datetime) -> SilenceState:
    """Alertmanager's state of an API silence at `now`; expired early counts as expired."""
    if view.expired_at is not None or now > view.ends_at:
        return "expired"
    return "pending" if now < view.starts_at else "active"
