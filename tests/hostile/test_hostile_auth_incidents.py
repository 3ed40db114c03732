"""The incidents API over HTTP against `tocsin up`: only the bearer tokens of users and service
accounts open it; one-click links act only as signed: expired (410), re-signed, re-targeted or
tampered with (403), and never change the incident when refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.hostile.hostile_app import (
    ALICE_TOKEN,
    AM_TOKEN,
    CHATOPS_TOKEN,
    GENIE_KEY,
    HEARTBEAT_TOKEN,
    PD_KEY,
    Tocsin,
)

# --- the incidents API: bearer tokens of users and service accounts ---------------------------

API_CALLS = [
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/{id}"),
    ("POST", "/api/v1/incidents/{id}/acknowledge"),
    ("POST", "/api/v1/incidents/{id}/resolve"),
    ("POST", "/api/v1/incidents/{id}/snooze"),
    ("POST", "/api/v1/incidents/{id}/reassign"),
    ("POST", "/api/v1/incidents/{id}/notes"),
    ("POST", "/api/v1/incidents/{id}/commander"),
]
NOT_API_TOKENS = [
    None,
    "Bearer",
    "Bearer not-a-token",
    f"Basic {ALICE_TOKEN}",
    f"Token {ALICE_TOKEN}",
    f"{ALICE_TOKEN}",
    f"Bearer {ALICE_TOKEN}x",
    f"Bearer {ALICE_TOKEN[:-1]}",
    f"Bearer {AM_TOKEN}",
    f"Bearer {HEARTBEAT_TOKEN}",
    f"GenieKey {GENIE_KEY}",
    f"Bearer {PD_KEY}",
]


@pytest.mark.parametrize(("method", "path"), API_CALLS, ids=[f"{m} {p}" for m, p in API_CALLS])
@pytest.mark.parametrize("authorization", NOT_API_TOKENS)
def test_the_incidents_api_refuses_anything_but_a_user_or_service_token(
    client: httpx.Client, tocsin: Tocsin, method: str, path: str, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    body = {"duration": "5m", "user": "alice", "text": "n"} if method == "POST" else None

    answer = client.request(method, path.format(id=tocsin.incident_id), headers=headers, json=body)

    assert answer.status_code == 401, answer.text
    assert ALICE_TOKEN not in answer.text
    assert answer.headers.get("WWW-Authenticate") == "Bearer"
    assert answer.json()["status"] == "error"


@pytest.mark.parametrize("token", [ALICE_TOKEN, CHATOPS_TOKEN])
def test_the_incidents_api_answers_users_and_service_accounts(
    client: httpx.Client, tocsin: Tocsin, token: str
) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    listed = client.get("/api/v1/incidents", headers=headers)
    one = client.get(f"/api/v1/incidents/{tocsin.incident_id}", headers=headers)

    assert listed.status_code == 200, listed.text
    assert one.status_code == 200, one.text


# --- one-click links: the signature is the credential ----------------------------------------


@pytest.fixture(scope="module")
def linked(tocsin: Tocsin) -> str:
    """An incident of its own, which only the link tests act on."""
    return tocsin.open_incident("HostileLinkTarget")


def _with(link: str, **changes: str | None) -> str:
    """`link` with query parameters replaced (None: removed)."""
    parts = urlsplit(link)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def _query(link: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(link).query).items()}


def _flip(signature: str) -> str:
    return ("0" if signature[0] != "0" else "1") + signature[1:]


def _tampered(tocsin: Tocsin, incident: str) -> dict[str, str]:
    now = datetime.now(UTC)
    good = tocsin.link(incident, "acknowledge", now, timedelta(hours=1))
    query = _query(good)
    later = str(int(query["e"]) + 86_400)
    other = tocsin.link(tocsin.incident_id, "acknowledge", now, timedelta(hours=1))
    resolve = tocsin.link(incident, "resolve", now, timedelta(hours=1))
    return {
        "flipped signature": _with(good, s=_flip(query["s"])),
        "upper-case signature": _with(good, s=query["s"].upper()),
        "truncated signature": _with(good, s=query["s"][:-2]),
        "no signature": _with(good, s=None),
        "empty signature": _with(good, s=""),
        "expiry extended": _with(good, e=later),
        "no expiry": _with(good, e=None),
        "expiry not a number": _with(good, e="tomorrow"),
        "expiry negative": _with(good, e="-1"),
        "expiry 13 digits": _with(good, e="9" * 13),
        "recipient added": _with(good, r="mallory"),
        "another incident's signature": _with(good, s=_query(other)["s"]),
        "resolve signature on acknowledge": _with(good, s=_query(resolve)["s"]),
    }


TAMPERINGS = [
    "flipped signature",
    "upper-case signature",
    "truncated signature",
    "no signature",
    "empty signature",
    "expiry extended",
    "no expiry",
    "expiry not a number",
    "expiry negative",
    "expiry 13 digits",
    "recipient added",
    "another incident's signature",
    "resolve signature on acknowledge",
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("how", TAMPERINGS)
def test_a_tampered_link_is_403_and_does_nothing(
    client: httpx.Client, tocsin: Tocsin, linked: str, method: str, how: str
) -> None:
    link = _tampered(tocsin, linked)[how]

    answer = client.request(method, link)

    assert answer.status_code == 403, answer.text
    assert "not valid" in answer.text
    assert client.get(f"/api/v1/incidents/{linked}", headers=_alice()).json()["status"] == (
        "triggered"
    )


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_an_expired_link_is_410_and_does_nothing(
    client: httpx.Client, tocsin: Tocsin, linked: str, method: str
) -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    link = tocsin.link(linked, "acknowledge", issued, timedelta(hours=1))

    answer = client.request(method, link)

    assert answer.status_code == 410, answer.text
    assert "expired" in answer.text
    assert client.get(f"/api/v1/incidents/{linked}", headers=_alice()).json()["status"] == (
        "triggered"
    )


def test_an_expired_and_tampered_link_is_403_the_signature_is_judged_first(
    client: httpx.Client, tocsin: Tocsin, linked: str
) -> None:
    issued = datetime.now(UTC) - timedelta(hours=2)
    link = tocsin.link(linked, "acknowledge", issued, timedelta(hours=1))

    answer = client.get(_with(link, s=_flip(_query(link)["s"])))

    assert answer.status_code == 403, answer.text


def test_a_valid_link_shows_a_form_on_get_and_acts_on_post(
    client: httpx.Client, tocsin: Tocsin
) -> None:
    linked = tocsin.open_incident("HostileLinkFollowed")
    link = tocsin.link(linked, "acknowledge", datetime.now(UTC), timedelta(hours=1))

    shown = client.get(link)
    assert shown.status_code == 200, shown.text
    assert client.get(f"/api/v1/incidents/{linked}", headers=_alice()).json()["status"] == (
        "triggered"
    )
    done = client.post(link)

    assert done.status_code in (200, 202), done.text


def _alice() -> dict[str, str]:
    return {"Authorization": f"Bearer {ALICE_TOKEN}"}
