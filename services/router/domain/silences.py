"""Silences (maintenance windows) with Alertmanager 0.25's semantics, as pure functions.

A silence mutes an alert while it is active and every one of its matchers holds on the alert's
labels (a missing label reads as the empty string). States, at the instant `at`:
pending while `at < starts_at`, expired once `at > ends_at`, active in between, both ends
included. Nothing here reads the clock: the caller passes the instant.

Validation follows Alertmanager's: at least one matcher, not every matcher may match the empty
string (only `=` and `=~` are checked, `=~` unanchored, so `env=~".*"` alone is refused but
`env!="prod"` alone is accepted), `ends_at` after `starts_at`, a creator and a comment. Two
create-time checks have no meaning for a silence written in a config file and are left out:
an end in the past (the silence is simply expired) and clamping a past start to now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Annotated, Final, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from services.router.domain.matchers import Matcher, matches_all

SilenceState = Literal["pending", "active", "expired"]
# Datetimes have microsecond resolution: the first instant after `ends_at`.
_RESOLUTION: Final = timedelta(microseconds=1)


def _matchers_not_all_empty(value: tuple[Matcher, ...]) -> tuple[Matcher, ...]:
    if not value:
        raise ValueError("a silence needs at least one matcher")
    for matcher in value:
        if matcher.op in ("=~", "!~"):
            # Alertmanager compiles a silence's regex as written, without its anchors.
            matcher.unanchored_regex()
    if all(matcher.matches_empty() for matcher in value):
        raise ValueError(
            "at least one matcher must not match the empty string, "
            "or the silence would mute every alert"
        )
    return value


class Silence(BaseModel):
    """`matchers` mute matching alerts from `starts_at` to `ends_at` (UTC offsets required)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    matchers: Annotated[tuple[Matcher, ...], AfterValidator(_matchers_not_all_empty)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    created_by: str = Field(min_length=1)
    comment: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ends_after_start(self) -> Silence:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self

    @property
    def released_at(self) -> datetime:
        """The first instant at which the silence has expired (it is still active at ends_at).
        An end at the last instant a datetime holds never passes: the silence is released then."""
        return (
            self.ends_at
            if self.ends_at.replace(tzinfo=None) == datetime.max
            else self.ends_at + _RESOLUTION
        )

    def __str__(self) -> str:
        matchers = ", ".join(str(matcher) for matcher in self.matchers)
        return f"{{{matchers}}} by {self.created_by}: {self.comment}"


def silence_state(silence: Silence, at: datetime) -> SilenceState:
    """Alertmanager's state of `silence` at the instant `at`."""
    if at < silence.starts_at:
        return "pending"
    if at > silence.ends_at:
        return "expired"
    return "active"


def mutes(silence: Silence, labels: Mapping[str, str], at: datetime) -> bool:
    """Whether `silence` is active at `at` and all its matchers hold on `labels`."""
    return silence_state(silence, at) == "active" and matches_all(silence.matchers, labels)


def silence_for(
    silences: Iterable[Silence], labels: Mapping[str, str], at: datetime
) -> Silence | None:
    """The active silence muting `labels` at `at`, or None if the alert is not silenced.

    Where several mute it, the one that ends last (the first listed among equals), so that
    holding a page until its `released_at` never stops at a moment the alert is still muted
    by another silence that had already started.
    """
    found: Silence | None = None
    for silence in silences:
        if mutes(silence, labels, at) and (found is None or silence.ends_at > found.ends_at):
            found = silence
    return found


# The type of the `silences:` key, for embedding in a service's settings model.
SilenceList = tuple[Silence, ...]
