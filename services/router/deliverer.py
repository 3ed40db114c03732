"""Turning a NotificationRequested into a Page on the right channel, with retries."""

from __future__ import annotations

import asyncio
import logging
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from services.router.channels.console import ConsoleChannel
from services.router.channels.delivery import Channel, PermanentFailure
from services.router.channels.email import EmailChannel
from services.router.channels.http_post import JsonPoster
from services.router.channels.page import Page
from services.router.channels.retry import deliver_with_retry
from services.router.channels.settings import (
    EmailSettings,
    RetryPolicy,
    SlackSettings,
    WebhookSettings,
)
from services.router.channels.slack import SlackChannel
from services.router.channels.webhook import WebhookChannel
from services.router.config import ChannelConfig, ContactConfig, RouterConfig
from services.router.directory import user_channel
from services.router.links import LINK_LIFETIME, VIEW, action_link
from shared.events import NotificationRequested

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Report:
    delivered: bool
    attempts: int
    reason: str
    channel_type: str | None  # the config's `type` of the channel; None: not configured


class ChannelDeliverer:
    """Knows every configured channel and person's contact by its channel key."""

    def __init__(
        self,
        config: RouterConfig,
        *,
        base_url: str,
        link_secret: bytes,
        poster: JsonPoster,
        retry: RetryPolicy,
        clock: Callable[[], datetime],
        link_lifetime: timedelta = LINK_LIFETIME,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._link_secret = link_secret
        self._retry = retry
        self._clock = clock
        self._link_lifetime = link_lifetime
        self._random = random.Random()
        self._channels: dict[str, Channel] = {}
        self._types: dict[str, str] = {}
        self._retries: dict[str, RetryPolicy] = {}
        # A person's pages show times in their own zone; a channel's (a team's) in UTC.
        self._zones: dict[str, str] = {}
        email = EmailSettings(
            host=config.smtp.host,
            port=config.smtp.port,
            sender=config.smtp.sender,
            starttls=config.smtp.starttls,
            username=config.smtp.username,
            password=config.smtp.password,
        )
        for name, channel in config.channels.items():
            timeout = channel.timeout.total_seconds()
            self._channels[name] = _build(channel, name, poster, email, self._base_url, timeout)
            self._types[name] = channel.type
            # A try may take the channel's time: a longer `timeout:` is not cut by the policy's.
            self._retries[name] = retry.model_copy(update={"timeout": max(retry.timeout, timeout)})
        for user in config.users:
            for index, contact in enumerate(user.contacts):
                key = user_channel(user.name, index)
                self._channels[key] = _build(
                    contact, user.name, poster, email, self._base_url, retry.timeout
                )
                self._types[key] = contact.type
                self._zones[key] = user.time_zone

    async def deliver(self, request: NotificationRequested) -> Report:
        channel = self._channels.get(request.channel)
        if channel is None:
            return Report(False, 0, f"channel {request.channel} is not configured", None)
        kind = self._types[request.channel]
        try:
            page = self._page(request)
        except ValidationError as invalid:
            reason = f"page could not be built: {invalid.errors()[0]['msg']}"
            return Report(False, 0, reason, kind)
        except Exception as error:  # a bug: the page fails (and escalates), it is not left
            extra = {"notification_id": request.notification_id}
            log.exception("page could not be built", extra=extra)
            return Report(False, 0, f"page could not be built: {type(error).__name__}", kind)
        retry = self._retries.get(request.channel, self._retry)
        result = await deliver_with_retry(channel, page, retry, asyncio.sleep, self._random)
        reason = "; ".join(result.failures) if not result.delivered else "delivered"
        if isinstance(result.outcome, PermanentFailure):
            reason = result.outcome.reason
        return Report(result.delivered, result.attempts, reason, kind)

    def _page(self, request: NotificationRequested) -> Page:
        now = self._clock()
        incident = request.incident_id

        # Links in a person's own page name them, so a click is recorded as theirs.
        recipient = request.target if request.channel.startswith("user/") else ""

        def link(action: str) -> str:
            return action_link(
                self._base_url,
                self._link_secret,
                incident,
                action,
                now,
                lifetime=self._link_lifetime,
                recipient=recipient,
            )

        return Page.model_validate(
            {
                **request.page,
                "notification_id": request.notification_id,
                "incident_url": link(VIEW),
                "ack_url": link("acknowledge"),
                "resolve_url": link("resolve"),
                "time_zone": self._zones.get(request.channel, "UTC"),
            }
        )


def _build(
    channel: ChannelConfig | ContactConfig,
    name: str,
    poster: JsonPoster,
    email: EmailSettings,
    base_url: str,
    timeout: float,
) -> Channel:
    """`timeout`: seconds a request (an SMTP command) may take; a named channel's `timeout:`,
    the retry policy's per-try timeout for a person's contact (which has none of its own)."""
    url = own_address(channel.url, base_url)
    match channel.type:
        case "webhook":
            settings = WebhookSettings(url=url, secret=channel.secret, timeout=timeout)
            return WebhookChannel(settings, poster)
        case "slack":
            return SlackChannel(SlackSettings(url=url or "", timeout=timeout), poster)
        case "email":
            own_email = email.model_copy(update={"timeout": timeout})
            return EmailChannel(own_email, {name: channel.address or ""})
        case _:
            return ConsoleChannel(sys.stdout)


def own_address(url: str | None, base_url: str) -> str | None:
    """A URL given as a path alone ("/demo/inbox/alice") is on this Tocsin's own address."""
    if url is not None and url.startswith("/"):
        return base_url + url
    return url
