"""The incidents API over HTTP on `tocsin up` (embedded log), paging a local webhook receiver:
one-click links, commands, the read model, and what the API refuses."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from services.router.links import action_link
from tests.support.processes import tocsin_process
from tests.support.receiver import PageReceiver, Received
from tests.support.webhook import post_firing_alert

INGEST_TOKEN = "router-api-ingest-token"
ALICE = {"Authorization": "Bearer alice-api-token-0001"}
CHATOPS = {"Authorization": "Bearer chatops-api-token-0001"}
STEP_DELAY_S = 3  # short, with room for a busy 2-core machine between page and ack


def write_config(folder: Path, receiver_url: str) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(f"""
integrations:
  - {{name: prom, type: alertmanager, token: {INGEST_TOKEN}}}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
channels:
  hook: {{type: webhook, url: "{receiver_url}/pages"}}
users:
  - name: alice
    token: alice-api-token-0001
    contacts: [{{type: webhook, url: "{receiver_url}/alice"}}]
  - name: bob
    contacts: [{{type: webhook, url: "{receiver_url}/bob"}}]
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:hook"]}}
      - {{delay: {STEP_DELAY_S}s, notify: ["user:bob"]}}
api:
  service_accounts: [{{name: chatops, token: chatops-api-token-0001}}]
""")
    return path


class Tocsin:
    def __init__(self, base: str, receiver: PageReceiver, data: Path) -> None:
        self.base = base
        self.receiver = receiver
        self.data = data

    def post_alert(self, alertname: str, **annotations: str) -> None:
        labels = {"alertname": alertname, "instance": "node-7", "region": "eu-west"}
        post_firing_alert(self.base, INGEST_TOKEN, labels, f"{alertname} on node-7", **annotations)

    def pages_for(self, title: str, path: str = "/pages") -> list[dict[str, Any]]:
        with self.receiver.lock:
            received: list[Received] = list(self.receiver.received)
        bodies = [r.json() for r in received if r.path == path]
        return [b for b in bodies if b["incident"]["title"] == title]

    def wait_for_pages(self, title: str, count: int, timeout_s: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            pages = self.pages_for(title)
            if len(pages) >= count:
                return pages
            time.sleep(0.05)
        raise AssertionError(f"{count} page(s) for {title} not received: {self.pages_for(title)}")

    def page(self, alertname: str) -> dict[str, Any]:
        self.post_alert(alertname)
        return self.wait_for_pages(f"{alertname} on node-7", 1)[0]

    def get(self, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
        return httpx.get(f"{self.base}{path}", headers=headers or ALICE, timeout=10)

    def post(
        self, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        return httpx.post(f"{self.base}{path}", json=body, headers=headers or ALICE, timeout=15)

    def secret(self) -> bytes:
        return (self.data / "link-secret").read_text(encoding="utf-8").strip().encode()


@pytest.fixture(scope="module")
def tocsin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tocsin]:
    folder = tmp_path_factory.mktemp("router-api")
    receiver = PageReceiver().start()
    config = write_config(folder, receiver.url)
    args = ["up", "--config", str(config), "--data", str(folder / "data")]
    try:
        with tocsin_process(args, folder / "up.log") as base:
            yield Tocsin(base, receiver, folder / "data")
    finally:
        receiver.stop()


def form_action(page_html: str) -> str:
    match = re.search(r'<form method=post action="([^"]+)"', page_html)
    assert match is not None, page_html
    return html.unescape(match.group(1))


@pytest.mark.e2e
def test_acknowledging_from_the_page_link_stops_escalation_and_shows_in_the_timeline(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("DiskFull")
    incident_id = page["incident"]["id"]
    link = page["links"]["acknowledge"]
    confirm = httpx.get(link, timeout=10)
    assert confirm.status_code == 200
    assert "<button type=submit>Acknowledge</button>" in confirm.text
    assert tocsin.get(f"/api/v1/incidents/{incident_id}").json()["status"] == "triggered"
    done = httpx.post(f"{tocsin.base}{form_action(confirm.text)}", timeout=15)
    assert done.status_code == 200, done.text
    time.sleep(STEP_DELAY_S + 2.5)  # bob's step would have fired by now
    assert [p for p in tocsin.pages_for("DiskFull on node-7", "/bob")] == []
    incident = tocsin.get(f"/api/v1/incidents/{incident_id}").json()
    assert (incident["status"], incident["acknowledged_by"]) == ("acknowledged", "one-click link")
    kinds = [entry["kind"] for entry in incident["timeline"]]
    for kind in ("IncidentOpened", "EscalationStarted", "EscalationStepFired"):
        assert kind in kinds
    assert kinds.index("AcknowledgeIncident") < kinds.index("IncidentAcknowledged")
    assert kinds.count("EscalationStepFired") == 1 and "NotificationSent" in kinds
    # The channel that showed the page is told who acknowledged it.
    told = [
        (p["incident"]["status"], p["incident"]["status_by"])
        for p in tocsin.pages_for("DiskFull on node-7")
    ]
    assert told == [("triggered", ""), ("acknowledged", "one-click link")]
    notified = [(n["status"], n["tells"]) for n in incident["notifications"]]
    assert notified == [("sent", "page"), ("sent", "acknowledged")]
    again = tocsin.post(f"/api/v1/incidents/{incident_id}/acknowledge")
    assert again.status_code == 409
    assert again.json()["message"] == "the incident is already acknowledged by one-click link"


@pytest.mark.e2e
def test_snoozed_incident_pages_again_from_the_first_step_when_the_snooze_ends(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("HighLoad")
    incident_id = page["incident"]["id"]
    snoozed = tocsin.post(f"/api/v1/incidents/{incident_id}/snooze", {"duration": "2s"}, CHATOPS)
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["incident"]["status"] == "snoozed"
    first, second = tocsin.wait_for_pages("HighLoad on node-7", 2, timeout_s=10)
    assert first["notification_id"] != second["notification_id"]
    assert second["escalation"]["step"] == 1
    acked = tocsin.post(f"/api/v1/incidents/{incident_id}/acknowledge")
    assert acked.status_code == 200, acked.text
    incident = tocsin.get(f"/api/v1/incidents/{incident_id}").json()
    assert incident["escalation_generation"] == 1
    kinds = [entry["kind"] for entry in incident["timeline"]]
    assert kinds.index("IncidentSnoozed") < kinds.index("EscalationRestarted")
    actors = {entry["actor"] for entry in incident["timeline"]}
    assert "service:chatops" in actors


@pytest.mark.e2e
def test_links_that_were_altered_expired_or_name_no_incident_are_refused(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("LinkCheck")
    incident_id = page["incident"]["id"]
    link = page["links"]["resolve"]
    tampered = link[:-1] + ("0" if link[-1] != "0" else "1")
    assert httpx.get(tampered, timeout=10).status_code == 403
    assert httpx.post(tampered, timeout=10).status_code == 403
    as_ack = link.replace("/resolve/link", "/acknowledge/link")
    assert httpx.post(as_ack, timeout=10).status_code == 403
    past = datetime.now(UTC) - timedelta(days=2)
    expired = action_link(tocsin.base, tocsin.secret(), incident_id, "resolve", past)
    assert httpx.get(expired, timeout=10).status_code == 410
    unknown = action_link(
        tocsin.base, tocsin.secret(), "INC-0000000000", "resolve", datetime.now(UTC)
    )
    assert httpx.get(unknown, timeout=10).status_code == 404
    assert tocsin.get("/api/v1/incidents/INC-0000000000").status_code == 404
    resolved = httpx.post(link, timeout=15)
    assert resolved.status_code == 200, resolved.text
    assert httpx.get(link, timeout=10).status_code == 409  # nothing left to resolve
    incident = tocsin.get(f"/api/v1/incidents/{incident_id}").json()
    assert (incident["status"], incident["resolved_by"]) == ("resolved", "one-click link")


@pytest.mark.e2e
def test_callers_without_a_valid_token_are_refused_and_bad_input_is_named(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("AuthCheck")
    path = f"/api/v1/incidents/{page['incident']['id']}"
    assert httpx.get(f"{tocsin.base}{path}", timeout=10).status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    answer = tocsin.post(f"{path}/acknowledge", headers=wrong)
    assert (answer.status_code, answer.headers["WWW-Authenticate"]) == (401, "Bearer")
    bad = tocsin.post(f"{path}/snooze", {"duration": "forever"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "duration"
    stranger = tocsin.post(f"{path}/reassign", {"user": "mallory"})
    assert stranger.status_code == 422
    reassigned = tocsin.post(f"{path}/reassign", {"user": "bob"}, CHATOPS)
    assert reassigned.status_code == 200, reassigned.text
    assert reassigned.json()["incident"]["assignee"] == "bob"
    retried = {**ALICE, "Idempotency-Key": "note-1"}
    notes = [tocsin.post(f"{path}/notes", {"text": "looking into it"}, retried) for _ in "ab"]
    assert [n.status_code for n in notes] == [200, 200]
    assert notes[0].json()["command_id"] == notes[1].json()["command_id"]
    assert tocsin.post(f"{path}/commander", {"user": "alice"}).status_code == 200
    listed = tocsin.get("/api/v1/incidents?status=triggered&limit=50", CHATOPS).json()
    mine = [i for i in listed["incidents"] if i["id"] == page["incident"]["id"]]
    assert [(i["assignee"], i["commander"]) for i in mine] == [("bob", "alice")]
    timeline = tocsin.get(path).json()["timeline"]
    assert [e["kind"] for e in timeline].count("IncidentNoteAdded") == 1
    assert tocsin.get("/api/v1/incidents?priority=P9").status_code == 422
    query = parse_qs(urlsplit(page["links"]["acknowledge"]).query)
    assert set(query) == {"e", "s"}


@pytest.mark.e2e
def test_acknowledge_and_resolve_take_no_body_or_an_empty_object_and_refuse_anything_else(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("BodiesCheck")
    path = f"/api/v1/incidents/{page['incident']['id']}"
    headers = {**ALICE, "Content-Type": "application/json"}

    junk = httpx.post(f"{tocsin.base}{path}/acknowledge", content=b"{junk", headers=headers)
    extra = tocsin.post(f"{path}/resolve", {"note": "fixed"})
    assert (junk.status_code, junk.json()["errors"][0]["field"]) == (400, "(body)")
    assert (extra.status_code, extra.json()["errors"][0]["field"]) == (422, "note")
    assert tocsin.get(path).json()["status"] == "triggered"  # neither was issued

    assert tocsin.post(f"{path}/acknowledge").status_code == 200  # no body
    assert tocsin.post(f"{path}/resolve", {}).status_code == 200


@pytest.mark.e2e
def test_an_idempotency_key_reused_with_another_body_issues_another_command(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("KeyReuse")
    path = f"/api/v1/incidents/{page['incident']['id']}"
    keyed = {**ALICE, "Idempotency-Key": "note-reuse"}

    first = tocsin.post(f"{path}/notes", {"text": "first"}, keyed)
    retried = tocsin.post(f"{path}/notes", {"text": "first"}, keyed)
    other = tocsin.post(f"{path}/notes", {"text": "second"}, keyed)

    assert [a.status_code for a in (first, retried, other)] == [200, 200, 200]
    assert first.json()["command_id"] == retried.json()["command_id"]
    assert other.json()["command_id"] != first.json()["command_id"]
    timeline = tocsin.get(path).json()["timeline"]
    notes = [e for e in timeline if e["kind"] == "IncidentNoteAdded"]
    assert len(notes) == 2, notes


@pytest.mark.e2e
def test_a_resolve_retried_with_its_idempotency_key_is_answered_as_applied(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("ResolveRetry")
    path = f"/api/v1/incidents/{page['incident']['id']}"
    keyed = {**ALICE, "Idempotency-Key": "resolve-1"}

    first = tocsin.post(f"{path}/resolve", {}, keyed)
    retried = tocsin.post(f"{path}/resolve", {}, keyed)
    another = tocsin.post(f"{path}/resolve", {}, ALICE)

    assert [a.status_code for a in (first, retried, another)] == [200, 200, 409]
    assert retried.json()["command_id"] == first.json()["command_id"]
    assert "already resolved" in another.json()["message"]


@pytest.mark.e2e
def test_of_resolves_sent_together_one_applies_and_the_others_hear_who_resolved_it(
    tocsin: Tocsin,
) -> None:
    page = tocsin.page("ResolveRace")
    path = f"/api/v1/incidents/{page['incident']['id']}/resolve"
    callers = [ALICE, CHATOPS, ALICE, CHATOPS]

    with ThreadPoolExecutor(len(callers)) as pool:
        answers = list(pool.map(lambda headers: tocsin.post(path, {}, headers), callers))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 409, 409, 409], [a.json() for a in answers]
    [applied] = [a for a in answers if a.status_code == 200]
    resolver = tocsin.get(f"/api/v1/incidents/{page['incident']['id']}").json()["resolved_by"]
    assert resolver in {"alice", "service:chatops"}
    assert applied.json()["command_id"] is not None
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["message"] == f"the incident is already resolved by {resolver}"


@pytest.mark.e2e
def test_a_page_links_the_runbook_its_alert_names(tocsin: Tocsin) -> None:
    runbook = "https://runbooks.example.com/DiskSlow"
    tocsin.post_alert("DiskSlow", runbook_url=runbook)

    [page] = tocsin.wait_for_pages("DiskSlow on node-7", 1)

    assert [a["runbook_url"] for a in page["alerts"]] == [runbook]


@pytest.mark.e2e
def test_the_post_incident_report_is_markdown_of_what_the_log_recorded(tocsin: Tocsin) -> None:
    page = tocsin.page("ReportCheck")
    incident_id = page["incident"]["id"]
    path = f"/api/v1/incidents/{incident_id}"
    assert tocsin.post(f"{path}/acknowledge").status_code == 200
    assert tocsin.post(f"{path}/notes", {"text": "restarted | the <pod>"}).status_code == 200
    assert tocsin.post(f"{path}/resolve").status_code == 200

    report = tocsin.get(f"{path}/report")

    assert report.status_code == 200
    assert report.headers["content-type"] == "text/markdown; charset=utf-8"
    assert f'filename="{incident_id}-report.md"' in report.headers["content-disposition"]
    text = report.text
    assert text.startswith("# Post-incident report: [P3] ReportCheck on node-7\n")
    assert "| Status | resolved by alice |" in text
    assert "by alice," in text and "(time to acknowledge)" in text
    assert "(time to resolve)" in text
    assert "- First page delivered:" in text and "to hook via hook" in text
    assert ", alice: restarted \\| the \\<pod\\>" in text  # the note, inert
    assert httpx.get(f"{tocsin.base}{path}/report", timeout=10).status_code == 401
    unknown = tocsin.get("/api/v1/incidents/INC-0000000000/report")
    assert unknown.status_code == 404 and unknown.json()["message"].startswith("no incident")


@pytest.mark.e2e
def test_analytics_count_the_window_s_incidents_pages_and_response(tocsin: Tocsin) -> None:
    since = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # before its alert is sent
    page = tocsin.page("AnalyticsCheck")
    path = f"/api/v1/incidents/{page['incident']['id']}"
    assert tocsin.post(f"{path}/acknowledge").status_code == 200

    answer = tocsin.get(f"/api/v1/analytics?since={since}")

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["since"].startswith(since[:19])
    assert (body["incidents"]["opened"], body["incidents"]["still_open"]) == (1, 1)
    assert body["alerts"] == {"distinct": 1, "notifications": 1, "noise_reduction": 0.0}
    assert (body["pages"]["sent"], body["pages"]["by_person"]) == (1, {})  # the hook channel
    assert body["time_to_acknowledge_seconds"]["count"] == 1
    assert body["top_alerts"] == [
        {"alertname": "AnalyticsCheck", "incidents": 1, "notifications": 1}
    ]
    backwards = "since=2026-11-27T00:00:00Z&until=2026-11-26T00:00:00Z"
    assert tocsin.get(f"/api/v1/analytics?{backwards}").status_code == 422
    # Less than a week after the first day there is: the window starts then (no overflow).
    early = tocsin.get("/api/v1/analytics?until=0001-01-03T00:00:00Z")
    assert (early.status_code, early.json()["incidents"]["opened"]) == (200, 0)
    assert tocsin.get("/api/v1/analytics?until=0001-01-01T00:00:00Z").status_code == 422
    assert httpx.get(f"{tocsin.base}/api/v1/analytics", timeout=10).status_code == 401
