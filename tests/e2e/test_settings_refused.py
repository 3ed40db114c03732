"""A bad setting stops the command at start with exit 2 and one line naming what is wrong: the
option when it was given on the command line, else the `TOCSIN_*` environment variable (also
for the settings that have no option), with the allowed values; never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

UP = ["up"]
ROUTER = ["router", "--config", "tocsin.yaml", "--kafka", "localhost:9092"]


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("command", "variable", "value", "says"),
    [
        (UP, "TOCSIN_PARTITIONS", "0", "greater than or equal to 1"),
        (ROUTER, "TOCSIN_PARTITIONS", "0", "greater than or equal to 1"),
        (UP, "TOCSIN_SNAPSHOT_EVERY", "0", "greater than or equal to 1"),
        (UP, "TOCSIN_LOG_LEVEL", "verbose", "'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
        (UP, "TOCSIN_LOG_FORMAT", "xml", "'json' or 'text'"),
        (UP, "TOCSIN_APPEND_TIMEOUT_S", "-1", "greater than 0"),
        (UP, "TOCSIN_APPEND_TIMEOUT_S", "0", "greater than 0"),
        (UP, "TOCSIN_PRUNE_EVERY_S", "0", "greater than 0"),
        (UP, "TOCSIN_RETENTION", "a while", ""),
        (ROUTER, "TOCSIN_INCIDENT_HISTORY", "a while", ""),
    ],
)
def test_a_bad_environment_variable_is_refused_naming_it_and_what_is_allowed(
    tmp_path: Path, command: list[str], variable: str, value: str, says: str
) -> None:
    # Given a setting out of its range in the environment, when a command starts,
    refused = _tocsin(tmp_path, [*command, "--port", "0"], {variable: value})

    # then it exits with 2 before doing anything, naming the variable and what it allows.
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith(f"invalid environment variable: {variable}: "), refused.stderr
    assert says in refused.stderr
    assert "Traceback" not in refused.stderr
    assert len(refused.stderr.splitlines()) == 1
    assert not (tmp_path / ".tocsin-data").exists()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("variable", "value"),
    [("TOCSIN_LOG_LEVEL", "debug"), ("TOCSIN_LOG_FORMAT", "TEXT")],
)
def test_log_settings_are_taken_in_either_case(tmp_path: Path, variable: str, value: str) -> None:
    # Given a valid log setting in another case and an out-of-range port (so nothing starts),
    refused = _tocsin(tmp_path, [*UP, "--port", "70000"], {variable: value})

    # then only the port is refused, named as the option it was given as.
    assert refused.returncode == 2, refused.stderr
    assert refused.stderr.startswith("invalid option: --port: "), refused.stderr


def _tocsin(
    folder: Path, args: list[str], settings: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    command = [sys.executable, "-m", "services.cli.main", *args]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=folder,
        env={**env, **settings},
    )
