"""Slack channel: posts the page as Block Kit to an incoming-webhook URL.

Slack answers 200 "ok" on success and a 4xx with a short code otherwise (e.g. 404
"no_service", 410 "channel_is_archived"): those are permanent, 429 and 5xx retryable — the
same mapping as the generic webhook. The buttons are plain `url` buttons: the
acknowledge/resolve links are signed one-click links, so no Slack app is needed.
"""

from __future__ import annotations

import httpx
import orjson

from services.router.channels.delivery import DeliveryOutcome
from services.router.channels.page import Page
from services.router.channels.render import render_slack
from services.router.channels.settings import SlackSettings
from services.router.channels.webhook import post_json


class SlackChannel:
    """Sends pages to one Slack incoming webhook. The caller owns `client` and closes it."""

    def __init__(self, settings: SlackSettings, client: httpx.AsyncClient) -> None:
        self._settings = settings
        self._client = client

    async def send(self, page: Page) -> DeliveryOutcome:
        body = orjson.dumps(render_slack(page))
        url = self._settings.url.get_secret_value()
        return await post_json(self._client, url, body, {}, self._settings.timeout)
