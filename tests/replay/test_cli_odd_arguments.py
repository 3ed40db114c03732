"""The command-line tools answer odd arguments and inputs with a message and a non-zero exit,
never a traceback: times at the calendar's edges, `replay --until` written as `export`'s,
a `received_at` that is not UTF-8, `oncall gaps` over more days than any schedule plans."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.main import main
from tests.support.brokers import free_port

DEMO = str(Path(__file__).parents[2] / "services" / "cli" / "demo.yaml")
LINE = (
    b'{"received_at":"%s","source":"alertmanager","payload":'
    b'{"version":"4","status":"firing","receiver":"r","alerts":[]}}'
)


def _exit(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(args)
    code = exited.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def _replay(tmp_path: Path, received_at: bytes, *extra: str) -> list[str]:
    (tmp_path / "in.jsonl").write_bytes(LINE % received_at)
    args = ["replay", "--config", DEMO, "--input", str(tmp_path / "in.jsonl"), "--jobs", "0"]
    return [*args, "--output", str(tmp_path / "out.jsonl"), *extra]


@pytest.mark.parametrize(
    ("received_at", "said"),
    [
        (b"2026-11-27T06:00:00\xff", "received_at is not UTF-8"),
        (b"0001-01-01T00:30:00+01:00", "out of range in UTC"),
    ],
)
def test_a_replay_input_time_that_cannot_be_read_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], received_at: bytes, said: str
) -> None:
    code, err = _exit(_replay(tmp_path, received_at), capsys)

    assert code == 1 and said in err and "Traceback" not in err


def test_replay_until_takes_what_export_until_takes_and_names_what_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ago = _exit(_replay(tmp_path, b"2026-11-27T06:00:00Z", "--until", "1s"), capsys)
    garbage = _exit(_replay(tmp_path, b"2026-11-27T06:00:00Z", "--until", "garbage"), capsys)

    assert ago[0] == 0  # a duration ago, as `export --until 1s`
    assert garbage[0] == 1 and "'garbage' is neither an ISO-8601 time" in garbage[1]


def test_times_past_the_calendars_edges_are_refused_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at_start = _exit(["route", "test", "--config", DEMO, "--at", "0001-01-01T00:00+01:00"], capsys)
    many_days = _exit(["oncall", "gaps", "--config", DEMO, "--days", "100000000"], capsys)
    at_end = ["oncall", "gaps", "--config", DEMO, "--days", "1", "--from", "9999-12-31T00:00"]
    past_end = _exit(at_end, capsys)
    export = ["export", "--config", DEMO, "--data", str(tmp_path), "--since", "999999999d"]
    long_ago = _exit(export, capsys)

    assert at_start[0] == 2 and "out of the calendar's range" in at_start[1]
    assert many_days[0] == 2 and "1 <= N <= 3660" in many_days[1]
    assert past_end[0] == 2 and "outside the years 1900 to 9000" in past_end[1]
    assert long_ago[0] == 1 and "before the calendar's first year" in long_ago[1]


def test_a_replay_input_saved_with_a_byte_order_mark_replays_as_without_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Some Windows tools start a UTF-8 file with a BOM: the first line was refused."""
    alert = (
        b'{"received_at":"2026-11-27T06:0%d:00Z","source":"alertmanager","payload":'
        b'{"version":"4","status":"firing","receiver":"r","groupKey":"{}","alerts":[{'
        b'"status":"firing","labels":{"alertname":"NodeDown","instance":"node-%d"},'
        b'"annotations":{},"startsAt":"2026-11-27T06:00:00Z","endsAt":"0001-01-01T00:00:00Z"}]}}'
    )
    lines = b"\n".join(alert % (minute, minute) for minute in (1, 2)) + b"\n"
    outputs = []
    for name, text in (("plain", lines), ("bom", b"\xef\xbb\xbf" + lines)):
        (tmp_path / f"{name}.jsonl").write_bytes(text)
        args = ["replay", "--config", DEMO, "--input", str(tmp_path / f"{name}.jsonl")]
        with pytest.raises(SystemExit) as exited:
            main([*args, "--jobs", "0", "--output", str(tmp_path / f"{name}.out")])
        assert exited.value.code == 0, capsys.readouterr().err
        outputs.append((tmp_path / f"{name}.out").read_text())

    assert outputs[0] == outputs[1] and outputs[0].count("\n") == 2


def test_a_kafka_nobody_answers_is_named_and_leaves_no_unclosed_clients() -> None:
    """The clients opened before the connection failed were reported unclosed at exit."""
    command = [sys.executable, "-m", "services.cli.main", "export", "--config", DEMO]
    command += ["--kafka", f"127.0.0.1:{free_port()}"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 1 and done.stdout == ""
    assert "cannot reach Kafka at 127.0.0.1:" in done.stderr
    assert "Unclosed" not in done.stderr and "Traceback" not in done.stderr
