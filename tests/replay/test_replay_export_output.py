"""Where `tocsin export` writes: a file that cannot be made, or a reader that stops early
(`| head`), ends the command with a message, never a traceback."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.cli.main import main
from shared.events import PayloadReceived, deterministic_id, encode_envelope, wrap
from shared.log.embedded import EmbeddedLog
from shared.log.port import Outgoing
from shared.topics import PAYLOADS

AT = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)


async def _fill(data: Path) -> None:
    log = EmbeddedLog(data / "tocsin.sqlite")
    await log.start()
    try:
        await log.ensure_topics({PAYLOADS: 1})
        records = []
        for n in range(200):
            body = {"alerts": [{"labels": {"alertname": f"A{n}", "pad": "x" * 1000}}]}
            event = PayloadReceived(
                integration="prom", source="alertmanager", received_at=AT, body=body
            )
            envelope = wrap(event, key="prom", event_id=deterministic_id("t", n), occurred_at=AT)
            records.append(Outgoing(PAYLOADS, "prom", encode_envelope(envelope)))
        await log.append(records)
    finally:
        await log.close()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    asyncio.run(_fill(tmp_path / "data"))
    (tmp_path / "tocsin.yaml").write_text("integrations: []\n")
    return tmp_path / "data"


def test_export_to_a_missing_folder_says_so_without_a_traceback(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = data.parent / "missing" / "alerts.jsonl"
    config = str(data.parent / "tocsin.yaml")
    with pytest.raises(SystemExit) as exited:
        main(["export", "--config", config, "--data", str(data), "--output", str(output)])

    assert exited.value.code == 1
    assert capsys.readouterr().err == f"[Errno 2] No such file or directory: '{output}'\n"


def test_export_into_a_pipe_closed_early_ends_without_a_traceback(data: Path) -> None:
    command = [sys.executable, "-m", "services.cli.main", "export"]
    command += ["--config", str(data.parent / "tocsin.yaml"), "--data", str(data)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head -0`: the reader is gone before the first line

    errors = process.stderr.read().decode()

    assert process.wait(timeout=60) == 1
    assert "Traceback" not in errors


def test_a_window_ending_before_it_starts_is_refused_not_exported_empty(
    data: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(data.parent / "tocsin.yaml")
    window = ["--since", "2026-11-27T07:00Z", "--until", "2026-11-27T06:00Z"]
    with pytest.raises(SystemExit) as exited:
        main(["export", "--config", config, "--data", str(data), *window])

    assert exited.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "--until 2026-11-27T06:00Z is not after --since 2026-11-27T07:00Z: nothing could be"
        " exported\n"
    )
