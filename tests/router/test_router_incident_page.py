"""The "Open incident" link of a page: a signed, expiring view link that shows the incident to
the person paged (who has no API token at hand), read-only, with signed acknowledge and
resolve links of the same expiry and recipient."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from services.router.links import LINK_LIFETIME
from services.router.projection.model import AlertRow, TimelineEntry
from tests.router.test_router_link_pages import NOW, FakeIssuer, client_for, link


def _issuer_with_alerts(status: str = "triggered") -> FakeIssuer:
    issuer = FakeIssuer(status)
    view = issuer.view
    view.services = ["payments-api", "checkout"]
    view.probable_cause = "HostUnreachable on host:<node-7>"
    for name, layer, firing in (
        ("NodeDown", "infrastructure", True),
        ("CheckoutConversionDrop", "business", True),
        ("HighErrorRate", "application", False),
    ):
        view.alerts[name] = AlertRow(
            fingerprint=name,
            alertname=name,
            severity="critical",
            layer=layer,
            service=None,
            summary=f"{name} <summary>",
            labels={},
            first_received_at=NOW,
            last_received_at=NOW,
            firing=firing,
        )
    view.timeline.append(
        TimelineEntry(NOW, "AlertGrouped", "grouped: host node-7 runs payments-api", "correlator")
    )
    return issuer


async def test_the_view_link_shows_the_incident_business_alerts_first_and_its_reasons() -> None:
    issuer = _issuer_with_alerts()
    async with client_for(issuer) as client:
        page = await client.get(link("view", recipient="alice"))

    assert page.status_code == 200
    text = page.text
    assert "<h1>[P1] Checkout &lt;b&gt;down&lt;/b&gt;</h1>" in text
    assert "payments-api, checkout" in text
    assert "<strong>Probable cause:</strong> HostUnreachable on host:&lt;node-7&gt;" in text
    order = [text.index(name) for name in ("CheckoutConversion", "NodeDown", "HighErrorRate")]
    assert order == sorted(order)  # business first, then by layer; resolved ones last
    assert "NodeDown &lt;summary&gt;" in text  # escaped
    assert "grouped: host node-7 runs payments-api — correlator" in text
    assert page.headers["cache-control"] == "no-store"
    assert issuer.issued == []  # viewing acts on nothing


async def test_the_view_page_links_act_with_the_same_expiry_and_recipient() -> None:
    issuer = _issuer_with_alerts()
    async with client_for(issuer) as client:
        page = await client.get(link("view", recipient="alice"))
        hrefs = [unescape(h) for h in re.findall(r'href="([^"]+)"', page.text)]
        assert [h.split("/")[5] for h in hrefs] == ["acknowledge", "resolve"]
        confirm = await client.get(hrefs[0])
        done = await client.post(hrefs[0])

    assert all("r=alice" in h for h in hrefs)
    expiry = int((NOW + LINK_LIFETIME).timestamp())
    assert all(f"e={expiry}" in h for h in hrefs)
    assert "<h1>Acknowledge incident?</h1>" in confirm.text
    assert done.status_code == 200
    assert issuer.issued == [("INC-1", "acknowledge", "alice (link)")]


async def test_an_acknowledged_incident_offers_only_resolve_and_a_resolved_one_nothing() -> None:
    offered = (
        ("snoozed", ["acknowledge", "resolve"]),  # a snoozed incident can be acknowledged
        ("acknowledged", ["resolve"]),
        ("resolved", []),
    )
    for status, actions in offered:
        async with client_for(_issuer_with_alerts(status)) as client:
            page = await client.get(link("view"))
        hrefs = re.findall(r'href="([^"]+)"', page.text)
        assert [unescape(h).split("/")[5] for h in hrefs] == actions, status


async def test_a_view_link_cannot_act_nor_become_another_link() -> None:
    issuer = _issuer_with_alerts()
    view = link("view")
    async with client_for(issuer) as client:
        posted = await client.post(view)
        turned = await client.get(view.replace("/view/", "/acknowledge/"))
        expired = await client.get(link("view", lifetime=timedelta(seconds=-1)))
        unknown = await client.get(link("view", incident="INC-404"))

    assert posted.status_code == 404
    assert turned.status_code == 403  # the signature names the action
    assert expired.status_code == 410
    assert unknown.status_code == 404
    assert issuer.issued == []


async def test_an_alert_with_a_runbook_links_it_on_the_incident_page() -> None:
    issuer = _issuer_with_alerts()
    issuer.view.alerts["NodeDown"].runbook_url = "https://runbooks.example/node?a=1&b=2"
    async with client_for(issuer) as client:
        page = await client.get(link("view", recipient="alice"))

    assert '<td>NodeDown <a href="https://runbooks.example/node?a=1&amp;b=2">runbook</a></td>' in (
        page.text
    )
    assert page.text.count(">runbook</a>") == 1
