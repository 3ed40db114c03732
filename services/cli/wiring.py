"""Adding each service's runners and routes to an assembly."""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx

from services.cli.assembly import Assembly
from services.cli.config_bundle import TocsinConfig
from services.correlator.service import correlator_runner
from services.ingest.service import ingest_router
from services.router.channels.settings import RetryPolicy
from services.router.deliverer import ChannelDeliverer
from services.router.service import router_runners
from shared.config.settings import RuntimeSettings


def add_ingest(assembly: Assembly, config: TocsinConfig, settings: RuntimeSettings) -> None:
    assembly.routers.append(
        ingest_router(
            config.ingest, assembly.event_log, assembly.registry, settings, assembly.clock
        )
    )


def add_correlator(assembly: Assembly, config: TocsinConfig) -> None:
    assembly.runners.append(
        correlator_runner(
            config.correlator,
            config.version,
            assembly.event_log,
            assembly.registry,
            assembly.clock,
        )
    )


def add_router(assembly: Assembly, config: TocsinConfig, settings: RuntimeSettings) -> None:
    deliverer = ChannelDeliverer(
        config.router,
        base_url=settings.base_url(),
        link_secret=link_secret(settings),
        client=httpx.AsyncClient(),
        retry=RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=10.0, timeout=10.0),
        clock=assembly.clock,
    )
    assembly.runners.extend(
        router_runners(
            config.router, assembly.event_log, assembly.registry, assembly.clock, deliverer
        )
    )


def link_secret(settings: RuntimeSettings) -> bytes:
    """The key of one-click links: from the environment, else kept in the data folder."""
    configured = settings.link_secret.get_secret_value()
    if configured:
        return configured.encode()
    path: Path = settings.data_dir / "link-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip().encode()
