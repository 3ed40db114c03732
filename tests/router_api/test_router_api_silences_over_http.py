"""Silences through the API on `tocsin up`: a silence created over HTTP holds the page of a
matching alert (the timeline says by which silence), expiring it pages at once, and the API
refuses what Alertmanager refuses."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.router_api.test_router_api_over_http import ALICE, CHATOPS, Tocsin, tocsin

__all__ = ["tocsin"]  # the module's `tocsin up`, shared by these tests


def silence(
    body: dict[str, Any], tocsin: Tocsin, headers: dict[str, str] = ALICE
) -> httpx.Response:
    return httpx.post(f"{tocsin.base}/api/v1/silences", json=body, headers=headers, timeout=15)


def expire(silence_id: str, tocsin: Tocsin) -> httpx.Response:
    return httpx.delete(f"{tocsin.base}/api/v1/silences/{silence_id}", headers=ALICE, timeout=15)


def held_incident(tocsin: Tocsin, title: str, timeout_s: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for summary in tocsin.get("/api/v1/incidents").json()["incidents"]:
            if summary["title"] == title:
                detail = tocsin.get(f"/api/v1/incidents/{summary['id']}").json()
                if any(e["kind"] == "EscalationHeld" for e in detail["timeline"]):
                    return detail  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"no held incident titled {title}")


def test_a_silence_made_through_the_api_holds_the_page_until_it_is_expired(
    tocsin: Tocsin,
) -> None:
    # Given a silence of SilencedDisk alerts for an hour, created by alice
    created = silence(
        {"matchers": ['alertname="SilencedDisk"'], "duration": "1h", "comment": "disk swap"},
        tocsin,
    )
    assert created.status_code == 201, created.text
    silence_id = created.json()["silence_id"]
    shown = created.json()["silence"]
    assert (shown["state"], shown["created_by"], shown["source"]) == ("active", "alice", "api")
    # When a SilencedDisk alert fires
    tocsin.post_alert("SilencedDisk")
    # Then its incident's first step is held, the timeline naming the silence
    detail = held_incident(tocsin, "SilencedDisk on node-7")
    [held] = [e for e in detail["timeline"] if e["kind"] == "EscalationHeld"]
    assert 'every firing alert silenced, by {alertname="SilencedDisk"} by alice' in held["summary"]
    assert tocsin.pages_for("SilencedDisk on node-7") == []
    # When alice expires the silence, the page goes out at once
    expired = expire(silence_id, tocsin)
    assert expired.status_code == 200, expired.text
    assert expired.json()["silence"]["state"] == "expired"
    assert expired.json()["silence"]["expired_by"] == "alice"
    [page] = tocsin.wait_for_pages("SilencedDisk on node-7", 1)
    assert page["incident"]["id"] == detail["id"]
    # And the list shows it expired; expiring it again is refused
    listed = {s["id"]: s for s in tocsin.get("/api/v1/silences", CHATOPS).json()["silences"]}
    assert listed[silence_id]["state"] == "expired"
    assert expire(silence_id, tocsin).status_code == 409


def test_a_silence_with_the_same_idempotency_key_is_created_once(tocsin: Tocsin) -> None:
    body = {"matchers": ['service="billing"'], "duration": "30m", "comment": "deploy"}
    keyed = {**ALICE, "Idempotency-Key": "billing-deploy-1"}
    first, second = silence(body, tocsin, keyed), silence(body, tocsin, keyed)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["silence_id"] == second.json()["silence_id"]
    listed = tocsin.get("/api/v1/silences").json()["silences"]
    assert [s["id"] for s in listed].count(first.json()["silence_id"]) == 1
    # the same key with another body is another silence, not an answer about the first
    other = silence({**body, "comment": "another deploy"}, tocsin, keyed)
    assert other.status_code == 201
    assert other.json()["silence_id"] != first.json()["silence_id"]


def test_the_api_refuses_what_alertmanager_refuses(tocsin: Tocsin) -> None:
    def refused(body: dict[str, Any]) -> list[str]:
        answer = silence(body, tocsin)
        assert answer.status_code == 422, answer.text
        return [e["field"] for e in answer.json()["errors"]]

    base = {"matchers": ['service="billing"'], "comment": "c"}
    assert refused({**base, "ends_at": "2020-01-01T00:00:00Z"}) == ["ends_at"]
    assert refused({**base}) == ["ends_at"]  # neither an end nor a duration
    assert refused({**base, "matchers": ['env=~".*"'], "duration": "1h"}) == ["matchers"]
    assert refused({**base, "matchers": [], "duration": "1h"}) == ["matchers"]
    assert refused({**base, "duration": "1h", "ends_at": 44754}) == ["ends_at"]
    # Ends past year 9999 are refused as too long, not failed on.
    assert refused({**base, "duration": "3000000d"}) == ["duration"]
    assert refused({**base, "duration": "999999999d"}) == ["duration"]
    assert refused({**base, "duration": "1d", "starts_at": "9999-12-31T23:00:00Z"}) == ["starts_at"]
    far = {"starts_at": "9999-12-31T00:00:00Z", "ends_at": "9999-12-31T23:59:59Z"}
    assert refused({**base, **far}) == ["starts_at"]  # was a 500, and a router that crashed
    assert refused({**base, "starts_at": "2100-01-01T00:00:00Z", "duration": "1h"}) == ["starts_at"]
    assert tocsin.get("/readyz").status_code == 200
    no_token = httpx.post(f"{tocsin.base}/api/v1/silences", json=base, timeout=10)
    assert no_token.status_code == 401
    assert tocsin.get("/api/v1/silences/no-such-silence").status_code == 404
