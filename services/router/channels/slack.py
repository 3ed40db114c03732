"""Slack channel: posts the page as Block Kit to an incoming-webhook URL.

Slack answers 200 "ok" on success and a 4xx with a short code otherwise (e.g. 404
"no_service", 410 "channel_is_archived"): those are permanent, 429 and 5xx retryable — the
same mapping as the generic webhook. The buttons are plain `url` buttons: the
acknowledge/resolve links are signed one-click links, so no Slack app is needed.
"""

from __future__ import annotations

import orjson

from services.router.channels.delivery import DeliveryOutcome
from services.router.channels.http_post import JsonPoster
from services.router.channels.page import Page
from services.router.channels.render import render_slack
from services.router.channels.settings import SlackSettings


class SlackChannel:
    """Sends pages to one Slack incoming webhook. The caller owns `poster` and closes it."""

    def __init__(self, settings: SlackSettings, poster: JsonPoster) -> None:
        self._settings = settings
        self._poster = poster

    async def send(self, page: Page) -> DeliveryOutcome:
        body = orjson.dumps(render_slack(page))
        url = self._settings.url.get_secret_value()
        return await self._poster.post(url, body, {}, self._settings.timeout)
