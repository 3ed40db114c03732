"""Assembling the router: the escalation runner, the dispatcher runner, and the incidents API
with the read model it answers from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter
from prometheus_client import CollectorRegistry

from services.router.api.active_config import ActiveApiConfig
from services.router.api.config import ApiConfig
from services.router.api.issuing import CommandIssuer
from services.router.api.readmodel_metrics import ReadModelCollector
from services.router.api.routes_commands import command_routes
from services.router.api.routes_links import link_routes
from services.router.api.routes_queries import query_routes
from services.router.api.routes_silences import silence_routes
from services.router.api.silence_issuing import SilenceIssuer
from services.router.api.silence_metrics import SilenceCollector
from services.router.config import RouterConfig
from services.router.dispatcher import Deliverer, DispatcherProcessor
from services.router.metrics import ApiMetrics, RouterMetrics
from services.router.processor import RouterProcessor
from services.router.projection.silences import SilenceView
from services.router.projection.tailer import ProjectionTailer
from services.router.rulesets import ConfigBook, DirectoryBook, directory_of
from shared.config.settings import RuntimeSettings
from shared.events.incidents import RulesetActivated
from shared.log.port import EventLog
from shared.runtime.config_rejections import config_rejections
from shared.runtime.processor import PartitionProcessor
from shared.runtime.runner import PartitionedRunner
from shared.runtime.snapshots import SNAPSHOT_EVERY
from shared.topics import INCIDENTS, NOTIFICATIONS

ROUTER_GROUP, DISPATCHER_GROUP = "tocsin-router", "tocsin-dispatcher"


def router_runners(
    config: RouterConfig,
    event_log: EventLog,
    registry: CollectorRegistry,
    clock: Callable[[], datetime],
    deliverer: Deliverer,
    snapshot_every: int = SNAPSHOT_EVERY,
    startup: RulesetActivated | None = None,
    deliverers: ConfigBook[Deliverer] | None = None,
) -> list[PartitionedRunner]:
    """`startup`: the config file the process started with (its whole text), pinned to each
    partition's log that runs another one, as the correlator pins its rule set. `deliverer`
    sends through its channels and contacts; `deliverers` builds the deliverer of a config
    activated later on the dispatcher's log (None: `deliverer` for good)."""
    metrics = RouterMetrics(registry)
    metrics.expect_channels(_channels(config))
    directory = directory_of(config)
    directories = DirectoryBook()

    def new_router(partition: int) -> PartitionProcessor:
        return RouterProcessor(partition, directory, metrics, directories, startup)

    def new_dispatcher(partition: int) -> PartitionProcessor:
        return DispatcherProcessor(
            partition, deliverer, clock, metrics, event_log.append, deliverers, startup
        )

    return [
        PartitionedRunner(
            event_log,
            topic=INCIDENTS,
            group=ROUTER_GROUP,
            factory=new_router,
            clock=clock,
            snapshot_every=snapshot_every,
        ),
        PartitionedRunner(
            event_log,
            topic=NOTIFICATIONS,
            group=DISPATCHER_GROUP,
            factory=new_dispatcher,
            clock=clock,
            snapshot_every=snapshot_every,
        ),
    ]


@dataclass(frozen=True)
class IncidentsApi:
    """The routes to serve, and the read model's tailer to run beside the other runners
    (`await tailer.run(stop)`); the routes answer 503 until it has caught up with the log."""

    router: APIRouter
    tailer: ProjectionTailer


def incidents_api(
    config: RouterConfig,
    api_config: ApiConfig,
    event_log: EventLog,
    registry: CollectorRegistry,
    settings: RuntimeSettings,
    clock: Callable[[], datetime],
    link_secret: bytes,
    startup: RulesetActivated | None = None,
) -> IncidentsApi:
    """Raises ValueError when two principals share a token. `startup`: the config file the
    process started with, as activated: the API's tokens and config silences follow the
    activations newer than it that the read model folds (see `ActiveApiConfig`)."""
    active = ActiveApiConfig(
        config,
        api_config,
        startup.activated_at if startup is not None else None,
        config_rejections(registry).labels(reader="api"),
    )
    auth = active.auth
    tailer = ProjectionTailer(event_log, history=settings.incident_history, on_config=active.take)
    issuer = CommandIssuer(
        event_log,
        tailer,
        clock,
        ApiMetrics(registry),
        append_timeout_s=settings.append_timeout_s,
        wait_s=api_config.command_wait.total_seconds(),
    )
    router = APIRouter()
    router.include_router(query_routes(issuer, auth))
    router.include_router(command_routes(issuer, auth, active.users))
    router.include_router(link_routes(issuer, link_secret, clock))
    silences = SilenceIssuer(
        event_log,
        tailer,
        clock,
        append_timeout_s=settings.append_timeout_s,
        wait_s=api_config.command_wait.total_seconds(),
    )
    router.include_router(silence_routes(silences, auth, active.silences))
    registry.register(SilenceCollector(active.silences, lambda: _api_silences(tailer), clock))
    registry.register(ReadModelCollector(lambda: tailer.dropped_incidents))
    return IncidentsApi(router, tailer)


def _api_silences(tailer: ProjectionTailer) -> list[SilenceView] | None:
    """The read model's silences, or None until it is rebuilt."""
    return list(tailer.projection.silences.values()) if tailer.ready.is_set() else None


def _channels(config: RouterConfig) -> list[tuple[str, str, str]]:
    """(name, kind, type) of every configured channel and kind of contact: those pages go to."""
    named = [(name, "named", str(channel.type)) for name, channel in config.channels.items()]
    contacts = sorted({str(c.type) for user in config.users for c in user.contacts})
    return named + [("", "user", contact_type) for contact_type in contacts]
