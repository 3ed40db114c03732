"""`tocsin up` and `tocsin ingest|correlator|router`: build the process and serve HTTP."""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import tempfile
from pathlib import Path
from typing import Any

import uvicorn
from pydantic import ValidationError

from services.cli.assembly import Assembly, make_app
from services.cli.config_bundle import TocsinConfig, load_tocsin_config
from services.cli.wiring import LinkSecretError, add_correlator, add_ingest, add_router
from services.ingest.metrics import workers_registry
from services.ingest.workers import listening_socket, run_workers
from shared.config.settings import RuntimeSettings
from shared.config.yaml_source import ConfigError
from shared.events.codec import remember_encoded
from shared.log.embedded import EmbeddedLog
from shared.log.embedded_lock import DataFolderError, lock_data_folder
from shared.log.kafka import KafkaLog
from shared.logs import configure_logging
from shared.runtime.collector import tune_collector
from shared.runtime.log_retention import LogRetention, ReadsTheLog
from shared.topics import ALL_TOPICS

log = logging.getLogger(__name__)


# Settings given as options whose option is not `--` + the field's name.
_OPTION_NAMES = {"data_dir": "--data"}
_LOG_FILE = "tocsin.sqlite"


def _settings(args: argparse.Namespace, **extra: Any) -> RuntimeSettings | None:
    """The settings, or None once it said which option or environment variable is wrong."""
    given = {"config": args.config, "host": args.host, "port": args.port, **extra}
    options = {k: v for k, v in given.items() if v is not None}
    try:
        settings = RuntimeSettings(**options)
    except ValidationError as invalid:
        print(_first_error(invalid, set(options)), file=sys.stderr)
        return None
    if settings.port is None:
        settings = settings.model_copy(update={"port": args.default_port})
    return settings


def _load(settings: RuntimeSettings) -> TocsinConfig | None:
    try:
        return load_tocsin_config(settings.config)
    except ConfigError as invalid:
        print(f"invalid configuration:\n{invalid}", file=sys.stderr)
        return None


def _serve(assembly: Assembly, title: str, settings: RuntimeSettings) -> int:
    app = make_app(assembly, title)
    port = settings.port or 0
    tune_collector()  # once the process holds what it keeps (see `shared/runtime/collector.py`)
    config = uvicorn.Config(app, host=settings.host, port=port, log_config=None, access_log=False)
    # Bound before the services start: a second process on a taken port exits before it
    # joins a consumer group, where it would make every member rebalance twice for nothing.
    sock = config.bind_socket()
    uvicorn.Server(config).run([sock])
    return 0


def up(args: argparse.Namespace) -> int:
    settings = _settings(
        args, data_dir=args.data, retention=args.retention, incident_history=args.incident_history
    )
    if settings is None:
        return 2
    configure_logging(settings.log_level, settings.log_format)
    config = _load(settings)
    if config is None:
        return 2
    try:  # before the log is opened or anything started; held while this process runs
        data_lock = lock_data_folder(settings.data_dir, _LOG_FILE)
    except DataFolderError as refused:
        print(refused, file=sys.stderr)
        return 2
    log.info("data folder locked", extra={"data_dir": str(data_lock.folder)})
    event_log = EmbeddedLog(data_lock.folder / _LOG_FILE)
    remember_encoded()  # every stage reads what another wrote moments earlier
    assembly = Assembly(event_log, partitions=settings.partitions)
    try:
        add_ingest(assembly, config, settings)
        add_correlator(assembly, config, settings)
        add_router(assembly, config, settings)
        assembly.runners.append(_retention(event_log, assembly, settings))
        return _serve(assembly, "tocsin", settings)
    except LinkSecretError as refused:
        print(refused, file=sys.stderr)
        return 2
    finally:
        data_lock.release()


def _retention(
    event_log: EmbeddedLog, assembly: Assembly, settings: RuntimeSettings
) -> LogRetention:
    """Pruning of the embedded log, keeping what every reader of this process needs."""
    readers = [
        runner.log_reader() for runner in assembly.runners if isinstance(runner, ReadsTheLog)
    ]
    retention = settings.retention or None  # 0: history is kept; old snapshots still go
    return LogRetention(
        event_log, retention, ALL_TOPICS, readers, assembly.registry, settings.prune_every_s
    )


def _first_error(invalid: ValidationError, options: set[str]) -> str:
    """`invalid option: --name: why` for a value given on the command line, else
    `invalid environment variable: TOCSIN_NAME: why` (so also for settings that have no
    option, e.g. `TOCSIN_PARTITIONS`)."""
    error = invalid.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    if field in options:
        option = _OPTION_NAMES.get(field, "--" + field.replace("_", "-"))
        return f"invalid option: {option}: {error['msg']}"
    variable = f"{RuntimeSettings.model_config.get('env_prefix', '')}{field}".upper()
    return f"invalid environment variable: {variable}: {error['msg']}"


def single_service(args: argparse.Namespace) -> int:
    history = getattr(args, "incident_history", None)  # an option of `tocsin router` only
    settings = _settings(args, kafka=args.kafka, incident_history=history)
    if settings is None:
        return 2
    configure_logging(settings.log_level, settings.log_format)
    config = _load(settings)
    if config is None:
        return 2
    if args.service == "ingest" and args.workers > 1:
        return _ingest_workers(args.workers, args.kafka, config, settings)
    assembly = Assembly(KafkaLog(args.kafka), partitions=settings.partitions)
    match args.service:
        case "ingest":
            add_ingest(assembly, config, settings)
        case "correlator":
            add_correlator(assembly, config, settings)
        case _:
            remember_encoded()  # the dispatcher and read model read what the router wrote
            try:
                add_router(assembly, config, settings)
            except LinkSecretError as refused:
                print(refused, file=sys.stderr)
                return 2
    return _serve(assembly, f"tocsin-{args.service}", settings)


def _ingest_workers(count: int, kafka: str, config: TocsinConfig, settings: RuntimeSettings) -> int:
    """`count` ingest processes on one port, each with its own Kafka producer; the /metrics
    of any of them sums all (see `services/ingest/workers.py` and `workers_registry`)."""
    sock = listening_socket(settings.host, settings.port or 0)
    with tempfile.TemporaryDirectory(prefix="tocsin-ingest-metrics-") as folder:
        log.info("ingest workers starting", extra={"workers": count, "port": settings.port})

        def serve(shared: socket.socket) -> int:  # in each worker, after the fork
            registry = workers_registry(Path(folder))
            assembly = Assembly(KafkaLog(kafka), partitions=settings.partitions, registry=registry)
            add_ingest(assembly, config, settings, processes=count)
            app = make_app(assembly, "tocsin-ingest")
            uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False)).run([shared])
            return 0

        return run_workers(count, serve, sock)
