"""Adding each service's runners and routes to an assembly."""

from __future__ import annotations

import functools
import logging
import os
import secrets
from pathlib import Path

from services.cli.admin_auth import ServiceAccounts
from services.cli.assembly import Assembly
from services.cli.config_bundle import TocsinConfig, check_config_text
from services.cli.reload_restart import restart_needed
from services.correlator.reload import reload_routes
from services.correlator.service import correlator_runner
from services.ingest.service import ingest_router
from services.router.api.demo_inbox import inbox_routes
from services.router.channels.http_post import JsonPoster
from services.router.channels.settings import RetryPolicy
from services.router.config import RouterConfig
from services.router.deliverer import ChannelDeliverer
from services.router.dispatcher import Deliverer
from services.router.rulesets import ConfigBook
from services.router.service import incidents_api, router_runners
from shared.config.settings import MIN_LINK_SECRET, RuntimeSettings
from shared.events.incidents import RulesetActivated
from shared.runtime.snapshots import SNAPSHOT_EVERY

log = logging.getLogger(__name__)


def add_ingest(
    assembly: Assembly, config: TocsinConfig, settings: RuntimeSettings, processes: int = 1
) -> None:
    """`processes`: ingest processes serving the port (`--workers`); each enforces its share
    of every integration's rate limit."""
    assembly.routers.append(
        ingest_router(
            config.ingest,
            assembly.event_log,
            assembly.registry,
            settings,
            assembly.clock,
            processes=processes,
        )
    )


def add_correlator(
    assembly: Assembly, config: TocsinConfig, settings: RuntimeSettings | None = None
) -> None:
    assembly.runners.append(
        correlator_runner(
            config.correlator,
            config.version,
            assembly.event_log,
            assembly.registry,
            assembly.clock,
            settings.snapshot_every if settings is not None else SNAPSHOT_EVERY,
            config.text,
        )
    )
    if settings is not None:
        accounts = ServiceAccounts(config.api)

        assembly.routers.append(
            reload_routes(
                settings.config,
                assembly.event_log,
                assembly.clock,
                check=check_config_text,
                authorized=accounts.authorized,
                activated=accounts.take_reloaded,
                unsafe=accounts.locked_out_by,
                restart_needed=functools.partial(restart_needed, config),
            )
        )


def add_router(assembly: Assembly, config: TocsinConfig, settings: RuntimeSettings) -> None:
    secret = link_secret(settings)
    poster = JsonPoster()
    assembly.runners.append(poster)
    retry = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=10.0, timeout=10.0)

    def deliverer_of(router: RouterConfig) -> Deliverer:
        return ChannelDeliverer(
            router,
            base_url=settings.base_url(),
            link_secret=secret,
            poster=poster,
            retry=retry,
            clock=assembly.clock,
            link_lifetime=config.api.link_lifetime,
        )

    startup = _startup_config(config, assembly)
    runners = router_runners(
        config.router,
        assembly.event_log,
        assembly.registry,
        assembly.clock,
        deliverer_of(config.router),
        settings.snapshot_every,
        startup=startup,
        deliverers=ConfigBook(deliverer_of),
    )
    for runner in runners:  # the dispatcher among them posts pages
        poster.close_after(runner.stopped)
    assembly.runners.extend(runners)
    api = incidents_api(
        config.router,
        config.api,
        assembly.event_log,
        assembly.registry,
        settings,
        assembly.clock,
        secret,
        startup,
    )
    assembly.routers.append(api.router)
    assembly.runners.append(api.tailer)
    if config.api.demo_inbox:
        assembly.routers.append(inbox_routes())


def _startup_config(config: TocsinConfig, assembly: Assembly) -> RulesetActivated | None:
    """The config file the router starts with, as the activation it pins through the log."""
    if not config.text:
        return None
    return RulesetActivated(
        version=config.version,
        config=config.text,
        activated_at=assembly.clock(),
        source="router start",
    )


class LinkSecretError(Exception):
    """The link secret kept in the data folder cannot sign links safely."""


def link_secret(settings: RuntimeSettings) -> bytes:
    """The key of one-click links: from the environment, else kept in the data folder."""
    configured = settings.link_secret.get_secret_value()
    if configured:
        return configured.encode()
    path: Path = settings.data_dir / "link-secret"
    if settings.kafka:
        log.warning(
            "TOCSIN_LINK_SECRET is not set: this router signs links with a key of its own data"
            " folder, which other routers refuse; give every router the same secret",
            extra={"data_dir": str(settings.data_dir)},
        )
    if not path.exists():
        _write_private(path, secrets.token_hex(32))
    kept = path.read_text(encoding="utf-8").strip()
    if len(kept) < MIN_LINK_SECRET:
        # An empty key signs links anyone can forge (a crash as the file was first written
        # can leave it empty): refuse rather than sign with it.
        raise LinkSecretError(
            f"{path} holds {len(kept)} characters, too few to sign one-click links (at least"
            f" {MIN_LINK_SECRET}): delete it to have a new one made (links already sent then"
            " stop working), or set TOCSIN_LINK_SECRET"
        )
    return kept.encode()


def _write_private(path: Path, text: str) -> None:
    """Readable by its owner only from the start, and whole or absent after a crash."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(path)
