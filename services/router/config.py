"""The router's part of the Tocsin config: channels, users, escalation policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from services.router.domain.schedules import ScheduleList
from services.router.domain.schedules.model import known_time_zone
from services.router.domain.silences import SilenceList
from services.router.domain.urgency import UrgencyPolicy
from shared.durations import parse_duration

_STRICT = ConfigDict(frozen=True, extra="forbid")


class ChannelConfig(BaseModel):
    """A named notification target: a team's webhook, a Slack channel, the console."""

    model_config = _STRICT
    type: Literal["console", "webhook", "slack", "email"]
    url: str | None = None
    secret: SecretStr | None = None
    address: str | None = None
    timeout: timedelta = timedelta(seconds=10)

    _duration = field_validator("timeout", mode="before")(parse_duration)

    @model_validator(mode="after")
    def _needs_destination(self) -> ChannelConfig:
        if self.type in ("webhook", "slack") and not self.url:
            raise ValueError(f"a {self.type} channel needs a url")
        if self.type == "email" and not self.address:
            raise ValueError("an email channel needs an address")
        return self


class ContactConfig(BaseModel):
    model_config = _STRICT
    type: Literal["webhook", "slack", "email", "console"]
    url: str | None = None
    address: str | None = None
    secret: SecretStr | None = None


class UserConfig(BaseModel):
    model_config = _STRICT
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    time_zone: str = "UTC"
    contacts: list[ContactConfig] = []
    token: SecretStr | None = None

    # Low-urgency pages wait for working hours on this wall clock, so it must be a real zone.
    _known_zone = field_validator("time_zone")(known_time_zone)


class StepConfig(BaseModel):
    model_config = _STRICT
    delay: timedelta = timedelta(0)
    notify: list[str] = Field(min_length=1)

    _duration = field_validator("delay", mode="before")(parse_duration)

    @field_validator("notify")
    @classmethod
    def _known_kinds(cls, targets: list[str]) -> list[str]:
        for target in targets:
            kind, _, name = target.partition(":")
            if kind not in ("user", "schedule", "channel") or not name:
                raise ValueError(f"'{target}' must be user:NAME, schedule:NAME or channel:NAME")
        return targets


class PolicyConfig(BaseModel):
    model_config = _STRICT
    name: str
    steps: list[StepConfig] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)


class SmtpConfig(BaseModel):
    model_config = _STRICT
    host: str = "127.0.0.1"
    port: int = 25
    sender: str = "tocsin@localhost"
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None


class RouterConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    channels: dict[str, ChannelConfig] = {}
    users: list[UserConfig] = []
    escalation_policies: list[PolicyConfig] = []
    schedules: ScheduleList = ()
    # Maintenance windows: Alertmanager silences, active from starts_at to ends_at.
    silences: SilenceList = ()
    # Which pages may wait for working hours (low) and which go out at once (high).
    urgency: UrgencyPolicy = UrgencyPolicy()
    smtp: SmtpConfig = SmtpConfig()
    default_receiver: str | None = None
