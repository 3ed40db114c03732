"""Process settings: environment (TOCSIN_*) and command-line values, validated once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.durations import parse_duration
from shared.runtime.log_retention import PRUNE_EVERY_S
from shared.runtime.snapshots import SNAPSHOT_EVERY

# How long the embedded log keeps history (Prometheus-style, e.g. `30d`). By default all of
# it: an upgrade that changes the shape of a service's state rebuilds it from the whole input.
DEFAULT_RETENTION = timedelta(0)
# How long resolved incidents stay in the incidents read model (and its API), by event time;
# 0: forever. The model, its snapshot and the API's lists stay bounded by it.
DEFAULT_INCIDENT_HISTORY = timedelta(days=90)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


LogFormat = Annotated[Literal["json", "text"], BeforeValidator(_lower)]
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], BeforeValidator(_upper)
]


# Characters a link secret needs at least (`openssl rand -hex 32` prints 64).
MIN_LINK_SECRET = 32


def _link_secret(value: SecretStr) -> SecretStr:
    """None given (a key is then kept in the data folder), or one long enough and not a
    placeholder of the deploy files: with a known key, anyone could forge one-click links."""
    text = value.get_secret_value()
    if not text:
        return value
    if text.lower().startswith("change-me"):
        raise ValueError(
            "is the deploy files' placeholder: set a random one (openssl rand -hex 32)"
        )
    if len(text) < MIN_LINK_SECRET:
        raise ValueError(
            f"needs at least {MIN_LINK_SECRET} characters of random text (openssl rand -hex 32)"
        )
    return value


class RuntimeSettings(BaseSettings):
    """How this process runs. What Tocsin does (rules, people) lives in the YAML config."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", frozen=True, extra="ignore")

    config: Path | None = None
    data_dir: Path = Path(".tocsin-data")
    retention: Annotated[timedelta, BeforeValidator(parse_duration)] = DEFAULT_RETENTION
    prune_every_s: float = Field(default=PRUNE_EVERY_S, gt=0)  # how often retention runs
    incident_history: Annotated[timedelta, BeforeValidator(parse_duration)] = (
        DEFAULT_INCIDENT_HISTORY
    )
    kafka: str | None = None
    host: str = "127.0.0.1"
    port: int | None = Field(default=None, ge=0, le=65535)  # each command has its own default
    partitions: int = Field(default=4, ge=1)
    public_url: str = ""
    link_secret: Annotated[SecretStr, AfterValidator(_link_secret)] = SecretStr("")
    append_timeout_s: float = Field(default=5.0, gt=0)
    # Input records a partition folds between two snapshots of its state, at least.
    snapshot_every: int = Field(default=SNAPSHOT_EVERY, ge=1)
    log_format: LogFormat = "json"
    log_level: LogLevel = "INFO"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
