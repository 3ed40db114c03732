"""Who a schedule can really reach, as `oncall gaps`, `route test` and `oncall` tell it.

Berlin springs forward on 2026-03-29 (09:00 CEST is 07:00 UTC from then on); New York has been
on EDT since 2026-03-08; Tokyo has no DST (09:00-18:00 JST is 00:00-09:00 UTC).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.oncall.oncall_cli import run, write_config

CONFIG = """\
route:
  receiver: follow-the-sun
  group_wait: 0s
users:
  - {name: alice, time_zone: America/New_York, contacts: [{type: console}]}
  - {name: dave, time_zone: Europe/Berlin, contacts: [{type: console}]}
  - {name: carol, time_zone: Asia/Tokyo, contacts: [{type: console}]}
  - {name: ghost, time_zone: Europe/Berlin}
schedules:
  - name: emea-us
    time_zone: Europe/Berlin
    layers:
      - {name: daily, rotation: daily, start: "2026-03-23T09:30", users: [alice, dave]}
  - name: half-reachable
    time_zone: Europe/Berlin
    layers:
      - {name: daily, rotation: daily, start: "2026-03-23T09:00", users: [dave, ghost]}
  - name: solo
    time_zone: Europe/Berlin
    layers:
      - {name: weekly, rotation: weekly, start: "2026-03-23T09:00", users: [carol]}
escalation_policies:
  - name: follow-the-sun
    steps:
      - {delay: 0s, notify: ["schedule:emea-us", "user:carol"]}
      - {delay: 10m, notify: ["user:carol"]}
  - name: half
    steps:
      - {notify: ["schedule:half-reachable"]}
urgency:
  default: low
"""


def test_gaps_count_shifts_of_someone_with_no_contact_method(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given ghost (no contact method) on call on even days from 2026-03-24 09:00 CET
    config = write_config(tmp_path, CONFIG)

    # When the gaps over the spring-forward weekend are listed
    argv = ["oncall", "gaps", "--config", str(config), "--days", "4", "--from", "2026-03-27"]
    code, out, err = run(argv, capsys)

    # Then ghost's shifts are gaps, with their exact wall-clock ends (the one over the change
    # lasts 23h), as `route test` says "reaches nobody" then
    assert (code, err) == (0, "")
    assert out.splitlines()[2:] == [
        "half: 3 gaps (times in Europe/Berlin)",
        "  FROM                   UNTIL                  LENGTH",
        "  2026-03-27 01:00 CET   2026-03-27 09:00 CET   8h",
        "  2026-03-28 09:00 CET   2026-03-29 09:00 CEST  23h",
        "  2026-03-30 09:00 CEST  2026-03-31 02:00 CEST  17h",
    ]


@pytest.mark.parametrize(
    ("at", "step_1", "step_2_due"),
    [
        pytest.param(
            # Mon 08:00 CEST: alice (02:00 EDT) is on call; dave takes over at 09:30 CEST.
            "2026-03-30T06:00Z",
            [
                "  schedule:emea-us: on call alice (last covering layer 'daily', shift since "
                "2026-03-29 09:30 CEST)",
                "    dave via console [user/dave/0]: held until 2026-03-30 07:30 UTC = "
                "2026-03-30 09:30 CEST in Europe/Berlin (low urgency: the schedule hands over "
                "to dave then, in working hours)",
            ],
            "2026-03-30 07:40 UTC",
            id="page-goes-out-at-the-handoff",
        ),
        pytest.param(
            # Tue 08:00 CEST: dave is on call until 09:30 CEST; his day starts at 09:00 CEST.
            "2026-03-31T06:00Z",
            [
                "  schedule:emea-us: on call dave (last covering layer 'daily', shift since "
                "2026-03-30 09:30 CEST)",
                "    dave via console [user/dave/0]: held until 2026-03-31 07:00 UTC = "
                "2026-03-31 09:00 CEST in Europe/Berlin (low urgency, outside dave's working "
                "hours)",
            ],
            "2026-03-31 07:10 UTC",
            id="page-waits-for-working-hours",
        ),
    ],
)
def test_route_test_says_why_a_schedule_page_goes_out_late(
    at: str,
    step_1: list[str],
    step_2_due: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a low-urgency alert while carol (Tokyo, 15:00 JST) is at work
    config = write_config(tmp_path, CONFIG)

    # When its escalation is dry-run
    argv = ["route", "test", "--config", str(config), "--at", at, "alertname=DiskFilling"]
    code, out, err = run(argv, capsys)

    # Then carol is paged at once and the schedule's page says why it waits
    assert (code, err) == (0, "")
    lines = out.splitlines()
    first = lines.index(f"Step 1, pass 1: due {at[:10]} 06:00 UTC")
    assert lines[first + 1 : first + 5] == [
        *step_1,
        "  user:carol",
        f"    carol via console [user/carol/0]: at once ({at[:10]} 15:00 JST for carol)",
    ]
    assert f"Step 2, pass 1: due {step_2_due}" in lines


@pytest.mark.parametrize(
    ("count", "title"), [("1", "Next 1 shift "), ("3", "Next 1 shift ")], ids=["one", "three"]
)
def test_oncall_says_when_the_last_shift_was_cut_by_the_look_ahead(
    count: str, title: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a one-person weekly rotation: the pager never changes hands
    config = write_config(tmp_path, CONFIG)

    # When the next shifts are asked for
    argv = ["oncall", "--config", str(config), "--schedule", "solo", "--at", "2026-03-28T12:00Z"]
    code, out, err = run([*argv, "--next", count], capsys)

    # Then the one shift's end is the look-ahead's, and the output says so
    assert (code, err) == (0, "")
    assert out.splitlines()[4:] == [
        f"{title}(times in Europe/Berlin):",
        "  FROM                  UNTIL                  LENGTH  ON CALL  SOURCE",
        "  2026-03-28 13:00 CET  2027-03-29 14:00 CEST  366d    carol    weekly",
        "  (no handoff found up to 2027-03-29 14:00 CEST: the last shift goes on past it)",
    ]


def test_oncall_prints_no_look_ahead_note_when_the_shifts_asked_for_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path, CONFIG)
    argv = ["oncall", "--config", str(config), "--schedule", "emea-us", "--next", "1"]
    code, out, _ = run([*argv, "--at", "2026-03-29T06:00Z"], capsys)

    # 08:00 CEST: dave's shift, begun at 09:30 CET the day before, ends at 09:30 CEST (23h)
    assert (code, out.splitlines()[4:]) == (
        0,
        [
            "Next 1 shift (times in Europe/Berlin):",
            "  FROM                   UNTIL                  LENGTH  ON CALL  SOURCE",
            "  2026-03-29 08:00 CEST  2026-03-29 09:30 CEST  1h30m   dave     daily",
        ],
    )


HANDOFF_AT_THE_HORIZON = """
route: {receiver: p}
users:
  - {name: alice, time_zone: UTC, contacts: [{type: console}]}
  - {name: bob, time_zone: UTC, contacts: [{type: console}]}
schedules:
  - name: s
    time_zone: UTC
    layers:
      - {name: L0, rotation: weekly, start: "2026-01-01T00:00", users: [alice]}
    overrides:
      - {user: bob, start: "2027-01-02T00:00", end: "2027-01-03T00:00"}
escalation_policies:
  - {name: p, steps: [{notify: ["schedule:s"]}]}
"""


def test_a_shift_ending_exactly_at_the_look_ahead_is_not_said_to_go_on_past_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given alice's shift ending exactly 366 days ahead, where bob's override begins
    config = write_config(tmp_path, HANDOFF_AT_THE_HORIZON)
    argv = ["oncall", "--config", str(config), "--schedule", "s", "--at", "2026-01-01T00:00Z"]

    code, out, err = run([*argv, "--next", "3"], capsys)

    # Then her row ends there, and nothing claims it goes on
    assert (code, err) == (0, "")
    assert out.splitlines()[-1].startswith("  2026-01-01 00:00 UTC  2027-01-02 00:00 UTC")
    assert "goes on past it" not in out
