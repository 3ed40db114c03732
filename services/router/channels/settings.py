"""Settings of the delivery channels: built by the router's entry point and passed in."""

from __future__ import annotations

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    field_validator,
    model_validator,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WebhookSettings(_Frozen):
    """A generic JSON webhook. With a secret, every request carries an HMAC signature."""

    url: AnyHttpUrl
    secret: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, description="seconds, whole request")


class SlackSettings(_Frozen):
    """A Slack incoming webhook. The URL embeds a token, so it is kept secret."""

    url: SecretStr
    timeout: float = Field(default=10.0, gt=0, description="seconds, whole request")

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: SecretStr) -> SecretStr:
        if not url.get_secret_value().startswith(("https://", "http://")):
            raise ValueError("Slack webhook URL must be an absolute http(s) URL")
        return url


class EmailSettings(_Frozen):
    """An SMTP relay. `starttls` upgrades a plain connection before authenticating."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    sender: str = Field(min_length=3, description="From address, e.g. tocsin@example.com")
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, description="seconds, per SMTP command")

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> EmailSettings:
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password must be set together")
        return self


class RetryPolicy(_Frozen):
    """Bounded retries with exponential backoff and full jitter. Times are in seconds."""

    max_attempts: int = Field(default=5, ge=1)
    base_delay: float = Field(default=1.0, ge=0)
    max_delay: float = Field(default=60.0, ge=0)
    timeout: float = Field(default=10.0, gt=0, description="per attempt")
