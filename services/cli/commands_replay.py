"""`tocsin export` and `tocsin replay`: take received payloads off the log, and replay them
through the normalizers and the correlation engine offline, under any rule set."""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from services.cli.config_bundle import TocsinConfig, load_tocsin_config
from services.cli.export_payloads import TimeRange, exported_lines
from services.cli.log_source import add_log_source, opened_log
from services.cli.oncall_clock import parse_instant
from services.cli.replay_compare import compare, comparison_lines
from services.cli.replay_input import OrderedInput, ReplayInputError
from services.cli.replay_output import replaced_on_success
from services.cli.replay_parallel import auto_jobs, normalized_by_workers
from services.cli.replay_progress import ProgressBar, wants_progress
from services.cli.replay_run import Replay
from services.cli.replay_tally import ReplayTally, summary_lines
from shared.config.yaml_source import ConfigError
from shared.durations import parse_duration
from shared.log.port import LogUnavailable
from shared.topics import ALERTS, PAYLOADS

# Bytes: each flush lets the thread that takes in the workers' results hold the interpreter
# for a while, so the engine's thread flushes its lines seldom.
_OUTPUT_BUFFER = 1 << 20


def register(sub: Any) -> None:
    """Add this module's subcommands to the `tocsin` parser."""
    export = sub.add_parser("export", help="received payloads from the log, as JSON lines")
    export.add_argument("--config", type=Path, required=True)
    add_log_source(export, "data folder of `tocsin up` (default: TOCSIN_DATA_DIR or .tocsin-data)")
    export.add_argument("--since", help="ISO-8601 time, or a duration ago such as 2h")
    export.add_argument("--until", help="ISO-8601 time (exclusive), or a duration ago")
    export.add_argument("--output", type=Path, help="write here instead of to stdout")
    export.set_defaults(handler=export_command)

    replay = sub.add_parser("replay", help="replay exported payloads through the rules offline")
    replay.add_argument("--config", type=Path, required=True)
    replay.add_argument("--input", type=Path, required=True, help="alerts.jsonl (export format)")
    replay.add_argument("--output", type=Path, required=True, help="one line per alert")
    replay.add_argument("--compare", type=Path, metavar="OTHER_CONFIG")
    replay.add_argument("--progress", action="store_true", help="progress bar even off a tty")
    replay.add_argument(
        "--until",
        help="ISO-8601 time (naive: UTC), e.g. the export's --until: time runs on to it after the"
        " last payload, so what timers decide until then (an incident a tick opens) counts",
    )
    replay.add_argument(
        "--jobs",
        type=int,
        help="worker processes that normalize payloads (default: one per spare core on long"
        " inputs; 0: none)",
    )
    replay.set_defaults(handler=replay_command)


def window_bound(text: str | None, now: datetime) -> datetime | None:
    """`--since`/`--until`: an ISO-8601 time (naive as UTC, as `--at` elsewhere) or a
    duration ago such as `2h`."""
    if text is None:
        return None
    try:
        ago = parse_duration(text)
    except ValueError:
        try:
            return parse_instant(text)
        except ValueError:
            raise ReplayInputError(
                f"{text!r} is neither an ISO-8601 time such as 2026-11-27T06:00Z (naive: UTC)"
                " nor a duration ago such as 2h"
            ) from None
    assert isinstance(ago, timedelta)
    try:
        return now - ago
    except OverflowError:
        raise ReplayInputError(f"{text!r} ago is before the calendar's first year") from None


def export_command(args: argparse.Namespace) -> int:
    try:
        load_tocsin_config(args.config)
        now = datetime.now(UTC)
        window = TimeRange(window_bound(args.since, now), window_bound(args.until, now))
        if window.since is not None and window.until is not None and window.until <= window.since:
            raise ReplayInputError(
                f"--until {args.until} is not after --since {args.since}: nothing could be exported"
            )
        lines = asyncio.run(_read_log(args, window))
    except (ConfigError, ReplayInputError, LogUnavailable) as failure:
        print(failure, file=sys.stderr)
        return 1
    try:
        if args.output is not None:
            with replaced_on_success(args.output, _OUTPUT_BUFFER) as output:
                output.writelines(lines)
        else:
            sys.stdout.buffer.writelines(lines)
            sys.stdout.buffer.flush()
    except BrokenPipeError:  # `tocsin export | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as failure:
        print(failure, file=sys.stderr)
        return 1
    print(f"exported {len(lines):,} lines", file=sys.stderr)
    return 0


async def _read_log(args: argparse.Namespace, window: TimeRange) -> list[bytes]:
    async with opened_log(args, (PAYLOADS, ALERTS)) as event_log:
        partitions: dict[str, int] = {}
        for topic in (PAYLOADS, ALERTS):
            with suppress(KeyError):  # a log without the topic has nothing there
                partitions[topic] = event_log.partition_count(topic)
        return await exported_lines(event_log, partitions, window)


def replay_command(args: argparse.Namespace) -> int:
    try:
        config = load_tocsin_config(args.config)
        other = load_tocsin_config(args.compare) if args.compare else None
        payloads = OrderedInput(args.input)
        jobs = auto_jobs(len(payloads)) if args.jobs is None else args.jobs
        until = window_bound(args.until, datetime.now(UTC))
        last = payloads.last_received_at
        if until is not None and last is not None and until < last:
            print(
                f"--until {args.until} is before the input's last payload"
                f" ({last.isoformat()}): replay runs every payload of its input, then time"
                " on to --until; cut the input with `tocsin export --until` instead",
                file=sys.stderr,
            )
            return 1
        started = time.monotonic()
        with replaced_on_success(args.output, _OUTPUT_BUFFER) as output:
            run = _Run(payloads, args.progress, jobs, keep=other is not None, until=until)
            tally = run.replay(config, args.config, output)
        elapsed = time.monotonic() - started
        other_tally = run.replay(other, args.compare, None) if other else None
    except (ConfigError, ReplayInputError, OSError) as failure:
        print(failure, file=sys.stderr)
        return 1
    rate = tally.notifications / max(elapsed, 1e-9)
    print(f"replayed in {elapsed:.2f} s ({rate:,.0f} notifications/s)", file=sys.stderr)
    print(f"{args.input}: {len(payloads):,} payloads, rule set {config.version} ({args.config})")
    print("\n".join(summary_lines(tally, payloads.where_at)))
    if other_tally is not None:
        # From the rules in force (`--compare`) to the ones tried (`--config`): what merges
        # is what the tried rules merge.
        comparison = compare(other_tally, tally)
        print("\n".join(comparison_lines(comparison, str(args.compare), str(args.config))))
    return 0


@dataclass(frozen=True)
class _Run:
    payloads: OrderedInput
    progress: bool
    jobs: int
    keep: bool
    until: datetime | None = None

    def replay(self, config: TocsinConfig, path: Path, output: BinaryIO | None) -> ReplayTally:
        total = len(self.payloads)
        shown = wants_progress(self.progress, sys.stderr)
        bar = ProgressBar(total, sys.stderr) if shown else None
        replay = Replay(config, keep_assignments=self.keep)
        try:
            with _fewer_collections():
                return self._replay(replay, path, output, bar)
        finally:
            if bar is not None:
                bar.close()

    def _replay(
        self, replay: Replay, path: Path, output: BinaryIO | None, bar: ProgressBar | None
    ) -> ReplayTally:
        if self.jobs > 0:
            normalized = normalized_by_workers(self.payloads, path, self.jobs)
            return replay.run_normalized(normalized, output, bar, self.until)
        return replay.run(self.payloads, output, bar, self.until)


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """A replay allocates millions of short-lived objects (alerts, events, lines) beside a
    large long-lived state; at the default threshold the collector ran every 700 of them and
    walked what survived again and again (a tenth of a replay's time). It makes no garbage
    cycles to speak of, so collecting a hundred times less often costs no memory."""
    thresholds = gc.get_threshold()
    gc.set_threshold(50_000, 20, 10)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
