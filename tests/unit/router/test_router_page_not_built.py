"""A page that cannot be built fails, with the reason, so its escalation moves on: it is never
left pending, undelivered and unrecorded, until a restart."""

from __future__ import annotations

import pytest

import services.router.deliverer as deliverer_module
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from shared.events import NotificationRequested
from tests.support.noting_poster import NotingPoster
from tests.support.sample_page import PAGE_FIELDS
from tests.unit.router.test_router_channel_timeout import T0, requested

HOOK = {"hook": {"type": "webhook", "url": "http://127.0.0.1:9/hook"}}


def _deliverer(poster: NotingPoster) -> ChannelDeliverer:
    return ChannelDeliverer(
        RouterConfig.model_validate({"channels": HOOK}),
        base_url="http://tocsin",
        link_secret=b"k",
        poster=poster,
        retry=RetryPolicy(),
        clock=lambda: T0,
    )


async def test_a_page_whose_fields_do_not_validate_fails_saying_why() -> None:
    poster = NotingPoster()
    page = {**PAGE_FIELDS, "priority": "urgent"}
    request = NotificationRequested.model_validate({**requested("hook").model_dump(), "page": page})

    report = await _deliverer(poster).deliver(request)

    assert (report.delivered, report.attempts) == (False, 0)
    assert report.reason.startswith("page could not be built: ")
    assert poster.posted == []


async def test_a_page_failing_to_build_for_another_reason_fails_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken_link(*_: object, **__: object) -> str:
        raise RuntimeError("no link today")

    monkeypatch.setattr(deliverer_module, "action_link", broken_link)
    poster = NotingPoster()

    report = await _deliverer(poster).deliver(requested("hook"))

    assert (report.delivered, report.reason) == (False, "page could not be built: RuntimeError")
    assert poster.posted == []
