"""A stand-in for the HTTP channels' poster: notes every URL posted to, and answers each with
the outcome `answer` gives for its URL (delivered, unless told otherwise)."""

from __future__ import annotations

from collections.abc import Callable

from services.router.channels.delivery import Delivered, DeliveryOutcome
from services.router.channels.http_post import JsonPoster


class NotingPoster(JsonPoster):
    def __init__(self, answer: Callable[[str], DeliveryOutcome] = lambda _url: Delivered()) -> None:
        super().__init__()
        self._answer = answer
        self.posted: list[str] = []

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], time_limit: float
    ) -> DeliveryOutcome:
        self.posted.append(url)
        return self._answer(url)
