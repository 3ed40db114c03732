"""The `tocsin` command: run services, check and test rules, look up on-call, replay."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

# The modules that add the tools' commands, by command. Only the module of the command a
# command line names is imported: the others pull in FastAPI, aiokafka and multiprocessing
# (over a second), so `tocsin rules test` would start ten times slower than it runs.
COMMAND_MODULES = {
    "rules": "services.cli.commands_rules",
    "export": "services.cli.commands_replay",
    "replay": "services.cli.commands_replay",
    "oncall": "services.cli.commands_oncall",
    "route": "services.cli.commands_route",
}
_SERVERS = frozenset({"up", "ingest", "correlator", "router"})


def _parser(argv: Sequence[str]) -> argparse.ArgumentParser:
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

    for module in _command_modules(argv):
        importlib.import_module(module).register(sub)
    return parser


def _command_modules(argv: Sequence[str]) -> list[str]:
    """The modules whose commands the parser needs for `argv`: the named command's, none for
    a server, every one when no known command is named or help comes before it (the help, or
    an error, lists every command)."""
    named = next((arg for arg in argv if not arg.startswith("-")), None)
    before = argv[: argv.index(named)] if named is not None else argv
    if "-h" in before or "--help" in before:
        named = None
    if named in _SERVERS:
        return []
    if named in COMMAND_MODULES:
        return [COMMAND_MODULES[named]]
    return list(dict.fromkeys(COMMAND_MODULES.values()))


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
    arguments = sys.argv[1:] if argv is None else list(argv)
    args = _parser(arguments).parse_args(arguments)
    sys.exit(args.handler(args))


if __name__ == "__main__":
    main()
