"""Slack channel: posts the page as Block Kit to an incoming-webhook URL.

Slack answers 200 "ok" on success and a 4xx with a short code otherwise (e.g. 404
"no_service", 410 "channel_is_archived"): those are permanent, 429 and 5xx retryable — the
same mapping as the generic webhook. The buttons are plain `url` buttons: the
acknowledge/resolve links are signed one-click links, so no Slack app is needed.

Slack refuses a whole message whose blocks break one of its limits (400 "invalid_blocks").
Rendering keeps within the limits we know of; should Slack still refuse the blocks, the page
is sent again at once as plain text with its links, rather than lost.
"""

from __future__ import annotations

import logging
import re

import orjson

from services.router.channels.delivery import DeliveryOutcome, PermanentFailure
from services.router.channels.http_post import JsonPoster
from services.router.channels.page import Page
from services.router.channels.render import render_slack, render_slack_text
from services.router.channels.settings import SlackSettings

log = logging.getLogger(__name__)
# Slack's answers to blocks it cannot take: "invalid_blocks", "invalid_blocks_format".
# Blocks Slack refuses: one it finds invalid, or (undocumented) too much text in them all.
_BLOCKS_REFUSED = re.compile(r"HTTP 400: (invalid_blocks|msg_blocks_too_long)")


class SlackChannel:
    """Sends pages to one Slack incoming webhook. The caller owns `poster` and closes it."""

    def __init__(self, settings: SlackSettings, poster: JsonPoster) -> None:
        self._settings = settings
        self._poster = poster

    async def send(self, page: Page) -> DeliveryOutcome:
        url = self._settings.url.get_secret_value()
        timeout = self._settings.timeout
        outcome = await self._poster.post(url, orjson.dumps(render_slack(page)), {}, timeout)
        if isinstance(outcome, PermanentFailure) and _BLOCKS_REFUSED.match(outcome.reason):
            log.warning("slack refused blocks", extra={"notification_id": page.notification_id})
            plain = orjson.dumps(render_slack_text(page))
            return await self._poster.post(url, plain, {}, timeout)
        return outcome
