"""The router's part of the Tocsin config: channels, users, escalation policies."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from services.router.domain.schedules import ScheduleList
from services.router.domain.schedules.model import known_time_zone
from services.router.domain.silences import SilenceList
from services.router.domain.urgency import UrgencyPolicy
from shared.durations import parse_duration

_STRICT = ConfigDict(frozen=True, extra="forbid")
_HTTP_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)


class ChannelConfig(BaseModel):
    """A named notification target: a team's webhook, a Slack channel, the console."""

    model_config = _STRICT
    type: Literal["console", "webhook", "slack", "email"]
    url: str | None = None
    secret: SecretStr | None = None
    address: str | None = None
    timeout: timedelta = timedelta(seconds=10)
    # Changes of an incident this channel paged about that it is told of too (people are
    # paged, never updated: nobody is woken to hear it is resolved).
    updates: list[Literal["acknowledged", "resolved"]] = ["acknowledged", "resolved"]

    _duration = field_validator("timeout", mode="before")(parse_duration)

    @model_validator(mode="after")
    def _needs_destination(self) -> ChannelConfig:
        needs_destination(self.type, self.url, self.address, "channel")
        return self


class ContactConfig(BaseModel):
    model_config = _STRICT
    type: Literal["webhook", "slack", "email", "console"]
    url: str | None = None
    address: str | None = None
    secret: SecretStr | None = None

    @model_validator(mode="after")
    def _needs_destination(self) -> ContactConfig:
        needs_destination(self.type, self.url, self.address, "contact")
        return self


def needs_destination(kind: str, url: str | None, address: str | None, what: str) -> None:
    """Refuse at load time what the dispatcher could not send to. A URL is absolute http(s),
    or a path alone, which means this Tocsin's own address (the demo inbox)."""
    if kind in ("webhook", "slack"):
        if not url:
            raise ValueError(f"a {kind} {what} needs a url")
        try:
            _HTTP_URL.validate_python("http://tocsin" + url if url.startswith("/") else url)
        except ValidationError:
            # The URL itself is not repeated: a Slack webhook URL embeds its token.
            raise ValueError(f"a {kind} url must be http(s)://host/... or a path") from None
    if kind == "email" and not address:
        raise ValueError(f"an email {what} needs an address")


class UserConfig(BaseModel):
    model_config = _STRICT
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    time_zone: str = "UTC"
    contacts: list[ContactConfig] = []
    token: SecretStr | None = None

    # Low-urgency pages wait for working hours on this wall clock, so it must be a real zone.
    _known_zone = field_validator("time_zone")(known_time_zone)


TARGET_KINDS = ("user", "schedule", "team", "channel")


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
            if kind not in TARGET_KINDS or not name:
                raise ValueError(
                    f"'{target}' must be user:NAME, schedule:NAME, team:NAME or channel:NAME"
                )
        return targets


class TeamConfig(BaseModel):
    """People paged together: a step's `team:NAME` pages every member; a route's receiver
    naming the team runs its `escalation_policy`, or pages every member at once."""

    model_config = _STRICT
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    members: list[str] = Field(min_length=1)
    escalation_policy: str | None = None


class PolicyConfig(BaseModel):
    model_config = _STRICT
    name: str
    steps: list[StepConfig] = Field(min_length=1)
    repeat: int = Field(default=0, ge=0, le=10)


class SmtpConfig(BaseModel):
    """Checked as the email channel's settings are (`EmailSettings`): what `rules check`
    passes, the dispatcher can build."""

    model_config = _STRICT
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = Field(default="tocsin@localhost", min_length=3)
    starttls: bool = False
    username: str | None = None
    password: SecretStr | None = None

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> SmtpConfig:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be set together")
        return self


class RouterConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    channels: dict[str, ChannelConfig] = {}
    users: list[UserConfig] = []
    teams: list[TeamConfig] = []
    escalation_policies: list[PolicyConfig] = []
    schedules: ScheduleList = ()
    # Maintenance windows: Alertmanager silences, active from starts_at to ends_at.
    silences: SilenceList = ()
    # Which pages may wait for working hours (low) and which go out at once (high).
    urgency: UrgencyPolicy = UrgencyPolicy()
    smtp: SmtpConfig = SmtpConfig()
    default_receiver: str | None = None
