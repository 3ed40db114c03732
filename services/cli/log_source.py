"""`--kafka HOST:PORT | --data DIR`: which log a command reads, and opening it for a read."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from shared.config.settings import RuntimeSettings
from shared.log.embedded import EmbeddedLog
from shared.log.kafka import KafkaLog
from shared.log.port import EventLog, LogUnavailable


def add_log_source(parser: argparse.ArgumentParser, data_help: str) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--kafka", metavar="HOST:PORT", help="read a Kafka cluster's log")
    source.add_argument("--data", type=Path, help=data_help)


@contextlib.asynccontextmanager
async def opened_log(args: argparse.Namespace, topics: tuple[str, ...]) -> AsyncIterator[EventLog]:
    """The log `--kafka` names, else `tocsin up`'s under `--data` (default: TOCSIN_DATA_DIR or
    .tocsin-data); on Kafka, the partitions of those of `topics` the cluster has are learnt
    (none is created: reading leaves the cluster as it was)."""
    event_log: EventLog
    if args.kafka:
        event_log = KafkaLog(args.kafka)
        await event_log.start()
        await event_log.learn_topics(topics)
    else:
        path = (args.data or RuntimeSettings().data_dir) / "tocsin.sqlite"
        if not path.is_file():
            raise LogUnavailable(f"no embedded log at {path}")
        event_log = EmbeddedLog(path)
        await event_log.start()
    try:
        yield event_log
    finally:
        await event_log.close()
