"""Console channel: writes the text rendering to a stream. Used by the demo and locally."""

from __future__ import annotations

from typing import TextIO

from services.router.channels.delivery import Delivered, DeliveryOutcome
from services.router.channels.page import Page
from services.router.channels.render import render_text


class ConsoleChannel:
    """Writes each page, framed by its notification id and target, to `stream`."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    async def send(self, page: Page) -> DeliveryOutcome:
        self._stream.write(
            f"--- page {page.notification_id} to {page.target} ---\n{render_text(page)}\n\n"
        )
        self._stream.flush()
        return Delivered()
