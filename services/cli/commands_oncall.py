"""`tocsin oncall` (who is on call, the next shifts) and `tocsin oncall gaps` (who pages nobody)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from services.cli.config_bundle import TocsinConfig, load_tocsin_config
from services.cli.oncall_clock import instant_arg
from services.cli.oncall_gaps import gaps_lines, policy_gaps
from services.cli.oncall_report import oncall_lines
from shared.config.yaml_source import ConfigError


def register(sub: Any) -> None:
    """Add `oncall` and `oncall gaps` to the `tocsin` parser."""
    oncall = sub.add_parser("oncall", help="who is on call, the next shifts, coverage gaps")
    # Not required=True here: `tocsin oncall gaps --config FILE` gives it after the verb.
    oncall.add_argument("--config", type=Path, help="Tocsin YAML config (required)")
    oncall.add_argument("--schedule", metavar="NAME", help="schedule name (required)")
    oncall.add_argument(
        "--at", type=instant_arg, metavar="TIME", help="ISO-8601 (naive = UTC; default now)"
    )
    oncall.add_argument(
        "--next", type=shift_count, default=5, metavar="N", help="shifts to list (5; 0 to 1000)"
    )
    oncall.set_defaults(handler=show_on_call)
    verbs = oncall.add_subparsers(dest="verb")
    gaps = verbs.add_parser("gaps", help="when each escalation policy would reach nobody")
    # SUPPRESS: `tocsin oncall --config F gaps` keeps the parent's value.
    gaps.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, help="Tocsin YAML config (required)"
    )
    gaps.add_argument("--days", type=int, required=True, metavar="N", help="days to check")
    gaps.add_argument(
        "--from",
        dest="start",
        type=instant_arg,
        metavar="TIME",
        help="ISO-8601 (naive = UTC; default now)",
    )
    gaps.set_defaults(handler=show_gaps)


MAX_SHIFTS = 1000  # twenty years of weekly shifts: more is no plan anyone reads


def shift_count(text: str) -> int:
    """`--next N`: a whole number of shifts, 0 to `MAX_SHIFTS`."""
    if not text.strip().isdigit() or int(text) > MAX_SHIFTS:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of shifts (0 to {MAX_SHIFTS})")
    return int(text)


def show_on_call(args: argparse.Namespace) -> int:
    if not args.schedule or not args.config:
        print("tocsin oncall: --config FILE and --schedule NAME are required", file=sys.stderr)
        return 2
    config = _load(args.config)
    if config is None:
        return 1
    by_name = {schedule.name: schedule for schedule in config.router.schedules}
    schedule = by_name.get(args.schedule)
    if schedule is None:
        known = ", ".join(sorted(by_name)) or "none"
        print(f"no schedule named {args.schedule!r} (known: {known})", file=sys.stderr)
        return 1
    at = args.at or datetime.now(UTC)
    print("\n".join(oncall_lines(schedule, at, args.next)))
    return 0


MAX_GAP_DAYS = 3660  # ten years: schedules are planned in weeks, not centuries


def show_gaps(args: argparse.Namespace) -> int:
    if not args.config or not 1 <= args.days <= MAX_GAP_DAYS:
        print(
            f"tocsin oncall gaps: --config FILE and --days N (1 <= N <= {MAX_GAP_DAYS}) needed",
            file=sys.stderr,
        )
        return 2
    config = _load(args.config)
    if config is None:
        return 1
    start = args.start or datetime.now(UTC)  # `instant_arg`: the years allow MAX_GAP_DAYS more
    end = start + timedelta(days=args.days)
    print("\n".join(gaps_lines(policy_gaps(config.router, start, end), start, end)))
    return 0


def _load(path: Path) -> TocsinConfig | None:
    try:
        return load_tocsin_config(path)
    except ConfigError as invalid:
        print(invalid, file=sys.stderr)
        return None
