"""`tocsin route test`: a dry run of routing, escalation, silences and urgency for one alert."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.cli.commands_rules import parse_label_args
from services.cli.config_bundle import load_tocsin_config
from services.cli.log_source import add_log_source, opened_log
from services.cli.oncall_clock import instant_arg
from services.cli.route_api_silences import ApiSilences, api_silences
from services.cli.route_dry_run import dry_run
from services.cli.route_render import dry_run_lines
from services.router.config import RouterConfig
from services.router.domain.silences import Silence
from shared.config.yaml_source import ConfigError
from shared.log.port import LogUnavailable
from shared.topics import INCIDENTS


def register(sub: Any) -> None:
    """Add `route test` to the `tocsin` parser."""
    route = sub.add_parser("route", help="dry-run the paging of an alert")
    verbs = route.add_subparsers(dest="verb", required=True)
    test = verbs.add_parser(
        "test",
        help="who would be paged when, through what, for an alert with these labels",
        description="Nothing is sent: routes, policy, schedules, silences and urgency are "
        "evaluated as the services would, starting when the alert arrives (--at).",
    )
    test.add_argument("--config", type=Path, required=True, help="Tocsin YAML config")
    test.add_argument(
        "--at",
        type=instant_arg,
        metavar="TIME",
        help="arrival time, ISO-8601 (naive = UTC; default now)",
    )
    add_log_source(
        test,
        "data folder of `tocsin up` whose log holds the API's silences (with --kafka: "
        "a cluster's); without either, the config file's silences only",
    )
    test.add_argument("labels", nargs="*", metavar="label=value", help="the alert's labels")
    test.set_defaults(handler=test_route)


def test_route(args: argparse.Namespace) -> int:
    try:
        config = load_tocsin_config(args.config)
        labels = parse_label_args(args.labels)
    except (ConfigError, ValueError) as invalid:
        print(invalid, file=sys.stderr)
        return 1
    silences: dict[str, Silence] | None = None
    if args.kafka or args.data:
        try:
            read = asyncio.run(_api_silences(args, config.router))
        except LogUnavailable as failure:
            print(failure, file=sys.stderr)
            return 1
        silences = read.silences
        if read.incomplete:
            print(INCOMPLETE, file=sys.stderr)
    run = dry_run(config, labels, args.at or datetime.now(UTC), silences)
    print("\n".join(dry_run_lines(run, config.router)))
    return 0


INCOMPLETE = (
    "warning: retention removed the oldest records of the log and no router snapshot this"
    " version can read covers them: silences made through the API before them are missing"
)


async def _api_silences(args: argparse.Namespace, config: RouterConfig) -> ApiSilences:
    async with opened_log(args, (INCIDENTS,)) as event_log:
        return await api_silences(event_log, config)
