"""Process settings: environment (TOCSIN_*) and command-line values, validated once."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.runtime.snapshots import SNAPSHOT_EVERY


class RuntimeSettings(BaseSettings):
    """How this process runs. What Tocsin does (rules, people) lives in the YAML config."""

    model_config = SettingsConfigDict(env_prefix="TOCSIN_", frozen=True, extra="ignore")

    config: Path | None = None
    data_dir: Path = Path(".tocsin-data")
    kafka: str | None = None
    host: str = "127.0.0.1"
    port: int | None = None  # each command has its own default
    partitions: int = 4
    public_url: str = ""
    link_secret: SecretStr = SecretStr("")
    append_timeout_s: float = 5.0
    # Input records a partition folds between two snapshots of its state, at least.
    snapshot_every: int = Field(default=SNAPSHOT_EVERY, ge=1)
    log_format: str = "json"
    log_level: str = "INFO"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"
