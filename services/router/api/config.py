"""The `api:` section of the Tocsin config: who may call the incidents API, and for how long
one-click links in pages work."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from shared.config.yaml_source import ConfigSource
from shared.durations import parse_duration

_STRICT = ConfigDict(frozen=True, extra="forbid")


class ServiceAccountConfig(BaseModel):
    """A machine caller (chatops bot, runbook automation); acts as `service:<name>`."""

    model_config = _STRICT
    name: str = Field(pattern=r"^[A-Za-z0-9_.@-]+$")
    token: SecretStr

    @field_validator("token")
    @classmethod
    def _long_enough(cls, token: SecretStr) -> SecretStr:
        if len(token.get_secret_value()) < 16:
            raise ValueError("a service account token needs at least 16 characters")
        return token


class ApiConfig(BaseModel):
    model_config = _STRICT
    service_accounts: list[ServiceAccountConfig] = []
    # How long the acknowledge/resolve links in a page work after it was sent.
    link_lifetime: timedelta = Field(
        default=timedelta(hours=24), gt=timedelta(0), le=timedelta(days=30)
    )
    # How long a command request waits for the router's verdict before answering 202.
    command_wait: timedelta = Field(
        default=timedelta(seconds=5), ge=timedelta(0), le=timedelta(seconds=30)
    )

    # Serve /demo/inbox, which receives pages as a webhook receiver or Slack would and lists
    # them: the demo shows real HTTP delivery with nothing else running. Off in production.
    demo_inbox: bool = False

    _durations = field_validator("link_lifetime", "command_wait", mode="before")(parse_duration)

    @field_validator("service_accounts")
    @classmethod
    def _unique(cls, accounts: list[ServiceAccountConfig]) -> list[ServiceAccountConfig]:
        names = [a.name for a in accounts]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"service account names must be unique: {', '.join(duplicated)}")
        return accounts


def load_api_config(source: ConfigSource) -> ApiConfig:
    """The `api:` section of a parsed config file; raises ConfigError naming file and line."""
    return source.validate(ApiConfig, ("api",))
