"""A config with a daily Berlin rotation, a weekday-only schedule, a silence and urgency rules,
and a way to run `tocsin oncall` / `tocsin route test` in-process and read what they print.

The daily rotation (alice, bob, carol) hands over at 09:00 Berlin time: 08:00 UTC in winter,
07:00 UTC in summer. Berlin springs forward on 2026-03-29 and falls back on 2026-10-25.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from services.cli import commands_oncall, commands_route

CONFIG = """\
route:
  receiver: payments
  group_wait: 30s
  routes:
    - matchers: ['team="billing"']
      receiver: billing-daytime
channels:
  payments-webhook: {type: webhook, url: "https://hooks.example.com/T0/secret-path"}
users:
  - name: alice
    time_zone: Europe/Berlin
    contacts: [{type: email, address: alice@example.com}, {type: console}]
  - {name: bob, time_zone: America/New_York, contacts: [{type: console}]}
  - {name: carol, time_zone: Europe/Berlin, contacts: [{type: console}]}
schedules:
  - name: primary
    time_zone: Europe/Berlin
    layers:
      - {name: daily, rotation: daily, start: "2026-03-23T09:00", users: [alice, bob, carol]}
  - name: business-hours
    time_zone: Europe/Berlin
    layers:
      - name: weekdays
        rotation: daily
        start: "2026-01-05T09:00"
        users: [carol]
        restrictions: [{weekdays: [mon, tue, wed, thu, fri], start: "09:00", end: "18:00"}]
escalation_policies:
  - name: payments
    repeat: 1
    steps:
      - {delay: 0s, notify: ["schedule:primary"]}
      - {delay: 10m, notify: ["user:bob", "channel:payments-webhook"]}
  - name: billing-daytime
    steps:
      - notify: ["schedule:business-hours"]
silences:
  - matchers: ['service="payments-api"', 'env="staging"']
    starts_at: "2026-10-25T01:00:00+02:00"
    ends_at: "2026-10-25T02:30:00+01:00"
    created_by: alice
    comment: staging failover drill
urgency:
  rules:
    - {matchers: ['severity=~"warning|info"'], urgency: low}
"""


def write_config(folder: Path, text: str = CONFIG) -> Path:
    path = folder / "tocsin.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Parse `argv` as `tocsin` would and run the command: (exit code, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="tocsin")
    sub = parser.add_subparsers(dest="command", required=True)
    commands_oncall.register(sub)
    commands_route.register(sub)
    args = parser.parse_args(argv)
    code = args.handler(args)
    out, err = capsys.readouterr()
    return code, out, err
