"""`tocsin route test`: the dry run of an alert's escalation, across DST, silences and urgency."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cli.config_bundle import load_tocsin_config
from services.cli.route_dry_run import dry_run
from tests.oncall.oncall_cli import CONFIG, run, write_config


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def route_test(tmp_path: Path, capsys: pytest.CaptureFixture[str], at: str, *labels: str) -> str:
    config = write_config(tmp_path)
    code, out, err = run(["route", "test", "--config", str(config), "--at", at, *labels], capsys)
    assert (code, err) == (0, "")
    return out


def step_section(out: str, title: str) -> list[str]:
    """The lines of one step, from its title to the blank line after it."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def test_spring_forward_handover_at_0900_cest_changes_who_the_repeat_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 06:55 UTC is 08:55 CEST; carol hands over to alice at 09:00 CEST = 07:00 UTC (not 08:00).
    out = route_test(
        tmp_path, capsys, "2026-03-29T06:55Z", "alertname=PaymentsDown", "severity=critical"
    )
    assert (
        out
        == """\
Alert {alertname="PaymentsDown", severity="critical"}
Arrives 2026-03-29 06:55 UTC

Routes:
  route [0] -> payments  group {}:{}
Receivers: payments
Escalation: payments (receivers payments); 2 steps, then repeated 1 more time
Urgency: high (the default): pages go out at once
Silences: none match these labels

First step due 2026-03-29 06:55:30 UTC (group_wait 30s)

Step 1, pass 1: due 2026-03-29 06:55:30 UTC
  schedule:primary: on call carol (last covering layer 'daily', shift since 2026-03-28 09:00 CET)
    carol via console [user/carol/0]: at once (2026-03-29 08:55:30 CEST for carol)

Step 2, pass 1: due 2026-03-29 07:05:30 UTC
  user:bob
    bob via console [user/bob/0]: at once (2026-03-29 03:05:30 EDT for bob)
  channel:payments-webhook
    payments-webhook via webhook hooks.example.com [payments-webhook]: at once

Step 1, pass 2: due 2026-03-29 07:06:30 UTC
  schedule:primary: on call alice (last covering layer 'daily', shift since 2026-03-29 09:00 CEST)
    alice via email alice@example.com [user/alice/0]: at once (2026-03-29 09:06:30 CEST for alice)
    alice via console [user/alice/1]: at once (2026-03-29 09:06:30 CEST for alice)

Step 2, pass 2: due 2026-03-29 07:16:30 UTC
  user:bob
    bob via console [user/bob/0]: at once (2026-03-29 03:16:30 EDT for bob)
  channel:payments-webhook
    payments-webhook via webhook hooks.example.com [payments-webhook]: at once
"""
    )


@pytest.mark.parametrize(
    ("at", "pages"),
    [
        # Fall back: 09:00 CET is 08:00 UTC, so at 07:30 UTC carol is still on call...
        ("2026-10-25T07:29:30Z", ["carol", "bob", "carol", "bob"]),
        # ...and the repeat at 08:01:30 UTC reaches alice, who took over at 08:00 UTC.
        ("2026-10-25T07:50:00Z", ["carol", "bob", "alice", "bob"]),
    ],
)
def test_fall_back_handover_is_at_0800_utc(at: str, pages: list[str], tmp_path: Path) -> None:
    config = load_tocsin_config(write_config(tmp_path))
    planned = dry_run(config, {"alertname": "PaymentsDown"}, datetime.fromisoformat(at))
    recipients = [
        next(page.recipient for target in step.targets for page in target.pages)
        for step in planned.steps
    ]
    assert recipients == pages


def test_active_silence_holds_step_until_it_ends_across_fall_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The drill runs 01:00 CEST to 02:30 CET: 23:00 to 01:30 UTC, two and a half hours.
    out = route_test(
        tmp_path,
        capsys,
        "2026-10-25T01:30+02:00",
        "alertname=FailoverLag",
        "service=payments-api",
        "env=staging",
    )
    assert (
        "  config-1 (active on arrival, 2026-10-24 23:00 UTC to 2026-10-25 01:30 UTC): "
        '{service="payments-api", env="staging"} by alice: staging failover drill'
    ) in out.splitlines()
    assert step_section(out, "Step 1, pass 1") == [
        "Step 1, pass 1: due 2026-10-24 23:30:30 UTC",
        "  held until 2026-10-25 01:30 UTC: silenced by config-1 "
        '{service="payments-api", env="staging"} by alice: staging failover drill',
        "  fires 2026-10-25 01:30 UTC",
        "  schedule:primary: on call carol (last covering layer 'daily', shift since "
        "2026-10-24 09:00 CEST)",
        "    carol via console [user/carol/0]: at once (2026-10-25 02:30 CET for carol)",
    ]
    assert step_section(out, "Step 2, pass 1")[0] == "Step 2, pass 1: due 2026-10-25 01:40 UTC"


def test_silence_that_does_not_match_every_matcher_holds_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = route_test(tmp_path, capsys, "2026-10-25T01:30+02:00", "service=payments-api", "env=prod")
    assert "Silences: none match these labels" in out
    assert "held until" not in out


def test_low_urgency_at_night_waits_for_0900_of_whoever_is_on_call_then(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Saturday 23:00 CEST. carol (Berlin) hands over to alice on Sunday, alice to bob (New
    # York) on Monday 09:00 CET; bob's working day starts at 09:00 EDT = 13:00 UTC.
    out = route_test(
        tmp_path, capsys, "2026-10-24T21:00Z", "alertname=DiskFilling", "severity=warning"
    )
    assert (
        'Urgency: low (urgency.rules.0: severity=~"warning|info"): people are paged only '
        "within working hours, mon,tue,wed,thu,fri 09:00-18:00, on their clock"
    ) in out.splitlines()
    assert step_section(out, "Step 1, pass 1") == [
        "Step 1, pass 1: due 2026-10-24 21:00:30 UTC",
        "  held until 2026-10-26 13:00 UTC: low urgency, and from 2026-10-24 21:00:30 UTC "
        "nobody it pages is within working hours",
        "  fires 2026-10-26 13:00 UTC",
        "  schedule:primary: on call bob (last covering layer 'daily', shift since "
        "2026-10-26 09:00 CET)",
        "    bob via console [user/bob/0]: at once (2026-10-26 09:00 EDT for bob)",
    ]
    # The escalation runs on from there, not overnight.
    assert step_section(out, "Step 2, pass 1")[0] == "Step 2, pass 1: due 2026-10-26 13:10 UTC"


def test_low_urgency_page_to_a_berlin_user_waits_for_0900_local_after_spring_forward(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Sunday 2026-03-29 03:30 CEST: alice takes over at 09:00 CEST, but it is Sunday; she is
    # on call until Monday 09:00 CEST, when bob (New York, 03:00 EDT) takes over, so the step
    # waits for bob's 09:00 EDT = 13:00 UTC.
    out = route_test(
        tmp_path, capsys, "2026-03-29T01:30Z", "alertname=DiskFilling", "severity=info"
    )
    assert step_section(out, "Step 1, pass 1")[1:3] == [
        "  held until 2026-03-30 13:00 UTC: low urgency, and from 2026-03-29 01:30:30 UTC "
        "nobody it pages is within working hours",
        "  fires 2026-03-30 13:00 UTC",
    ]


def test_low_urgency_in_working_hours_pages_at_once_and_holds_only_people_outside_theirs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Tuesday 2026-03-31 10:00 CEST: carol (Berlin) is in her working day, bob (04:00 EDT) is
    # not; step 2 pages bob alone among people, so it is held until 09:00 EDT = 13:00 UTC.
    out = route_test(
        tmp_path, capsys, "2026-03-31T08:00Z", "alertname=DiskFilling", "severity=warning"
    )
    assert step_section(out, "Step 1, pass 1") == [
        "Step 1, pass 1: due 2026-03-31 08:00:30 UTC",
        "  schedule:primary: on call carol (last covering layer 'daily', shift since "
        "2026-03-31 09:00 CEST)",
        "    carol via console [user/carol/0]: at once (2026-03-31 10:00:30 CEST for carol)",
    ]
    assert step_section(out, "Step 2, pass 1")[:3] == [
        "Step 2, pass 1: due 2026-03-31 08:10:30 UTC",
        "  held until 2026-03-31 13:00 UTC: low urgency, and from 2026-03-31 08:10:30 UTC "
        "nobody it pages is within working hours",
        "  fires 2026-03-31 13:00 UTC",
    ]


def test_step_that_reaches_nobody_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Saturday: the weekday-only schedule is empty.
    out = route_test(tmp_path, capsys, "2026-03-28T12:00Z", "alertname=InvoiceLag", "team=billing")
    assert '  route.routes[0] [0/0] -> billing-daytime  group {}/{team="billing"}:{}' in out
    assert step_section(out, "Step 1, pass 1") == [
        "Step 1, pass 1: due 2026-03-28 12:00:30 UTC",
        "  schedule:business-hours: on call nobody ('weekdays' is outside its restrictions): "
        "reaches nobody",
        "  => this step pages nobody (the router records NobodyPaged)",
    ]


def test_demo_config_dry_run_pages_the_primary_schedule_and_console(
    capsys: pytest.CaptureFixture[str],
) -> None:
    demo = Path(__file__).resolve().parents[2] / "services" / "cli" / "demo.yaml"
    argv = ["route", "test", "--config", str(demo), "--at", "2026-11-27T06:49:15Z"]
    code, out, _ = run([*argv, "alertname=NodeDown", "region=eu-west", "severity=critical"], capsys)
    assert code == 0
    assert step_section(out, "Step 1, pass 1") == [
        "Step 1, pass 1: due 2026-11-27 06:49:15 UTC",
        "  schedule:primary: on call alice (last covering layer 'weekly', shift since "
        "2026-11-23 09:00 CET)",
        "    alice via webhook [user/alice/0]: at once (2026-11-27 07:49:15 CET for alice)",
        "    alice via slack [user/alice/1]: at once (2026-11-27 07:49:15 CET for alice)",
        "    alice via console [user/alice/2]: at once (2026-11-27 07:49:15 CET for alice)",
        "  channel:console",
        "    console via console [console]: at once",
    ]


def test_a_channel_is_shown_by_its_host_never_the_credentials_in_its_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "https://svc:hunter2-pass@Hooks.Example.com:8443/T0/secret-path"
    text = CONFIG.replace("https://hooks.example.com/T0/secret-path", url)
    config = write_config(tmp_path, text)
    at = "2026-03-29T06:55Z"
    code, out, _ = run(["route", "test", "--config", str(config), "--at", at, "a=b"], capsys)

    assert code == 0 and "payments-webhook via webhook hooks.example.com:8443 [" in out
    assert "hunter2" not in out and "svc" not in out and "secret-path" not in out


def test_an_alert_a_correlation_threshold_holds_is_said_to_page_nobody_until_it_is_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    thresholds = (
        "correlation:\n  rules:\n    - name: disk-noise\n"
        "      matchers: ['alertname=\"DiskPressure\"']\n"
        "      threshold: {alerts: 3, within: 10m}\n"
    )
    config = write_config(tmp_path, CONFIG + thresholds)
    at = "2026-11-27T10:00Z"

    code, held, _ = run(
        ["route", "test", "--config", str(config), "--at", at, "alertname=DiskPressure"], capsys
    )
    _, other, _ = run(
        ["route", "test", "--config", str(config), "--at", at, "alertname=NodeDown"], capsys
    )

    assert code == 0
    assert (
        "Threshold: correlation.rules[disk-noise] opens no incident, and pages nobody, until 3"
        " alerts of this group fire within 10m; the times below are as if it were reached on"
        " arrival"
    ) in held.splitlines()
    assert "Threshold:" not in other
