"""What a normalizer needs besides the payload: the integration's configuration and the time."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from services.ingest.normalizers.classify import LayerRule
from services.ingest.normalizers.limits import LABEL_NAME, Limits


@dataclass(frozen=True, slots=True)
class NormalizeContext:
    """One request's inputs other than its body; built by the ingest adapter.

    `received_at` replaces the clock: normalizers never read it. `resolve_timeout` gives
    firing alerts that arrive without an end `ends_at = received_at + resolve_timeout`
    (Alertmanager API semantics); leave it None for sources that send explicit resolves.
    `default_labels` sit under the payload's labels: the payload wins on conflicts.
    """

    integration: str
    integration_type: str
    received_at: datetime
    default_labels: Mapping[str, str] = field(default_factory=dict)
    layer_rules: tuple[LayerRule, ...] = ()
    resolve_timeout: timedelta | None = None
    limits: Limits = field(default_factory=Limits)

    def __post_init__(self) -> None:
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        if self.resolve_timeout is not None and self.resolve_timeout <= timedelta(0):
            raise ValueError("resolve_timeout must be positive")
        for name, value in self.default_labels.items():
            if not LABEL_NAME.fullmatch(name) or not isinstance(value, str) or not value:
                raise ValueError(f"invalid default label {name!r}")
        # Frozen means frozen: copy the mapping so the caller cannot change it afterwards.
        object.__setattr__(self, "received_at", self.received_at.astimezone(UTC))
        object.__setattr__(self, "default_labels", MappingProxyType(dict(self.default_labels)))
        object.__setattr__(self, "layer_rules", tuple(self.layer_rules))

    def at(self, received_at: datetime) -> NormalizeContext:
        """This context for a request received at `received_at` (aware). Ingest makes one per
        request from its integration's context: what `__post_init__` checked and copied holds
        for it already, so only the time is checked and set."""
        if received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        ctx = object.__new__(NormalizeContext)
        for name in _FIELDS:
            object.__setattr__(ctx, name, getattr(self, name))
        object.__setattr__(ctx, "received_at", received_at.astimezone(UTC))
        return ctx


_FIELDS = tuple(field.name for field in fields(NormalizeContext))
