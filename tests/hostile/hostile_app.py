"""`tocsin up` (ingest, correlator, router and the incidents API on the embedded log) in its own
process on a loopback port, with every kind of credential known to the tests: what a hostile
client reaches. (In-process serving would share the interpreter with pytest, and Python 3.11's
`ast` state is not thread-safe: a server thread formatting a traceback while pytest formats a
failure can crash pytest with "AST constructor recursion depth mismatch".)"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from services.router.links import action_link
from tests.support.processes import tocsin_process

BODY_LIMIT = 1_048_576  # max_body_bytes below: room for 100k levels of nesting under it
LINK_SECRET = "hostile-link-secret-0123456789abcdef"

AM_TOKEN = "hostile-am-token-0001"
AM_OFF_TOKEN = "hostile-am-token-disabled"
GRAFANA_TOKEN = "hostile-grafana-token-0001"
GRAFANA_OFF_TOKEN = "hostile-grafana-token-disabled"
JSON_TOKEN = "hostile-json-token-0001"
JSON_OFF_TOKEN = "hostile-json-token-disabled"
PD_KEY = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
PD_OFF_KEY = "0000000000000000000000000000dead"
GENIE_KEY = "hostile-genie-key-0001"
GENIE_OFF_KEY = "hostile-genie-key-disabled"
HEARTBEAT_TOKEN = "hostile-heartbeat-token-0001"
OTHER_HEARTBEAT_TOKEN = "hostile-heartbeat-token-0002"
ALICE_TOKEN = "hostile-alice-api-token-0001"
CHATOPS_TOKEN = "hostile-chatops-api-token-0001"

CONFIG = f"""
integrations:
  - {{name: am, type: alertmanager, token: {AM_TOKEN}}}
  - {{name: am-off, type: alertmanager, token: {AM_OFF_TOKEN}, enabled: false}}
  - {{name: grafana, type: grafana, token: {GRAFANA_TOKEN}}}
  - {{name: grafana-off, type: grafana, token: {GRAFANA_OFF_TOKEN}, enabled: false}}
  - {{name: json, type: canonical, token: {JSON_TOKEN}}}
  - {{name: json-off, type: canonical, token: {JSON_OFF_TOKEN}, enabled: false}}
  - {{name: pd, type: pagerduty, token: {PD_KEY}, default_labels: {{region: eu-west}}}}
  - {{name: pd-off, type: pagerduty, token: {PD_OFF_KEY}, enabled: false}}
  - {{name: genie, type: opsgenie, token: {GENIE_KEY}, default_labels: {{region: eu-west}}}}
  - {{name: genie-off, type: opsgenie, token: {GENIE_OFF_KEY}, enabled: false}}
heartbeats:
  - {{name: cron, interval: 1h, token: {HEARTBEAT_TOKEN}, labels: {{region: eu-west}}}}
  - {{name: batch, interval: 1h, token: {OTHER_HEARTBEAT_TOKEN}, labels: {{region: eu-west}}}}
correlation:
  domain_labels: [region]
max_body_bytes: {BODY_LIMIT}
route:
  receiver: team
  group_by: [alertname]
  group_wait: 0s
channels:
  console: {{type: console}}
users:
  - {{name: alice, token: {ALICE_TOKEN}, contacts: [{{type: console}}]}}
  - {{name: bob, contacts: [{{type: console}}]}}
escalation_policies:
  - name: team
    steps:
      - {{delay: 0s, notify: ["channel:console"]}}
api:
  service_accounts: [{{name: chatops, token: {CHATOPS_TOKEN}}}]
  link_lifetime: 1h
  command_wait: 1s
"""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


ALICE = bearer(ALICE_TOKEN)
CHATOPS = bearer(CHATOPS_TOKEN)


@dataclass
class Tocsin:
    """The running app: `base` for HTTP clients, `incident_id` of one incident it opened."""

    base: str
    incident_id: str
    log: Path  # the process's output: tracebacks of its 5xx answers are there

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def open_incident(self, alertname: str) -> str:
        return open_incident(self.base, alertname)

    def link(self, incident_id: str, action: str, issued_at: datetime, lifetime: timedelta) -> str:
        """A one-click link signed with the app's secret, as a page would carry it."""
        return action_link(
            self.base, LINK_SECRET.encode(), incident_id, action, issued_at, lifetime=lifetime
        )


def open_incident(base: str, alertname: str, timeout_s: float = 20.0) -> str:
    """Post one alert and wait until the incidents API lists the incident it opened."""
    alert = {"labels": {"alertname": alertname, "region": "eu-west", "service": "checkout"}}
    posted = httpx.post(f"{base}/api/v1/alerts", json=alert, headers=bearer(JSON_TOKEN), timeout=10)
    assert posted.status_code == 202, posted.text
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listed = httpx.get(f"{base}/api/v1/incidents", headers=ALICE, timeout=10)
        if listed.status_code == 200:
            for incident in listed.json()["incidents"]:
                if incident["title"].startswith(alertname):
                    return str(incident["id"])
        time.sleep(0.05)
    raise AssertionError(f"no incident opened for {alertname} within {timeout_s}s")


@contextlib.contextmanager
def served(folder: Path) -> Iterator[Tocsin]:
    """`tocsin up` on the config above, as users run it: its own process, the embedded log in
    `folder/data`, the link secret written where it keeps one, its output in `folder/up.log`."""
    config = folder / "tocsin.yaml"
    config.write_text(CONFIG, encoding="utf-8")
    data = folder / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "link-secret").write_text(LINK_SECRET, encoding="utf-8")
    args = ["up", "--config", str(config), "--data", str(data)]
    with tocsin_process(args, folder / "up.log") as base:
        yield Tocsin(base, open_incident(base, "HostileProbe"), folder / "up.log")


def raw_exchange(
    base: str, request: bytes, *, then: list[bytes] | None = None, timeout_s: float = 10.0
) -> bytes:
    """Send `request` (and the `then` pieces, as long as the server keeps reading) on one
    socket; return whatever the server answered before closing or going quiet."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        sock.sendall(request)
        for piece in then or []:
            try:
                sock.sendall(piece)
            except OSError:  # the server answered and closed: it stopped reading, as it should
                break
        return _read_answer(sock, timeout_s)


def _read_answer(sock: socket.socket, timeout_s: float) -> bytes:
    answer = bytearray()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except OSError:  # reset after the answer: what arrived before it still counts
            break
        if not chunk:
            break
        answer.extend(chunk)
        if _complete(bytes(answer)):
            break
    return bytes(answer)


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False


def status_of(answer: bytes) -> int:
    """The status code of a raw HTTP answer; 0 when nothing (or no status line) came back."""
    parts = answer.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def body_of(answer: bytes) -> str:
    return answer.partition(b"\r\n\r\n")[2].decode("utf-8", "replace")
