"""Delivery channels of the router: the page model, its renderings, and the senders.

Start at `page.Page` (what is said), `render` (how it reads), `delivery.Channel` (the
sender contract) and `retry.deliver_with_retry` (how hard we try).
"""

from services.router.channels.console import ConsoleChannel
from services.router.channels.delivery import (
    Channel,
    Delivered,
    DeliveryOutcome,
    DeliveryResult,
    PermanentFailure,
    RetryableFailure,
)
from services.router.channels.email import EmailChannel
from services.router.channels.page import Page, PageAlert, PageStatus
from services.router.channels.retry import backoff_delay, deliver_with_retry
from services.router.channels.settings import (
    EmailSettings,
    RetryPolicy,
    SlackSettings,
    WebhookSettings,
)
from services.router.channels.slack import SlackChannel
from services.router.channels.webhook import WEBHOOK_SCHEMA_V1, WebhookChannel

__all__ = [
    "WEBHOOK_SCHEMA_V1",
    "Channel",
    "ConsoleChannel",
    "Delivered",
    "DeliveryOutcome",
    "DeliveryResult",
    "EmailChannel",
    "EmailSettings",
    "Page",
    "PageAlert",
    "PageStatus",
    "PermanentFailure",
    "RetryPolicy",
    "RetryableFailure",
    "SlackChannel",
    "SlackSettings",
    "WebhookChannel",
    "WebhookSettings",
    "backoff_delay",
    "deliver_with_retry",
]
