"""The `tocsin` command: run services, check and test rules, look up on-call, replay."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from services.cli import (
    commands_oncall,
    commands_replay,
    commands_route,
    commands_rules,
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tocsin", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="all services in one process on the embedded log")
    up.add_argument("--config", type=Path, help="Tocsin YAML config (default: the demo config)")
    up.add_argument("--data", type=Path, help="data folder of the embedded log")
    up.add_argument(
        "--retention",
        metavar="DURATION",
        help="how long the embedded log keeps history, e.g. 90d, precise to 10 minutes"
        " (default 0: all of it)",
    )
    _incident_history_option(up)
    _http_options(up, default_port=8080)
    up.set_defaults(handler=_up)

    for name, port in (("ingest", 8081), ("correlator", 8082), ("router", 8083)):
        service = sub.add_parser(name, help=f"the {name} service alone, on Kafka")
        service.add_argument("--config", type=Path, required=True)
        service.add_argument("--kafka", required=True, metavar="HOST:PORT")
        if name == "ingest":
            service.add_argument(
                "--workers",
                type=_positive,
                default=1,
                help="processes serving the port (ingest is stateless; one per core scales it)",
            )
        if name == "router":
            _incident_history_option(service)
        _http_options(service, default_port=port)
        service.set_defaults(handler=_single_service, service=name)

    for module in (commands_rules, commands_replay, commands_oncall, commands_route):
        module.register(sub)
    return parser


# The servers pull in uvicorn, FastAPI and every service: imported only when one is run, so
# that `rules`, `replay` and `oncall` start quickly.
def _up(args: argparse.Namespace) -> int:
    from services.cli import commands_run

    return commands_run.up(args)


def _single_service(args: argparse.Namespace) -> int:
    from services.cli import commands_run

    return commands_run.single_service(args)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _incident_history_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--incident-history",
        metavar="DURATION",
        help="how long resolved incidents stay in the incidents API, e.g. 30d (default 90d;"
        " 0: forever)",
    )


def _http_options(parser: argparse.ArgumentParser, default_port: int) -> None:
    parser.add_argument("--host", default=None, help="listen address (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=None, help=f"listen port (default {default_port})"
    )
    parser.set_defaults(default_port=default_port)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    sys.exit(args.handler(args))


if __name__ == "__main__":
    main()
