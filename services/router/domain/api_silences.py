"""Silences created through the API: folded into every router partition's state, and looked up
beside the config's.

An expired silence is kept until the next silence event past its end plus `KEPT_EXPIRED` (the
fold must not read a clock), so state stays bounded however many are created.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from services.router.domain.policy import Delivery, EscalationPolicy, Person, RoutingDirectory
from services.router.domain.silences import Silence, silence_for
from services.router.domain.urgency import Urgency
from shared.events.silences import SilenceCreated, SilenceExpired

KEPT_EXPIRED = timedelta(days=5)  # Alertmanager's default retention of expired silences
_RESOLUTION = timedelta(microseconds=1)


def fold_silence(silences: dict[str, Silence], event: SilenceCreated | SilenceExpired) -> None:
    match event:
        case SilenceCreated():
            silences[event.silence_id] = Silence.model_validate(
                {
                    "matchers": event.matchers,
                    "starts_at": event.starts_at,
                    "ends_at": event.ends_at,
                    "created_by": event.created_by,
                    "comment": event.comment,
                }
            )
            at = event.created_at
        case SilenceExpired(silence_id=silence_id, at=at):
            silence = silences.get(silence_id)
            last_muting = at - _RESOLUTION  # from `at` on it mutes nothing
            if silence is not None and last_muting < silence.ends_at:
                if last_muting <= silence.starts_at:
                    del silences[silence_id]  # never started: it mutes nothing, ever
                else:
                    silences[silence_id] = silence.model_copy(update={"ends_at": last_muting})
    for silence_id in [i for i, s in silences.items() if s.ends_at < at - KEPT_EXPIRED]:
        del silences[silence_id]


class SilencingDirectory:
    """The config's directory, with the API's silences muting beside the config's."""

    def __init__(self, directory: RoutingDirectory, silences: Mapping[str, Silence]) -> None:
        self._directory = directory
        self._silences = silences

    def silence_for(self, labels: Mapping[str, str], at: datetime) -> Silence | None:
        """The silence muting `labels` that ends last, of the API's and the config's."""
        found = [silence_for(self._silences.values(), labels, at)]
        found.append(self._directory.silence_for(labels, at))
        muting = [silence for silence in found if silence is not None]
        return max(muting, key=lambda silence: silence.ends_at) if muting else None

    def policy_for(self, receiver: str) -> EscalationPolicy | None:
        return self._directory.policy_for(receiver)

    def deliveries_for(self, target: str, at: datetime) -> list[Delivery]:
        return self._directory.deliveries_for(target, at)

    def urgency_of(self, labels: Mapping[str, str]) -> Urgency:
        return self._directory.urgency_of(labels)

    def resting_urgency(self) -> Urgency:
        return self._directory.resting_urgency()

    def step_release_at(self, targets: Sequence[str], urgency: Urgency, at: datetime) -> datetime:
        return self._directory.step_release_at(targets, urgency, at)

    def page_at(self, delivery: Delivery, urgency: Urgency, at: datetime) -> datetime:
        return self._directory.page_at(delivery, urgency, at)

    def user_of(self, delivery: Delivery) -> Person | None:
        return self._directory.user_of(delivery)

    def updates_for(self, delivery: Delivery) -> frozenset[str]:
        return self._directory.updates_for(delivery)

    @property
    def default_receiver(self) -> str:
        return self._directory.default_receiver


def with_silences(directory: RoutingDirectory, silences: Mapping[str, Silence]) -> RoutingDirectory:
    return SilencingDirectory(directory, silences) if silences else directory
