"""One-click link pages: GET only confirms, and each refusal says plainly what happened —
a failure never reads like a done deed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from services.router.api.issuing import CommandIssuer, Issued
from services.router.api.routes_links import link_routes
from services.router.links import action_link
from services.router.projection.model import IncidentView

SECRET = b"k" * 32
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BASE = "http://tocsin.test"


class FakeIssuer:
    """Knows one incident; answers commands with `answer` and records them."""

    def __init__(self, status: str = "triggered", answer: int = 200) -> None:
        self.view = IncidentView(
            incident_id="INC-1",
            domain="d",
            title="Checkout <b>down</b>",
            priority="P1",
            opened_at=NOW,
            group_key="{}",
            rule="r",
            receivers=[],
            status=status,  # type: ignore[arg-type]
        )
        self.answer = answer
        self.issued: list[tuple[str, str, str]] = []

    async def find(self, incident_id: str) -> IncidentView | Issued:
        if incident_id != "INC-1":
            return Issued(404, f"no incident {incident_id}")
        return self.view

    async def issue(self, incident_id: str, name: str, actor: str, fields: Any) -> Issued:
        self.issued.append((incident_id, name, actor))
        messages = {200: "applied", 503: "the event log did not take the command; retry later"}
        return Issued(self.answer, messages.get(self.answer, "?"), None, self.view)


def client_for(issuer: FakeIssuer) -> httpx.AsyncClient:
    app = FastAPI()
    app.include_router(link_routes(cast(CommandIssuer, issuer), SECRET, lambda: NOW))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


@pytest.fixture
def issuer() -> FakeIssuer:
    return FakeIssuer()


def link(action: str = "acknowledge", incident: str = "INC-1", **kwargs: Any) -> str:
    full = action_link(BASE, SECRET, incident, action, NOW, **kwargs)
    split = urlsplit(full)
    return f"{split.path}?{split.query}"


async def test_get_shows_a_form_and_changes_nothing(issuer: FakeIssuer) -> None:
    async with client_for(issuer) as client:
        page = await client.get(link())

    assert page.status_code == 200
    assert "<h1>Acknowledge incident?</h1>" in page.text
    assert "Checkout &lt;b&gt;down&lt;/b&gt;" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert issuer.issued == []


async def test_head_answers_like_get_and_changes_nothing(issuer: FakeIssuer) -> None:
    """Link checkers (mail gateways, chat previews) probe with HEAD before a person clicks."""
    async with client_for(issuer) as client:
        probed = await client.head(link())
        shown = await client.get(link())

    assert probed.status_code == shown.status_code == 200
    assert probed.headers["content-type"] == shown.headers["content-type"]
    assert issuer.issued == []


async def test_post_acts_and_names_the_recipient(issuer: FakeIssuer) -> None:
    async with client_for(issuer) as client:
        done = await client.post(link(recipient="alice"))

    assert done.status_code == 200
    assert "<h1>Acknowledged</h1>" in done.text
    assert issuer.issued == [("INC-1", "acknowledge", "alice (link)")]


async def test_tampered_and_expired_links_are_refused_without_acting(issuer: FakeIssuer) -> None:
    good = link()
    tampered = good[:-1] + ("0" if good[-1] != "0" else "1")
    expired = link(lifetime=timedelta(seconds=-1))
    async with client_for(issuer) as client:
        answers = [await client.post(tampered), await client.get(expired)]

    assert [a.status_code for a in answers] == [403, 410]
    assert "<h1>Invalid link</h1>" in answers[0].text
    assert "<h1>Link expired</h1>" in answers[1].text
    assert issuer.issued == []


async def test_unknown_incident_says_not_found(issuer: FakeIssuer) -> None:
    async with client_for(issuer) as client:
        page = await client.get(link(incident="INC-404"))

    assert page.status_code == 404
    assert "<h1>Incident not found</h1>" in page.text


async def test_link_of_a_resolved_incident_has_nothing_to_do() -> None:
    issuer = FakeIssuer(status="resolved")
    async with client_for(issuer) as client:
        page = await client.get(link("resolve"))

    assert page.status_code == 409
    assert "<h1>Nothing to do</h1>" in page.text
    assert "already resolved" in page.text


async def test_acknowledge_the_log_did_not_take_is_not_shown_as_nothing_to_do() -> None:
    issuer = FakeIssuer(answer=503)
    async with client_for(issuer) as client:
        page = await client.post(link())

    assert page.status_code == 503
    assert "<h1>Not done — try again</h1>" in page.text
    assert "Nothing to do" not in page.text
