"""`tocsin oncall` and `tocsin oncall gaps`: exact output across both DST changes of 2026."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cli.oncall_gaps import intersect, policy_gaps
from services.router.config import RouterConfig
from tests.oncall.oncall_cli import run, write_config

ROOT = Path(__file__).resolve().parents[2]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ONCALL_CASES = [
    pytest.param(
        ["--at", "2026-03-28T09:00+01:00", "--next", "3"],
        """\
Schedule primary (Europe/Berlin)
On call at 2026-03-28 09:00 CET (2026-03-28 08:00 UTC): carol
  why: last covering layer 'daily', shift since 2026-03-28 09:00 CET

Next 3 shifts (times in Europe/Berlin):
  FROM                   UNTIL                  LENGTH  ON CALL  SOURCE
  2026-03-28 09:00 CET   2026-03-29 09:00 CEST  23h     carol    daily
  2026-03-29 09:00 CEST  2026-03-30 09:00 CEST  24h     alice    daily
  2026-03-30 09:00 CEST  2026-03-31 09:00 CEST  24h     bob      daily
""",
        id="spring-forward-shift-lasts-23h",
    ),
    pytest.param(
        # Naive means UTC: 06:30 UTC is 08:30 CEST, half an hour before carol hands over.
        ["--at", "2026-03-29T06:30", "--next", "2"],
        """\
Schedule primary (Europe/Berlin)
On call at 2026-03-29 08:30 CEST (2026-03-29 06:30 UTC): carol
  why: last covering layer 'daily', shift since 2026-03-28 09:00 CET

Next 2 shifts (times in Europe/Berlin):
  FROM                   UNTIL                  LENGTH  ON CALL  SOURCE
  2026-03-29 08:30 CEST  2026-03-29 09:00 CEST  30m     carol    daily
  2026-03-29 09:00 CEST  2026-03-30 09:00 CEST  24h     alice    daily
""",
        id="naive-at-is-utc-and-first-shift-is-clipped",
    ),
    pytest.param(
        ["--at", "2026-10-24T07:00Z", "--next", "3"],
        """\
Schedule primary (Europe/Berlin)
On call at 2026-10-24 09:00 CEST (2026-10-24 07:00 UTC): carol
  why: last covering layer 'daily', shift since 2026-10-24 09:00 CEST

Next 3 shifts (times in Europe/Berlin):
  FROM                   UNTIL                 LENGTH  ON CALL  SOURCE
  2026-10-24 09:00 CEST  2026-10-25 09:00 CET  25h     carol    daily
  2026-10-25 09:00 CET   2026-10-26 09:00 CET  24h     alice    daily
  2026-10-26 09:00 CET   2026-10-27 09:00 CET  24h     bob      daily
""",
        id="fall-back-shift-lasts-25h",
    ),
    pytest.param(
        # 07:30 UTC on the fall-back Sunday is 08:30 CET: the handover is at 08:00 UTC.
        ["--at", "2026-10-25T07:30Z", "--next", "0"],
        """\
Schedule primary (Europe/Berlin)
On call at 2026-10-25 08:30 CET (2026-10-25 07:30 UTC): carol
  why: last covering layer 'daily', shift since 2026-10-24 09:00 CEST
""",
        id="no-shift-table-with-next-0",
    ),
]


@pytest.mark.parametrize(("extra", "expected"), ONCALL_CASES)
def test_oncall_prints_who_is_on_call_and_next_shifts_in_schedule_zone(
    extra: list[str], expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["oncall", "--config", str(config), "--schedule", "primary", *extra]
    assert run(argv, capsys) == (0, expected, "")


def test_oncall_as_a_real_process_prints_the_same_table(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    argv = ["--config", str(config), "--schedule", "primary", "--at", "2026-03-28T09:00+01:00"]
    done = subprocess.run(
        [sys.executable, "-m", "services.cli.main", "oncall", *argv, "--next", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, ONCALL_CASES[0].values[1], "")


@pytest.mark.parametrize(
    ("argv", "code", "error"),
    [
        (["--schedule", "secondary"], 1, "no schedule named 'secondary' (known: "),
        ([], 2, "--config FILE and --schedule NAME are required"),
    ],
)
def test_oncall_names_what_is_wrong(
    argv: list[str],
    code: int,
    error: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = write_config(tmp_path)
    got_code, out, err = run(["oncall", "--config", str(config), *argv], capsys)
    assert (got_code, out, error in err) == (code, "", True)


@pytest.mark.parametrize("count", ["-1", "two", "1.5", "1001", "99999999999"])
def test_a_shift_count_that_is_no_whole_number_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: str
) -> None:
    config = write_config(tmp_path)
    with pytest.raises(SystemExit) as exited:
        run(["oncall", "--config", str(config), "--schedule", "primary", "--next", count], capsys)
    assert exited.value.code == 2
    assert f"{count!r} is not a number of shifts (0 to 1000)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["oncall", "CONFIG", "--schedule", "primary", "--at", "9999-12-31T23:00:00"],
        ["oncall", "CONFIG", "--schedule", "primary", "--at", "0001-01-01T00:00:00"],
        ["oncall", "gaps", "CONFIG", "--days", "1", "--from", "9999-12-31T23:59:59+00:00"],
        ["route", "test", "CONFIG", "--at", "9999-12-31T23:00:00", "alertname=NodeDown"],
        ["route", "test", "CONFIG", "--at", "1899-12-31T23:00:00Z", "alertname=NodeDown"],
    ],
)
def test_a_time_near_the_calendars_ends_is_a_usage_error_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    """Shifts and escalation timelines are computed days to years around `--at`: at the
    calendar's ends that overflowed with a traceback."""
    config = ["--config", str(write_config(tmp_path))]
    with pytest.raises(SystemExit) as exited:
        run([part for word in argv for part in (config if word == "CONFIG" else [word])], capsys)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "is outside the years 1900 to 9000 schedules are computed for" in error


def test_the_first_and_last_planned_years_are_taken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["oncall", "--config", str(config), "--schedule", "primary", "--next", "1000"]
    before_rotation = run([*argv, "--at", "1900-01-01T00:00:00Z"], capsys)
    last_year = run([*argv, "--at", "9000-12-31T23:59:59Z"], capsys)
    assert before_rotation[0] == 0 and "(nobody)" in before_rotation[1]
    # a daily rotation of three, listed up to a year ahead
    assert last_year[0] == 0 and last_year[1].count(" alice ") >= 120


def test_bad_at_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path)
    with pytest.raises(SystemExit) as exited:
        run(["oncall", "--config", str(config), "--schedule", "primary", "--at", "noon"], capsys)
    assert exited.value.code == 2
    assert "'noon' is not an ISO-8601 time" in capsys.readouterr().err


def test_gaps_lists_every_interval_a_policy_reaches_nobody_across_dst(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["oncall", "gaps", "--config", str(config), "--days", "7", "--from", "2026-03-26"]
    assert run(argv, capsys) == (
        0,
        """\
Gaps from 2026-03-26 00:00 UTC to 2026-04-02 00:00 UTC:
payments: no gaps (always reaches user:bob)
billing-daytime: 6 gaps (times in Europe/Berlin)
  FROM                   UNTIL                  LENGTH
  2026-03-26 01:00 CET   2026-03-26 09:00 CET   8h
  2026-03-26 18:00 CET   2026-03-27 09:00 CET   15h
  2026-03-27 18:00 CET   2026-03-30 09:00 CEST  2d14h
  2026-03-30 18:00 CEST  2026-03-31 09:00 CEST  15h
  2026-03-31 18:00 CEST  2026-04-01 09:00 CEST  15h
  2026-04-01 18:00 CEST  2026-04-02 02:00 CEST  8h
""",
        "",
    )


def test_gaps_config_may_come_before_the_verb(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["oncall", "--config", str(config), "gaps", "--days", "1", "--from", "2026-10-24"]
    code, out, _ = run(argv, capsys)
    assert (code, out.splitlines()[:2]) == (
        0,
        [
            "Gaps from 2026-10-24 00:00 UTC to 2026-10-25 00:00 UTC:",
            "payments: no gaps (always reaches user:bob)",
        ],
    )


def schedule(name: str, users: list[str], days: list[str], start: str, end: str) -> object:
    layer = {
        "name": "cover",
        "rotation": "daily",
        "start": "2026-01-05T00:00",
        "users": users,
        "restrictions": [{"weekdays": days, "start": start, "end": end}],
    }
    return {"name": name, "time_zone": "Europe/Berlin", "layers": [layer]}


GAP_CONFIG = RouterConfig.model_validate(
    {
        "channels": {"ops": {"type": "console"}},
        "users": [{"name": "dana"}, {"name": "erik", "contacts": [{"type": "console"}]}],
        "schedules": [
            schedule("days", ["erik"], ["sun"], "08:00", "20:00"),
            schedule("nights", ["erik"], ["sun"], "19:00", "23:00"),
        ],
        "escalation_policies": [
            {
                "name": "both",
                "steps": [{"notify": ["schedule:days"]}, {"notify": ["schedule:nights"]}],
            },
            {"name": "ghost", "steps": [{"notify": ["schedule:missing", "schedule:days"]}]},
            {"name": "mute-user", "steps": [{"notify": ["user:dana", "user:nobody"]}]},
            {"name": "with-channel", "steps": [{"notify": ["schedule:days", "channel:ops"]}]},
        ],
    }
)


def test_policy_gaps_intersect_schedules_and_ignore_targets_that_deliver_nowhere() -> None:
    # Sunday 2026-03-29: 08:00 CEST is 06:00 UTC, 23:00 CEST is 21:00 UTC.
    start, end = utc("2026-03-29T00:00"), utc("2026-03-30T00:00")
    found = {result.policy: result for result in policy_gaps(GAP_CONFIG, start, end)}

    assert found["both"].gaps == [(start, utc("2026-03-29T06:00")), (utc("2026-03-29T21:00"), end)]
    # An unknown schedule covers nothing and takes nothing from the one that covers 08-20 CEST.
    assert found["ghost"].gaps == [(start, utc("2026-03-29T06:00")), (utc("2026-03-29T18:00"), end)]
    assert found["mute-user"].gaps == [(start, end)]  # no contacts, no such user
    assert (found["with-channel"].gaps, found["with-channel"].covered_by) == ([], "channel:ops")


@pytest.mark.parametrize(
    ("first", "second", "both"),
    [
        ([(0, 10)], [(5, 15)], [(5, 10)]),
        ([(0, 2), (4, 6)], [(1, 5)], [(1, 2), (4, 5)]),
        ([(0, 2)], [(2, 4)], []),  # half-open: touching is not overlapping
        ([], [(0, 1)], []),
    ],
)
def test_intersect_keeps_what_both_interval_lists_cover(
    first: list[tuple[int, int]], second: list[tuple[int, int]], both: list[tuple[int, int]]
) -> None:
    def at(hours: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
        return [(utc(f"2026-03-29T{a:02d}:00"), utc(f"2026-03-29T{b:02d}:00")) for a, b in hours]

    assert intersect(at(first), at(second)) == at(both)
