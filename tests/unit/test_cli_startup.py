"""The rule and on-call tools start without the servers' stack: scripts and CI loops run
`tocsin rules test` once per label set, as they run `amtool config routes test`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from services.cli.main import COMMAND_MODULES

DEMO = Path(__file__).parents[2] / "services" / "cli" / "demo.yaml"
# What only the servers, the log clients and the parallel replay need.
SERVER_STACK = ("fastapi", "uvicorn", "aiokafka", "multiprocessing", "httpx")

PROBE = """
import json, sys
from services.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit as stop:
    code = stop.code
print(json.dumps({"code": code, "loaded": sorted(sys.modules)}))
"""


def _run(*argv: str) -> tuple[int, set[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=True
    )
    *printed, last = done.stdout.strip().splitlines()
    outcome = json.loads(last)
    return outcome["code"], set(outcome["loaded"]), "\n".join(printed)


@pytest.mark.parametrize(
    "argv",
    [
        ("rules", "test", "--config", str(DEMO), "alertname=NodeDown", "region=eu-west"),
        ("rules", "check", "--config", str(DEMO)),
        ("oncall", "--config", str(DEMO), "--schedule", "primary", "--at", "2026-11-27T10:00"),
    ],
)
def test_the_rule_and_oncall_tools_answer_without_importing_the_servers(
    argv: tuple[str, ...],
) -> None:
    code, loaded, printed = _run(*argv)
    assert code in (0, None), printed
    assert printed  # they answered
    assert not {name for name in loaded if name.split(".")[0] in SERVER_STACK}


@pytest.mark.parametrize("argv", [("--help",), ("-h", "rules"), ("--help", "oncall")])
def test_help_still_lists_every_command(argv: tuple[str, ...]) -> None:
    code, _, printed = _run(*argv)
    assert code == 0
    for command in ("up", "ingest", "correlator", "router", *COMMAND_MODULES):
        assert command in printed
