"""`tocsin route test --data DIR`: the dry run also holds steps for the silences made through
the API, read from the log as the router folds them (an expired one holds nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.events import deterministic_id
from shared.events.base import Event
from shared.events.silences import SILENCES_KEY, SilenceCreated, SilenceExpired
from shared.log.embedded import EmbeddedLog
from shared.runtime.broadcast import to_every_partition
from shared.topics import ALL_TOPICS, INCIDENTS
from tests.oncall.oncall_cli import run, write_config

CREATED = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


def _created(silence_id: str, matcher: str, ends: str) -> SilenceCreated:
    return SilenceCreated(
        silence_id=silence_id,
        matchers=[matcher],
        starts_at=CREATED,
        ends_at=datetime.fromisoformat(ends),
        created_by="alice",
        comment=f"{silence_id} maintenance",
        created_at=CREATED,
    )


async def _write(data: Path, events: list[Event]) -> None:
    log = EmbeddedLog(data / "tocsin.sqlite")
    await log.start()
    try:
        await log.ensure_topics({topic: 4 for topic in ALL_TOPICS})
        for index, event in enumerate(events):
            records = to_every_partition(
                event,
                topic=INCIDENTS,
                key=SILENCES_KEY,
                partitions=4,
                occurred_at=CREATED,
                event_id=lambda p, index=index: deterministic_id("silence", index, p),
            )
            await log.append(records)
    finally:
        await log.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    events: list[Event] = [
        _created("s-db", 'service="payments-api"', "2026-11-27T12:00:00+00:00"),
        _created("s-early", 'alertname="PaymentsDown"', "2026-11-27T12:00:00+00:00"),
        SilenceExpired(silence_id="s-early", actor="bob", at=datetime(2026, 11, 27, 7, tzinfo=UTC)),
    ]
    asyncio.run(_write(folder, events))
    return folder


def test_an_api_silence_on_the_log_holds_the_step_it_mutes(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["route", "test", "--config", str(config), "--data", str(data)]
    argv += ["--at", "2026-11-27T08:00Z", "alertname=PaymentsDown", "service=payments-api"]
    code, out, err = run(argv, capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert (
        "  api:s-db (active on arrival, 2026-11-27 06:00 UTC to 2026-11-27 12:00 UTC): "
        '{service="payments-api"} by alice: s-db maintenance'
    ) in lines
    assert (
        "  held until 2026-11-27 12:00 UTC: silenced by api:s-db "
        '{service="payments-api"} by alice: s-db maintenance'
    ) in lines
    # expired early, at 07:00: listed as such, and it holds nothing
    assert any(line.startswith("  api:s-early (expired on arrival") for line in lines)
    assert not any("silenced by api:s-early" in line for line in lines)


def test_without_a_log_only_the_config_files_silences_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["route", "test", "--config", str(config), "--at", "2026-11-27T08:00Z"]
    code, out, _ = run([*argv, "service=payments-api"], capsys)
    assert code == 0
    assert "Silences: none match these labels" in out


def test_a_data_folder_without_a_log_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(tmp_path)
    argv = ["route", "test", "--config", str(config), "--data", str(tmp_path / "none")]
    code, out, err = run([*argv, "service=payments-api"], capsys)
    assert (code, out) == (1, "")
    assert "no embedded log at" in err


def test_records_retention_removed_with_no_snapshot_to_cover_them_are_warned_of(
    tmp_path: Path, data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a router snapshot (or one of another version), silences whose records are gone
    cannot be known: the dry run says so rather than print a quiet 'none match'."""
    with contextlib.closing(sqlite3.connect(data / "tocsin.sqlite")) as connection, connection:
        connection.execute(
            "DELETE FROM records WHERE topic = ? AND partition = 0 AND offset = 0", (INCIDENTS,)
        )
    config = write_config(tmp_path)
    argv = ["route", "test", "--config", str(config), "--data", str(data)]
    code, out, err = run([*argv, "--at", "2026-11-27T08:00Z", "service=payments-api"], capsys)

    assert code == 0 and "api:s-db" not in out
    assert "retention removed the oldest records" in err
