"""Rendering a page for people and machines: impact first, business alerts first, escaped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from services.router.channels.page import Page
from services.router.channels.render import (
    EMAIL_SUBJECT_MAX,
    headline,
    render_email,
    render_slack,
    render_text,
    render_webhook,
)
from services.router.channels.webhook import WEBHOOK_SCHEMA_V1

ACK = "https://tocsin.example/a/inc-42?sig=abc&x=1"
RESOLVE = "https://tocsin.example/r/inc-42?sig=def"
OPEN = "https://tocsin.example/incidents/inc-42"


# Deliberately listed infrastructure first: rendering must reorder.
TOP_ALERTS: list[dict[str, str]] = [
    {
        "alertname": "NodeDown",
        "severity": "critical",
        "layer": "infrastructure",
        "summary": "node-7 unreachable",
    },
    {
        "alertname": "HighErrorRate",
        "severity": "error",
        "layer": "application",
        "summary": "5xx at 12%",
        "service": "payments-api",
    },
    {
        "alertname": "CheckoutConversionLow",
        "severity": "critical",
        "layer": "business",
        "summary": "conversion 40% below baseline",
        "service": "checkout",
    },
]


def make_page(**overrides: Any) -> Page:
    fields: dict[str, Any] = {
        "notification_id": "inc-42/step-2/repeat-1/alice",
        "incident_id": "inc-42",
        "incident_title": "Checkout degraded",
        "status": "triggered",
        "priority": "P1",
        "impact": "checkout conversion down",
        "affected_services": ["payments-api", "node-7"],
        "probable_cause": "NodeDown on node-7 (infrastructure)",
        "alert_count": 12,
        "first_alert_at": datetime(2024, 5, 1, 14, 3, tzinfo=UTC),
        "opened_at": datetime(2024, 5, 1, 14, 5, tzinfo=UTC),
        "layers": ["infrastructure", "business", "application"],
        "top_alerts": TOP_ALERTS,
        "escalation_step": 2,
        "escalation_repeat": 1,
        "target": "alice",
        "incident_url": OPEN,
        "ack_url": ACK,
        "resolve_url": RESOLVE,
    }
    return Page(**(fields | overrides))


def test_first_line_states_business_impact_and_what_is_affected() -> None:
    text = render_text(make_page())

    assert text.splitlines()[0] == "[P1] checkout conversion down — payments-api, node-7 affected"


def test_full_text_reads_impact_cause_alerts_business_first_then_links() -> None:
    text = render_text(make_page())

    assert text.splitlines() == [
        "[P1] checkout conversion down — payments-api, node-7 affected",
        "Incident: Checkout degraded",
        "Probable cause: NodeDown on node-7 (infrastructure)",
        "12 alerts across business, application, infrastructure since 2024-05-01 14:03 UTC",
        "- CheckoutConversionLow (critical, business, checkout): conversion 40% below baseline",
        "- HighErrorRate (error, application, payments-api): 5xx at 12%",
        "- NodeDown (critical, infrastructure): node-7 unreachable",
        "Paging alice (step 2, repeat 1)",
        f"Acknowledge: {ACK}",
        f"Resolve: {RESOLVE}",
        f"Open incident: {OPEN}",
    ]


def test_without_impact_the_title_leads_and_is_not_repeated() -> None:
    text = render_text(make_page(impact="", affected_services=[]))

    assert text.splitlines()[:2] == [
        "[P1] Checkout degraded",
        "Probable cause: NodeDown on node-7 (infrastructure)",
    ]


def test_status_and_test_flag_are_tagged_and_newlines_cannot_break_the_headline() -> None:
    page = make_page(status="escalated", test=True, impact="checkout\ndown", priority="P2")

    assert headline(page) == "[TEST P2 ESCALATED] checkout down — payments-api, node-7 affected"


def test_an_update_says_who_changed_the_status_in_its_headline_and_body() -> None:
    page = make_page(status="acknowledged", status_by="alice")

    assert headline(page) == (
        "[P1 ACKNOWLEDGED] checkout conversion down — payments-api, node-7 affected"
        " — acknowledged by alice"
    )
    assert render_webhook(page)["incident"]["status_by"] == "alice"
    assert "Acknowledge:" not in render_text(page)


def test_times_in_other_zones_are_shown_in_utc() -> None:
    cest = timezone(timedelta(hours=2))
    page = make_page(first_alert_at=datetime(2024, 5, 1, 16, 3, tzinfo=cest))

    assert "since 2024-05-01 14:03 UTC" in render_text(page)


def test_a_persons_page_shows_times_in_their_zone_with_utc_beside() -> None:
    summer = make_page(time_zone="Europe/Berlin")
    winter = make_page(
        time_zone="Europe/Berlin", first_alert_at=datetime(2024, 1, 15, 2, 30, tzinfo=UTC)
    )

    assert "since 2024-05-01 16:03 CEST (14:03 UTC)" in render_text(summer)
    assert "since 2024-01-15 03:30 CET (02:30 UTC)" in render_text(winter)
    assert "16:03 CEST (14:03 UTC)" in render_email(summer)[2]
    assert render_webhook(summer)["incident"]["first_alert_at"] == "2024-05-01T14:03:00+00:00"


def test_a_page_refuses_an_unknown_time_zone() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        make_page(time_zone="Mars/Olympus_Mons")


def test_a_reassignment_page_says_it_was_reassigned_to_them_rather_than_a_step() -> None:
    page = make_page(reassigned=True, target="carol")

    assert "Paging carol (reassigned to them)" in render_text(page).splitlines()
    assert "Paging carol (step" not in render_email(page)[2]
    assert render_webhook(page)["escalation"]["reassigned"] is True


def test_sms_limit_keeps_headline_and_acknowledge_link_longest() -> None:
    text = render_text(make_page(), limit=160)

    assert text == (
        f"[P1] checkout conversion down — payments-api, node-7 affected\nAcknowledge: {ACK}"
    )


def test_limit_drops_details_before_probable_cause_and_keeps_reading_order() -> None:
    text = render_text(make_page(), limit=190)

    assert text.splitlines() == [
        "[P1] checkout conversion down — payments-api, node-7 affected",
        "Probable cause: NodeDown on node-7 (infrastructure)",
        f"Acknowledge: {ACK}",
    ]


def test_limit_shorter_than_headline_cuts_it_with_an_ellipsis() -> None:
    text = render_text(make_page(), limit=20)

    assert text == "[P1] checkout conve…"


def test_resolved_page_offers_no_acknowledge_or_resolve_action() -> None:
    text = render_text(make_page(status="resolved"))

    assert text.splitlines()[0].startswith("[P1 RESOLVED] ")
    assert "Acknowledge:" not in text
    assert "Resolve:" not in text
    assert text.splitlines()[-1] == f"Open incident: {OPEN}"


def test_email_subject_is_the_headline_and_text_part_is_the_text_rendering() -> None:
    page = make_page()

    subject, text, _ = render_email(page)

    assert subject == "[P1] checkout conversion down — payments-api, node-7 affected"
    assert text == render_text(page) + "\n"


def test_a_long_headline_is_cut_in_the_email_subject_and_whole_in_its_body() -> None:
    services = [f"service-{index:03d}" for index in range(60)]
    page = make_page(affected_services=services, impact="checkout down " * 20)

    subject, text, page_html = render_email(page)

    assert len(subject) == EMAIL_SUBJECT_MAX and subject.endswith("…")
    assert subject[:-1] == headline(page)[: EMAIL_SUBJECT_MAX - 1]
    assert text.splitlines()[0] == headline(page)
    assert "service-059" in page_html


def test_email_html_escapes_markup_in_summaries_and_links() -> None:
    page = make_page(
        top_alerts=[
            {
                "alertname": "Injected",
                "severity": "warning",
                "layer": "application",
                "summary": "<script>alert(1)</script>",
            }
        ]
    )

    _, _, html = render_email(page)

    assert "<script>" not in html
    assert "<li>Injected (warning, application): &lt;script&gt;alert(1)&lt;/script&gt;</li>" in html
    assert '<a href="https://tocsin.example/a/inc-42?sig=abc&amp;x=1">Acknowledge</a>' in html


def test_slack_payload_has_header_fields_alerts_context_and_url_buttons() -> None:
    payload = render_slack(make_page())

    assert payload["text"] == "[P1] checkout conversion down — payments-api, node-7 affected"
    assert [block["type"] for block in payload["blocks"]] == [
        "header",
        "section",
        "section",
        "context",
        "actions",
    ]
    assert payload["blocks"][0]["text"]["text"] == "[P1] Checkout degraded"
    assert [field["text"] for field in payload["blocks"][1]["fields"]] == [
        "*Priority*\nP1 · triggered",
        "*Impact*\ncheckout conversion down",
        "*Probable cause*\nNodeDown on node-7 (infrastructure)",
        "*Affected services*\npayments-api, node-7",
        "*Alerts (12)*\nbusiness: CheckoutConversionLow\napplication: HighErrorRate\n"
        "infrastructure: NodeDown",
        "*Since*\n<!date^1714572180^{date_short_pretty} {time}|2024-05-01 14:03 UTC>",
    ]


def test_slack_buttons_are_url_buttons_for_ack_resolve_and_open() -> None:
    actions = render_slack(make_page())["blocks"][-1]["elements"]

    assert [(b["text"]["text"], b["url"], b["action_id"]) for b in actions] == [
        ("Acknowledge", ACK, "tocsin-acknowledge"),
        ("Resolve", RESOLVE, "tocsin-resolve"),
        ("Open incident", OPEN, "tocsin-open"),
    ]


def test_slack_acknowledged_page_drops_the_acknowledge_button() -> None:
    actions = render_slack(make_page(status="acknowledged"))["blocks"][-1]["elements"]

    assert [b["text"]["text"] for b in actions] == ["Resolve", "Open incident"]


def test_slack_escapes_control_sequences_so_a_summary_cannot_ping_the_channel() -> None:
    page = make_page(impact="<!channel> & friends")

    payload = render_slack(page)

    assert payload["text"].startswith("[P1] &lt;!channel&gt; &amp; friends")
    assert payload["blocks"][1]["fields"][1]["text"] == "*Impact*\n&lt;!channel&gt; &amp; friends"


def test_slack_header_respects_block_kit_length_limit() -> None:
    header = render_slack(make_page(incident_title="x" * 400))["blocks"][0]["text"]["text"]

    assert len(header) == 150
    assert header.endswith("…")


def test_webhook_body_is_versioned_and_orders_alerts_business_first() -> None:
    body = render_webhook(make_page())

    assert body["version"] == "1"
    assert body["notification_id"] == "inc-42/step-2/repeat-1/alice"
    assert [a["alertname"] for a in body["alerts"]] == [
        "CheckoutConversionLow",
        "HighErrorRate",
        "NodeDown",
    ]
    assert body["incident"]["layers"] == ["business", "application", "infrastructure"]
    assert body["incident"]["first_alert_at"] == "2024-05-01T14:03:00+00:00"
    assert body["links"] == {"incident": OPEN, "acknowledge": ACK, "resolve": RESOLVE}
    assert body["escalation"] == {"step": 2, "repeat": 1, "target": "alice", "reassigned": False}


def test_webhook_body_has_exactly_the_fields_its_schema_requires() -> None:
    body = render_webhook(make_page())
    props = WEBHOOK_SCHEMA_V1["properties"]

    assert sorted(body) == sorted(WEBHOOK_SCHEMA_V1["required"])
    for section in ("incident", "escalation", "links"):
        assert sorted(body[section]) == sorted(props[section]["required"])
    assert sorted(body["alerts"][0]) == sorted(props["alerts"]["items"]["required"])


def test_page_refuses_non_http_links() -> None:
    with pytest.raises(ValidationError):
        make_page(ack_url="javascript:alert(1)")


def test_page_refuses_naive_datetimes() -> None:
    with pytest.raises(ValidationError):
        make_page(opened_at=datetime(2024, 5, 1, 14, 5))


RUNBOOK = "https://runbooks.example.com/node-down?cluster=eu&x=1"


def with_runbook() -> Page:
    alerts = [dict(a) for a in TOP_ALERTS]
    alerts[0]["runbook_url"] = RUNBOOK  # NodeDown, shown last (infrastructure)
    return make_page(top_alerts=alerts)


def test_an_alerts_runbook_link_is_on_its_line_in_every_rendering() -> None:
    page = with_runbook()

    text = render_text(page).splitlines()
    assert f"- NodeDown (critical, infrastructure): node-7 unreachable — runbook: {RUNBOOK}" in text
    assert "- HighErrorRate (error, application, payments-api): 5xx at 12%" in text
    _, plain, page_html = render_email(page)
    assert f"runbook: {RUNBOOK}" in plain
    assert (
        '<li>NodeDown (critical, infrastructure): node-7 unreachable — <a href="'
        'https://runbooks.example.com/node-down?cluster=eu&amp;x=1">runbook</a></li>'
    ) in page_html
    [alerts] = [
        b for b in render_slack(page)["blocks"] if "• " in b.get("text", {}).get("text", "")
    ]
    assert alerts["text"]["text"].splitlines()[-1] == (
        "• NodeDown (critical, infrastructure): node-7 unreachable"
        " · <https://runbooks.example.com/node-down?cluster=eu&amp;x=1|runbook>"
    )
    [node_down] = [a for a in render_webhook(page)["alerts"] if a["alertname"] == "NodeDown"]
    assert node_down["runbook_url"] == RUNBOOK


def test_a_runbook_link_that_is_no_web_link_is_refused() -> None:
    alerts = [dict(a) for a in TOP_ALERTS]
    alerts[0]["runbook_url"] = "javascript:alert(1)"

    with pytest.raises(ValidationError, match="runbook_url must be an absolute http"):
        make_page(top_alerts=alerts)


def test_a_flapping_incident_says_so_after_the_probable_cause() -> None:
    page = make_page(flapping="an alert of it resolved and fired again 4 times within 30 min")

    lines = render_text(page).splitlines()
    assert lines[2:4] == [
        "Probable cause: NodeDown on node-7 (infrastructure)",
        "Flapping: an alert of it resolved and fired again 4 times within 30 min",
    ]
    fields = render_slack(page)["blocks"][1]["fields"]
    assert any(f["text"].startswith("*Flapping*\nan alert of it resolved") for f in fields)
    assert render_webhook(page)["incident"]["flapping"] == page.flapping
    assert render_webhook(make_page())["incident"]["flapping"] == ""


def _slack_details(page: Page) -> str:
    [details] = [b for b in render_slack(page)["blocks"] if b["type"] == "section" and "text" in b]
    text: str = details["text"]["text"]
    return text


def test_slack_alert_list_cuts_each_alert_and_says_how_many_it_leaves_out() -> None:
    alerts = [
        {
            "alertname": f"HighLatency{i}",
            "severity": "critical",
            "layer": "application",
            "summary": "slow & getting slower " * 40,
            "runbook_url": f"https://runbooks.example.com/payments/high-latency-{i}?a=1&b=2",
        }
        for i in range(8)
    ]

    text = _slack_details(make_page(top_alerts=alerts))

    assert len(text) <= 3000
    lines = text.split("\n")
    shown = [line for line in lines if line.startswith("• HighLatency")]
    assert len(shown) >= 5  # a long summary is cut on its line, not the other alerts
    assert lines[-1] == f"… {8 - len(shown)} more not shown here: open the incident"
    for line in shown:  # every link whole: cut text, never markup
        assert line.endswith("a=1&amp;b=2|runbook>") and line.count("<") == line.count(">") == 1
        summary = line.split("): ", 1)[1].split(" · <", 1)[0]
        assert summary.endswith("…") and not summary.rstrip("…").endswith(("&", "&a", "&am"))


def test_slack_fields_cut_before_escaping_never_inside_an_entity() -> None:
    page = make_page(impact="AB& " * 1000)

    [impact] = [
        f["text"] for f in render_slack(page)["blocks"][1]["fields"] if "Impact" in f["text"]
    ]

    assert len(impact) <= 2000
    assert impact.endswith("…")
    body = impact.removeprefix("*Impact*\n").removesuffix("…")
    assert body.replace("&amp;", "").count("&") == 0  # each & whole


def test_slack_update_says_who_acted_and_that_nobody_is_being_paged() -> None:
    page = make_page(status="acknowledged", status_by="bob", target="channel-ops")

    payload = render_slack(page)

    fields = [f["text"] for f in payload["blocks"][1]["fields"]]
    assert "*Priority*\nP1 · acknowledged by bob" in fields
    [context] = [b for b in payload["blocks"] if b["type"] == "context"]
    assert context["elements"][0]["text"].startswith("Update for channel-ops, paged at step 2 ·")
    assert "Paging" not in render_text(page)


def test_slack_message_of_an_extreme_incident_stays_within_what_slack_takes() -> None:
    huge = "payments & checkout <svc> " * 400
    alerts = [
        {"alertname": huge, "severity": "critical", "layer": "business", "summary": huge}
        for _ in range(5)
    ]
    page = make_page(
        incident_title=huge,
        impact=huge,
        probable_cause=huge,
        flapping=huge,
        affected_services=[f"service-{i}-{huge[:40]}" for i in range(300)],
        top_alerts=alerts,
        target="x" * 1000,
    )

    payload = render_slack(page)

    def texts(node: Any) -> list[str]:
        if isinstance(node, dict):
            own = [node["text"]] if isinstance(node.get("text"), str) else []
            return own + [t for value in node.values() for t in texts(value)]
        if isinstance(node, list):
            return [t for item in node for t in texts(item)]
        return []

    assert sum(len(text) for text in texts(payload["blocks"])) < 13_000  # msg_blocks_too_long
    assert len(payload["text"]) <= 3000
    assert all(len(field["text"]) <= 2000 for field in payload["blocks"][1]["fields"])
