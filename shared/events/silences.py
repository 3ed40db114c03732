"""Silences (maintenance windows) created and expired through the API, carried on the log.

The API writes each to every partition of the router's input (tocsin.incidents, key
`silences`), so every router partition mutes with every silence, as with the config's. They
are facts, not commands: the API checked them (Alertmanager's create-time rules) before
writing them, and nothing downstream refuses one.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from shared.events.base import Event

SILENCES_KEY = "silences"


class SilenceCreated(Event):
    type: Literal["SilenceCreated"] = "SilenceCreated"
    silence_id: str
    matchers: list[str] = Field(min_length=1)  # Alertmanager matchers, one per item
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str
    comment: str
    created_at: AwareDatetime


class SilenceExpired(Event):
    """Ended early, as Alertmanager's expire does: from `at` on it mutes nothing."""

    type: Literal["SilenceExpired"] = "SilenceExpired"
    silence_id: str
    actor: str
    at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (SilenceCreated, SilenceExpired)
